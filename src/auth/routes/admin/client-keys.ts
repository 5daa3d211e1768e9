import { randomBytes } from 'node:crypto';
import type { AuthCore } from '../../core.ts';
import type { authAdminRoutes } from '../../../wire/routes/auth.ts';
import { type Key, KeyValidationError, isValidKey, keyHas, newClientKey, nowSecs } from '../../keys.ts';
import { isValidPermission } from '../../permissions.ts';
import type { AuthHandler } from '../handler.ts';
import { escapeHtml, fail, ok, sanitizeIdentifier, sha256Hex, tokenPair } from '../reply.ts';

type R = typeof authAdminRoutes;

/** GET /admin/keys/clients: the client keys issued under the root keys. */
export const listClientKeys =
  (core: Pick<AuthCore, 'keys'>): AuthHandler<R['listClientKeys']> =>
  async ({ reply }) => {
    const keys = await core.keys.listKeys('Client');
    return ok(
      reply,
      keys.map(([client_id, k]) => ({
        client_id,
        root_key_id: k.root_key_id ?? '',
        name: k.name ?? '',
        permissions: k.permissions,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        is_valid: isValidKey(k),
      })),
    );
  };

/**
 * POST /admin/client-key: a client key under the caller's root key (an admin token), with `context[<ctx>,<user>]`
 * and permissions the root key holds → its token pair.
 */
export const generateClientKey =
  (core: Pick<AuthCore, 'keys' | 'tokens'>): AuthHandler<R['generateClientKey']> =>
  async ({ reply, body: read, caller }) => {
    const body = read();
    if (!body) return reply;
    const auth = caller!;
    if (!auth.permissions.includes('admin')) return fail(reply, 403, 'Token does not have admin permissions');
    let rootId = auth.keyId;
    let root: Key | null = await core.keys.getKey(rootId);
    if (root?.key_type === 'Client' && root.root_key_id) {
      rootId = root.root_key_id;
      root = await core.keys.getKey(rootId);
    }
    if (!root) return fail(reply, 404, 'Root key not found');
    if (!isValidKey(root)) return fail(reply, 401, 'Root key is revoked');

    const contextId = body.context_id ? sanitizeIdentifier(body.context_id) : '';
    const contextIdentity = body.context_identity ? sanitizeIdentifier(body.context_identity) : '';
    const permissions: string[] = [];
    if (contextId && contextIdentity) permissions.push(`context[${contextId},${contextIdentity}]`);
    for (const perm of body.permissions ?? []) {
      if (!/^[\x20-\x7e]+$/.test(perm) || !isValidPermission(perm)) return fail(reply, 400, `Invalid permission format: ${escapeHtml(perm)}`);
      if (!keyHas(root, perm)) return fail(reply, 400, `Root key does not have permission: ${escapeHtml(perm)}`);
      if (!permissions.includes(perm)) permissions.push(perm);
    }
    const clientId = sha256Hex(`client:${contextId}:${contextIdentity}:${nowSecs()}:${randomBytes(16).toString('hex')}`);
    const nodeUrl = body.target_node_url ?? null;
    const key = newClientKey(rootId, `Context Client - ${contextId} (${contextIdentity})`, permissions, nodeUrl);
    try {
      await core.keys.setKey(clientId, key);
    } catch (e) {
      if (e instanceof KeyValidationError) return fail(reply, 400, e.message);
      throw e;
    }
    return tokenPair(reply, await core.tokens.issuePair(clientId, permissions, nodeUrl));
  };

/** DELETE /admin/keys/:key_id/clients/:client_id: revokes a client key of that root key. */
export const revokeClientKey =
  (core: Pick<AuthCore, 'keys' | 'tokens' | 'metrics'>): AuthHandler<R['revokeClientKey']> =>
  async ({ reply, params }) => {
    const { key_id, client_id } = params;
    const key = await core.keys.getKey(client_id);
    if (!key || key.key_type !== 'Client') return fail(reply, 404, 'Client key not found');
    if (key.root_key_id !== key_id) return fail(reply, 400, 'Client key does not belong to specified root key');
    const revoked = await core.keys.revokeKey(client_id);
    // Gone meanwhile: a refresh moved it to a new id (revoke that one) or it was deleted.
    if (typeof revoked === 'string') return fail(reply, 404, 'Client key not found');
    await core.tokens.revokeRefreshTokensOf(client_id);
    core.metrics.revocations++;
    return ok(reply, { message: 'Client key revoked successfully', revoked_at: revoked.revoked_at });
  };
