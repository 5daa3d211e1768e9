import type { FastifyRequest } from 'fastify';
import type { AuthCore } from '../core.ts';
import type { authForwardRoutes } from '../../wire/routes/auth.ts';
import { bearerToken, header, queryToken } from '../tokens.ts';
import { permitted, requiredPermissions } from '../permissions.ts';
import type { AuthHandler } from './handler.ts';
import { fail, headerSafe, ok } from './reply.ts';

/** The request a reverse proxy asks about: `X-Forwarded-Method` + `X-Forwarded-Uri` (Traefik) or the nginx names. */
function forwardedRequest(req: FastifyRequest): { method?: string; path?: string; uri?: string } {
  const uri = header(req.headers, 'x-forwarded-uri') ?? header(req.headers, 'x-original-uri');
  const method = header(req.headers, 'x-forwarded-method') ?? header(req.headers, 'x-original-method');
  return { method, uri, path: uri?.split(/[?#]/)[0] };
}

/** Paths where a browser cannot set a header, so the token may come as `?token=` (WebSocket upgrade, EventSource). */
function acceptsQueryToken(path: string | undefined): boolean {
  return path === '/ws' || path === '/sse' || (path?.endsWith('/ws') ?? false);
}

/**
 * Forward-auth token lookup: `Authorization: Bearer`, else — only for a forwarded `/ws` or `/sse` request —
 * `?token=` in `X-Forwarded-Uri` / `X-Original-URI`. Upstream reads the query token for every path; a token in a
 * REST URL ends up in logs and browser history, so we refuse it there.
 */
function bearerOrForwarded(req: FastifyRequest, forwarded: { path?: string; uri?: string }): string | undefined {
  return bearerToken(req.headers) ?? (acceptsQueryToken(forwarded.path) ? queryToken(forwarded.uri) : undefined);
}

/** GET|POST /auth/validate: forward-auth for a reverse proxy (or a proxy-mode node). */
export default (core: Pick<AuthCore, 'checkToken'>): AuthHandler<typeof authForwardRoutes.validate> =>
  async ({ req, reply }) => {
    const forwarded = forwardedRequest(req);
    const token = bearerOrForwarded(req, forwarded);
    const r = await core.checkToken(token, req.headers, 'access');
    if (!r.ok) return fail(reply, r.status, r.reason, r.error);
    // With the forwarded method and URI (Traefik, nginx, our node in proxy mode), the route's permission is
    // checked here as upstream's forward-auth does; without them only the token is checked.
    if (forwarded.method && forwarded.path && !permitted(r.permissions, requiredPermissions(forwarded.method, forwarded.path))) {
      return fail(reply, 403, `Permission denied for ${forwarded.method} ${forwarded.path}`, 'permission_denied');
    }
    reply.header('x-auth-user', headerSafe(r.keyId));
    if (r.permissions.length) reply.header('x-auth-permissions', headerSafe(r.permissions.join(',')));
    return ok(reply, '');
  };
