import { createAuthService, type VerifyResult } from '../../auth/index.ts';
import { authRoutes } from '../../wire/routes/auth.ts';
import type { Node } from '../../node/node.ts';
import { HttpError } from '../errors.ts';
import type { AuthSetup } from './setup.ts';
import type { Principal } from './principal.ts';

/** A checked mero-auth token as the node's principal; `recheck` runs the same full check again. */
export function tokenPrincipal(r: Extract<VerifyResult, { ok: true }>, recheck: () => Promise<VerifyResult>): Principal {
  return {
    id: r.keyId,
    permissions: r.permissions,
    expiresAt: r.claims.exp,
    stillValid: async () => (await recheck().catch(() => ({ ok: false }))).ok,
  };
}

/**
 * Embedded mode: boots mero-auth with `[server.embedded_auth]` (or its defaults: RocksDB at `auth/` under the
 * node home, provider user_password) and guards protected routes with its JWT. A refused request is a bare
 * 401 as upstream; the token may come as a `token` query parameter only where a browser cannot set a header
 * (WebSocket upgrade, `GET /sse`).
 */
export async function embeddedAuth(node: Node): Promise<AuthSetup> {
  const auth = await createAuthService(node.config.server.embedded_auth ?? {}, {
    basePath: node.dir,
    otherAdministrator: { exists: () => node.wallet.keys.hasRootKeys(), exclusive: (fn) => node.wallet.keys.exclusive(fn) },
  });
  node.onClose(() => auth.close());
  node.auth = auth;
  return {
    async guard(req, opts) {
      // Only what the check reads is kept for later re-checks (not the whole request).
      const headers = { authorization: req.headers.authorization, host: req.headers.host, 'x-forwarded-host': req.headers['x-forwarded-host'] };
      const url = opts?.queryToken ? req.url : undefined;
      const r = await auth.verifyRequest(headers, url);
      if (!r.ok) return { ok: false, error: new HttpError(401, '', 'empty') };
      return { ok: true, principal: tokenPrincipal(r, () => auth.verifyRequest(headers, url)) };
    },
    hasAdministrator: () => auth.core.keys.hasAnyRootKey(),
    onCredentialsChanged: (listener) => auth.core.keys.onChange(listener),
    // mero-auth's routes are this server's too: they are in its OpenAPI document.
    routes: Object.values(authRoutes),
    plugins: [
      async (app) => {
        // The node reads bodies itself (streams); mero-auth's routes get fastify's standard JSON parsing.
        await app.register(async (sub) => {
          sub.removeAllContentTypeParsers();
          sub.addContentTypeParser('application/json', { parseAs: 'string' }, sub.getDefaultJsonParser('error', 'error'));
          await sub.register(auth.plugin);
        });
      },
    ],
  };
}
