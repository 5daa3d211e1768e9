import type { FastifyReply } from 'fastify';
import type { AuthCore } from '../core.ts';
import type { authPublicRoutes } from '../../wire/routes/auth.ts';
import { NO_CACHE_HEADERS, NO_PROVIDER_HTML, readStatic, readWithFallback } from '../frontend.ts';
import type { AuthHandler } from './handler.ts';

type R = typeof authPublicRoutes;
type Core = Pick<AuthCore, 'providers' | 'frontendDir'>;

/** GET /auth/login: the login page (or a page saying no provider is configured). */
export const loginPage =
  (core: Core): AuthHandler<R['loginPage']> =>
  async ({ req, reply }) => {
    reply.headers(NO_CACHE_HEADERS).type('text/html; charset=utf-8');
    if (core.providers.length > 0) {
      const f = await readStatic(core.frontendDir, 'index.html');
      if (f) return reply.send(f.body);
      req.log.error({ dir: core.frontendDir }, 'auth: login page index.html not found');
    }
    return reply.send(NO_PROVIDER_HTML);
  };

async function serveAsset(core: Core, rel: string, reply: FastifyReply): Promise<FastifyReply> {
  const f = await readWithFallback(core.frontendDir, rel);
  if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('File not found');
  return reply.headers(NO_CACHE_HEADERS).type(f.contentType).send(f.body);
}

export const loginAsset =
  (core: Core): AuthHandler<R['loginAsset']> =>
  ({ params, reply }) =>
    serveAsset(core, `assets/${params['*'] ?? ''}`, reply);

export const favicon =
  (core: Core): AuthHandler<R['favicon']> =>
  ({ reply }) =>
    serveAsset(core, 'favicon.ico', reply);

/** meroctl's browser flow: the login page handles `callback-url` itself. */
export const loginCallback = (): AuthHandler<R['loginCallback']> => ({ req, reply }) => {
  const q = req.url.indexOf('?');
  return reply.redirect(q >= 0 ? `login${req.url.slice(q)}` : 'login', 302);
};
