import { createAuthService } from '../../auth/index.ts';
import type { Node } from '../../node/node.ts';
import { HttpError } from '../errors.ts';
import type { AuthSetup } from './index.ts';

/**
 * Embedded mode: boots mero-auth with `[server.embedded_auth]` (or its defaults: RocksDB at `auth/` under the
 * node home, provider user_password) and guards protected routes with its JWT. A refused request is a bare
 * 401 as upstream; the token may also come as a `token` query parameter (browsers' WS/SSE).
 */
export async function embeddedAuth(node: Node): Promise<AuthSetup> {
  const auth = await createAuthService(node.config.server.embedded_auth ?? {}, { basePath: node.dir });
  node.onClose(() => auth.close());
  node.auth = auth;
  return {
    async guard(req) {
      const r = await auth.verifyRequest(req.headers, req.url);
      return r.ok ? null : new HttpError(401, '', 'empty');
    },
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
