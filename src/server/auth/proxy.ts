import proxy from '@fastify/http-proxy';
import type { Node } from '../../node/node.ts';
import { HttpError } from '../errors.ts';
import type { AuthSetup } from './index.ts';

/** How long a positive validation is reused for the same token and host (bounds the load on mero-auth). */
const CACHE_MS = 2_000;
const CACHE_MAX = 10_000;

/**
 * Proxy mode with an external mero-auth at `url`: `/auth/*` and `/admin/*` are forwarded to it, and every
 * protected request is checked with its forward-auth endpoint (`GET /auth/validate`, Authorization header or
 * `?token=` through `X-Forwarded-Uri`). mero-auth unreachable → 503, so a dead auth service fails closed.
 */
export function proxyAuth(node: Node, url: string): AuthSetup {
  const base = url.replace(/\/+$/, '');
  const cache = new Map<string, number>();
  return {
    async guard(req) {
      const auth = req.headers.authorization;
      const key = `${auth ?? ''}|${req.url}|${req.headers.host ?? ''}`;
      const hit = cache.get(key);
      if (hit && hit > Date.now()) return null;
      let res: Response;
      try {
        res = await fetch(`${base}/auth/validate`, {
          headers: {
            ...(auth ? { authorization: auth } : {}),
            'x-forwarded-uri': req.url,
            'x-forwarded-host': String(req.headers.host ?? ''),
            'x-forwarded-method': req.method,
          },
          signal: AbortSignal.timeout(5_000),
        });
      } catch (err) {
        node.logger.error({ err, url: base }, 'auth service unreachable');
        return new HttpError(503, 'authentication service unavailable', 'text');
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 200) {
        if (cache.size >= CACHE_MAX) cache.clear();
        cache.set(key, Date.now() + CACHE_MS);
        return null;
      }
      return new HttpError(res.status === 403 ? 403 : 401, '', 'empty');
    },
    plugins: [
      async (app) => {
        await app.register(proxy, { upstream: base, prefix: '/auth', rewritePrefix: '/auth' });
        await app.register(proxy, { upstream: base, prefix: '/admin', rewritePrefix: '/admin' });
      },
    ],
  };
}
