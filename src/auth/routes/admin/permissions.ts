import type { AuthCore } from '../../core.ts';
import type { authAdminRoutes } from '../../../wire/routes/auth.ts';
import { KeyValidationError, isValidKey } from '../../keys.ts';
import { isValidPermission } from '../../permissions.ts';
import type { AuthHandler } from '../handler.ts';
import { fail, ok, sanitizeString } from '../reply.ts';

type R = typeof authAdminRoutes;

/** GET /admin/keys/:key_id/permissions */
export const getKeyPermissions =
  (core: Pick<AuthCore, 'keys'>): AuthHandler<R['getKeyPermissions']> =>
  async ({ reply, params }) => {
    const key = await core.keys.getKey(params.key_id);
    if (!key) return fail(reply, 404, 'Key not found');
    if (!isValidKey(key)) return fail(reply, 404, 'Key is revoked');
    return ok(reply, { permissions: key.permissions });
  };

/** PUT /admin/keys/:key_id/permissions: `add` and `remove`; a key keeps at least one permission. */
export const updateKeyPermissions =
  (core: Pick<AuthCore, 'keys'>): AuthHandler<R['updateKeyPermissions']> =>
  async ({ reply, params, body: read }) => {
    const { key_id } = params;
    const body = read();
    if (!body) return reply;
    const add = (body.add ?? []).map(sanitizeString).filter(Boolean);
    const remove = (body.remove ?? []).map(sanitizeString).filter(Boolean);
    if (!(await core.keys.getKey(key_id))) return fail(reply, 404, 'Key not found');
    if (add.some((p) => !isValidPermission(p))) return fail(reply, 400, 'Invalid permission format: Invalid permission format');
    // Applied to the key as stored when the change is written (a concurrent revocation or change is kept).
    let updated;
    try {
      updated = await core.keys.update(key_id, (key) => {
        const next = key.permissions.filter((p) => !remove.includes(p));
        for (const p of add) if (!next.includes(p)) next.push(p);
        if (next.length === 0) throw new KeyValidationError('Key must have at least one permission');
        const changed = next.length !== key.permissions.length || next.some((p, i) => p !== key.permissions[i]);
        return changed ? { ...key, permissions: next } : key;
      });
    } catch (e) {
      if (e instanceof KeyValidationError) return fail(reply, 400, e.message);
      throw e;
    }
    if (!updated) return fail(reply, 404, 'Key not found');
    return ok(reply, { permissions: updated.permissions });
  };
