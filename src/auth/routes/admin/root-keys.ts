import type { AuthCore } from '../../core.ts';
import type { authAdminRoutes } from '../../../wire/routes/auth.ts';
import { ProviderError } from '../../providers.ts';
import type { AuthHandler } from '../handler.ts';
import { fail, ok, sanitizeIdentifier, sanitizeString } from '../reply.ts';

type R = typeof authAdminRoutes;

/** GET /admin/keys: the root keys. */
export const listRootKeys =
  (core: Pick<AuthCore, 'keys'>): AuthHandler<R['listRootKeys']> =>
  async ({ reply }) => {
    const keys = await core.keys.listKeys('Root');
    return ok(
      reply,
      keys.map(([key_id, k]) => ({
        key_id,
        public_key: k.public_key,
        auth_method: k.auth_method,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        permissions: k.permissions,
      })),
    );
  };

/** POST /admin/keys: a root key created (or rotated) through a provider. */
export const createRootKey =
  (core: Pick<AuthCore, 'providers' | 'tokens' | 'metrics'>): AuthHandler<R['createRootKey']> =>
  async ({ reply, body: read, caller }) => {
    const body = read();
    if (!body) return reply;
    const method = sanitizeIdentifier(body.auth_method);
    const publicKey = sanitizeString(body.public_key);
    if (!method) return fail(reply, 400, 'Authentication method must contain valid characters');
    if (!publicKey) return fail(reply, 400, 'Public key cannot be empty after sanitization');
    const provider = core.providers.find((p) => p.name === method);
    if (!provider) return fail(reply, 400, 'Provider not found');
    // The caller's verified token: creating a root key needs the permissions that key gets (ours), and only
    // such a caller may replace an existing user's credential (otherwise 409).
    const who = { keyId: caller?.keyId ?? '', permissions: caller?.permissions ?? [] };
    try {
      const r = await provider.createRootKey(publicKey, body.provider_data, body.target_node_url ?? null, who);
      if (r.revokedKeyId) {
        // Rotation: the old key is revoked; its refresh tokens go with it.
        await core.tokens.revokeRefreshTokensOf(r.revokedKeyId);
        core.metrics.revocations++;
      }
      return ok(reply, { status: true, message: r.updated ? 'Key was updated' : 'Key was created' });
    } catch (e) {
      if (e instanceof ProviderError) return fail(reply, e.status === 403 || e.status === 409 ? e.status : 400, e.message);
      throw e;
    }
  };

/** DELETE /admin/keys/:key_id: revokes a root key (the last active one: 200 `{status:false}`, as upstream). */
export const deleteRootKey =
  (core: Pick<AuthCore, 'keys' | 'tokens' | 'metrics'>): AuthHandler<R['deleteRootKey']> =>
  async ({ reply, params }) => {
    const { key_id } = params;
    const last = () => ok(reply, { status: false, message: 'Cannot delete the last active root key' });
    if ((await core.keys.activeRootCount()) <= 1) return last();
    const key = await core.keys.getKey(key_id);
    if (!key) return fail(reply, 404, 'Root key not found');
    if (key.key_type !== 'Root') return fail(reply, 400, 'Not a root key');
    // Checked again with the revocation: two revocations at once must not both count two active keys.
    const revoked = await core.keys.revokeKey(key_id, { keepLastRoot: true });
    if (revoked === 'last_root') return last();
    if (revoked === 'not_found') return fail(reply, 404, 'Root key not found');
    await core.tokens.revokeRefreshTokensOf(key_id);
    core.metrics.revocations++;
    return ok(reply, { key_id, revoked_at: revoked.revoked_at });
  };
