import type { AuthCore } from '../../core.ts';
import type { authAdminRoutes } from '../../../wire/routes/auth.ts';
import type { AuthHandler } from '../handler.ts';
import { fail, ok, sanitizeIdentifier } from '../reply.ts';

/** POST /admin/revoke: revokes a key and its refresh tokens (never the last active root key). */
export default (core: Pick<AuthCore, 'keys' | 'tokens' | 'metrics'>): AuthHandler<typeof authAdminRoutes.revoke> =>
  async ({ reply, body: read }) => {
    const body = read();
    if (!body) return reply;
    const id = sanitizeIdentifier(body.client_id);
    if (!id) return fail(reply, 400, 'Client ID must contain valid characters');
    const revoked = await core.keys.revokeKey(id, { keepLastRoot: true });
    if (revoked === 'not_found') return fail(reply, 404, 'Failed to revoke tokens: Key not found');
    if (revoked === 'last_root') return fail(reply, 400, 'Cannot revoke the last active root key');
    await core.tokens.revokeRefreshTokensOf(id);
    core.metrics.revocations++;
    return ok(reply, { success: true, message: 'Tokens revoked successfully' });
  };
