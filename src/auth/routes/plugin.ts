import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuthCore } from '../core.ts';
import { authAdminRoutes, authForwardRoutes, authPublicRoutes } from '../../wire/routes/auth.ts';
import { header } from '../tokens.ts';
import { permitted, requiredPermissions } from '../permissions.ts';
import { mountAll, type Authed, type AuthHandlers } from './handler.ts';
import { fail, headerSafe, MISSING_JSON } from './reply.ts';
import { favicon, loginAsset, loginCallback, loginPage } from './login.ts';
import token from './token.ts';
import refresh from './refresh.ts';
import { challenge, health, providers } from './info.ts';
import mockToken from './mock-token.ts';
import validate from './validate.ts';
import revoke from './admin/revoke.ts';
import { createRootKey, deleteRootKey, listRootKeys } from './admin/root-keys.ts';
import { generateClientKey, listClientKeys, revokeClientKey } from './admin/client-keys.ts';
import { getKeyPermissions, updateKeyPermissions } from './admin/permissions.ts';
import { identity, metrics } from './admin/service-info.ts';

function securityHeaders(core: AuthCore): Record<string, string> {
  const h = core.config.security.headers;
  if (!h.enabled) return {};
  const out: Record<string, string> = {
    'strict-transport-security': `max-age=${h.hstsMaxAge}${h.hstsIncludeSubdomains ? '; includeSubDomains' : ''}`,
    'x-frame-options': h.frameOptions,
    'x-content-type-options': h.contentTypeOptions,
    'referrer-policy': h.referrerPolicy,
  };
  if (h.csp.enabled) {
    out['content-security-policy'] =
      `default-src ${h.csp.defaultSrc.join(' ')}; script-src ${h.csp.scriptSrc.join(' ')}; ` +
      `style-src ${h.csp.styleSrc.join(' ')}; connect-src ${h.csp.connectSrc.join(' ')};`;
  }
  return out;
}

const publicHandlers = (core: AuthCore): AuthHandlers<typeof authPublicRoutes> => ({
  loginPage: loginPage(core),
  loginAsset: loginAsset(core),
  favicon: favicon(core),
  loginCallback: loginCallback(),
  token: token(core),
  refresh: refresh(core),
  challenge: challenge(core),
  providers: providers(core),
  authHealth: health(core),
  mockToken: mockToken(core),
});

const adminHandlers = (core: AuthCore): AuthHandlers<typeof authAdminRoutes> => ({
  revoke: revoke(core),
  listRootKeys: listRootKeys(core),
  createRootKey: createRootKey(core),
  deleteRootKey: deleteRootKey(core),
  listClientKeys: listClientKeys(core),
  generateClientKey: generateClientKey(core),
  revokeClientKey: revokeClientKey(core),
  getKeyPermissions: getKeyPermissions(core),
  updateKeyPermissions: updateKeyPermissions(core),
  identity: identity(core),
  metrics: metrics(core),
});

/**
 * The fastify plugin with every mero-auth route (declared in src/wire/routes/auth.ts, one handler per concern
 * beside this file): `/auth/*` public, `/auth/validate` without body parsing, `/admin/*` behind a JWT with the
 * permission mero-auth's table requires for the path. Failures use the `{"data":null,"error":…}` envelope.
 */
export function buildAuthPlugin(core: AuthCore): FastifyPluginAsync {
  return async function meroAuth(app: FastifyInstance) {
    const bodyLimit = core.config.security.maxBodySize;
    const secHeaders = securityHeaders(core);
    const authInfo = new WeakMap<FastifyRequest, Authed>();

    app.setErrorHandler((error: FastifyError, req, reply) => {
      const code = error.statusCode ?? 500;
      if (code >= 500) {
        req.log.error({ err: error }, 'auth: internal error');
        return fail(reply, 500, 'Internal server error');
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 400, MISSING_JSON);
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'Request body too large');
      if (code === 400 && error.code?.startsWith('FST_ERR_CTP')) return fail(reply, 400, `Invalid JSON: ${error.message}`);
      return fail(reply, code, error.message);
    });

    if (Object.keys(secHeaders).length) {
      app.addHook('onSend', async (_req, reply, payload) => {
        for (const [k, v] of Object.entries(secHeaders)) if (!reply.hasHeader(k)) reply.header(k, v);
        return payload;
      });
    }

    mountAll(app, authPublicRoutes, publicHandlers(core), { bodyLimit });

    // Forward-auth validation: no body parsing (proxies forward arbitrary content types).
    await app.register(async (v) => {
      v.removeAllContentTypeParsers();
      v.addContentTypeParser('*', (_req, payload, done) => {
        payload.resume();
        payload.on('end', () => done(null, undefined));
        payload.on('error', () => done(null, undefined));
      });
      mountAll(v, authForwardRoutes, { validate: validate(core) }, { bodyLimit });
    });

    // Protected: /admin.
    await app.register(async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (req.method === 'OPTIONS') return;
        const h = header(req.headers, 'authorization');
        if (h === undefined) return fail(reply, 400, 'Missing Authorization header', 'invalid_request');
        if (!h.startsWith('Bearer ')) {
          return fail(reply, 400, "Invalid Authorization header format. Expected 'Bearer <token>'", 'invalid_request');
        }
        const token = h.slice(7).trim();
        if (!token) return fail(reply, 400, 'Empty token provided', 'invalid_request');
        const r = await core.checkToken(token, req.headers, 'access');
        if (!r.ok) return fail(reply, r.status, r.reason, r.error);
        const path = req.url.split('?')[0]!;
        if (!permitted(r.permissions, requiredPermissions(req.method, path))) {
          return fail(reply, 403, 'Permission denied', 'permission_denied');
        }
        authInfo.set(req, r);
        reply.header('x-auth-user', headerSafe(r.keyId));
        if (r.permissions.length) reply.header('x-auth-permissions', headerSafe(r.permissions.join(',')));
      });
      mountAll(admin, authAdminRoutes, adminHandlers(core), { bodyLimit, caller: (req) => authInfo.get(req) });
    });
  };
}
