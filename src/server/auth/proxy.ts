import proxy from '@fastify/http-proxy';
import type { Node } from '../../node/node.ts';
import { HttpError } from '../errors.ts';
import type { AuthSetup } from './setup.ts';
import { permissionDenied, type GuardResult, type Principal } from './principal.ts';

const CACHE_MAX = 10_000;
/** Default reuse of a positive validation (`[server.proxy_auth] cache_ttl_ms`; 0 disables the cache). */
export const DEFAULT_VALIDATION_CACHE_MS = 2_000;

/**
 * `X-Auth-Permissions` joins permissions with `,`, which also separates the parameters inside `[…]`
 * (`context[ctx,alice]`): split only on commas outside brackets.
 */
export function splitPermissions(header: string | null): string[] {
  if (!header) return [];
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(header.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(header.slice(start).trim());
  return out.filter(Boolean).map((p) => {
    try {
      return decodeURI(p);
    } catch {
      return p;
    }
  });
}

/**
 * Proxy mode with an external mero-auth at `url`: `/auth/*` and `/admin/*` are forwarded to it, and every
 * protected request is checked with its forward-auth endpoint (`GET /auth/validate` with the request's
 * Authorization header, method and URI, so mero-auth applies the route's permission as well). mero-auth
 * unreachable → 503, so a dead auth service fails closed.
 *
 * Positive answers are reused for `cache_ttl_ms` (default 2 s) per credential and request: a token revoked
 * at mero-auth keeps working that long on this node, except when the revocation went through this node's
 * `/admin` forwarding, which empties the cache at once. Open streams re-check their token every second.
 */
export function proxyAuth(node: Node, url: string): AuthSetup {
  const base = url.replace(/\/+$/, '');
  const ttl = node.config.server.proxy_auth?.cache_ttl_ms ?? DEFAULT_VALIDATION_CACHE_MS;
  const cache = new Map<string, { until: number; principal: Principal }>();

  const validate = async (forwarded: { authorization?: string; uri: string; host: string; method: string }): Promise<GuardResult> => {
    let res: Response;
    try {
      res = await fetch(`${base}/auth/validate`, {
        headers: {
          ...(forwarded.authorization ? { authorization: forwarded.authorization } : {}),
          'x-forwarded-uri': forwarded.uri,
          'x-forwarded-host': forwarded.host,
          'x-forwarded-method': forwarded.method,
        },
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      node.logger.error({ err, url: base }, 'auth service unreachable');
      return { ok: false, error: new HttpError(503, 'authentication service unavailable', 'text') };
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.status !== 200) {
      const denied = res.headers.get('x-auth-error') === 'permission_denied';
      return {
        ok: false,
        error: denied
          ? permissionDenied(`Permission denied for ${forwarded.method} ${forwarded.uri.split('?')[0]}`)
          : new HttpError(res.status === 403 ? 403 : 401, '', 'empty'),
      };
    }
    const principal: Principal = {
      id: res.headers.get('x-auth-user') ?? 'unknown',
      permissions: splitPermissions(res.headers.get('x-auth-permissions')),
      stillValid: async () => (await validate(forwarded)).ok,
    };
    return { ok: true, principal };
  };

  return {
    async guard(req, opts) {
      // The query string goes to mero-auth only where a `?token=` is allowed (it refuses one elsewhere too).
      const uri = opts?.queryToken ? req.url : req.url.split('?')[0]!;
      const forwarded = { authorization: req.headers.authorization, uri, host: String(req.headers.host ?? ''), method: req.method };
      const key = `${forwarded.authorization ?? ''}|${req.method}|${uri}|${forwarded.host}`;
      const hit = ttl > 0 ? cache.get(key) : undefined;
      if (hit && hit.until > Date.now()) return { ok: true, principal: hit.principal };
      const r = await validate(forwarded);
      if (r.ok && ttl > 0) {
        if (cache.size >= CACHE_MAX) cache.clear();
        cache.set(key, { until: Date.now() + ttl, principal: r.principal });
      }
      return r;
    },
    // mero-auth is the authority on administrators in this mode: a wallet root key needs its admin token.
    hasAdministrator: async () => true,
    // Revocations at the external mero-auth are not announced: open streams re-validate twice a second.
    streamRecheckMs: 500,
    plugins: [
      async (app) => {
        // A key change made through this node (revoke, delete, permissions) empties the validation cache.
        app.addHook('onResponse', async (req, reply) => {
          if (req.method !== 'GET' && req.url.startsWith('/admin/') && reply.statusCode < 300) cache.clear();
        });
        await app.register(proxy, { upstream: base, prefix: '/auth', rewritePrefix: '/auth' });
        await app.register(proxy, { upstream: base, prefix: '/admin', rewritePrefix: '/admin' });
      },
    ],
  };
}
