import { randomBytes } from 'node:crypto';
import type { AuthCore } from '../core.ts';
import type { authPublicRoutes } from '../../wire/routes/auth.ts';
import { newRootKey, nowSecs } from '../keys.ts';
import { header } from '../tokens.ts';
import type { AuthHandler } from './handler.ts';
import { fail, sanitizeIdentifier, sanitizeString, tokenPair } from './reply.ts';

/**
 * POST /auth/mock-token (only with `development.enable_mock_auth`, else 404): a root key and token pair for
 * tests, optionally behind a required `Authorization` value. Checked before the body is read.
 */
export default (core: Pick<AuthCore, 'config' | 'keys' | 'tokens'>): AuthHandler<typeof authPublicRoutes.mockToken> =>
  async ({ req, reply, body: read }) => {
    const dev = core.config.development;
    if (!dev.enableMockAuth) return fail(reply, 404, 'Endpoint not found');
    if (dev.mockAuthRequireHeader) {
      const auth = header(req.headers, 'authorization');
      if (dev.mockAuthHeaderValue !== undefined) {
        if (auth !== dev.mockAuthHeaderValue) return fail(reply, 401, 'Invalid or missing authorization for mock endpoint');
      } else if (auth === undefined) {
        return fail(reply, 401, 'Authorization header required for mock endpoint');
      }
    }
    const body = read();
    if (!body) return reply;
    const clientName = sanitizeString(body.client_name);
    if (!clientName) return fail(reply, 400, 'Client name cannot be empty after sanitization');
    const permissions = body.permissions ?? ['admin'];
    const ts = nowSecs();
    const keyId = `mock_${sanitizeIdentifier(clientName)}_${ts}_${randomBytes(4).toString('hex')}`;
    await core.keys.setKey(keyId, newRootKey(`mock_public_key_${ts}`, 'mock_auth', permissions, body.node_url));
    const pair = await core.tokens.issuePair(keyId, permissions, body.node_url, {
      access: body.access_token_expiry ?? undefined,
      refresh: body.refresh_token_expiry ?? undefined,
    });
    reply.header('x-mock-token', 'true').header('x-key-id', keyId).header('x-warning', 'Mock token - for testing only');
    return tokenPair(reply, pair);
  };
