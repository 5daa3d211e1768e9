import { randomBytes } from 'node:crypto';
import type { AuthCore } from '../core.ts';
import type { authPublicRoutes } from '../../wire/routes/auth.ts';
import { KeyValidationError, isValidKey, nowSecs } from '../keys.ts';
import { TokenError, checkNodeBinding } from '../tokens.ts';
import type { AuthHandler } from './handler.ts';
import { fail, sha256Hex, tokenPair } from './reply.ts';

const FAMILY_REVOKED = 'Invalid refresh token: its token family was revoked after refresh-token reuse';

/**
 * POST /auth/refresh: an expired access token and its refresh token → a new pair. The refresh token is single
 * use; a reused one revokes its token family. Client keys rotate their id on refresh (upstream).
 */
export default (core: Pick<AuthCore, 'config' | 'tokens' | 'keys' | 'metrics'>): AuthHandler<typeof authPublicRoutes.refresh> =>
  async ({ req, reply, body: read }) => {
    const body = read();
    if (!body) return reply;
    try {
      await core.tokens.verify(body.access_token, 'access');
      return fail(reply, 401, 'Access token still valid');
    } catch (e) {
      if (!(e instanceof TokenError && e.kind === 'expired')) {
        return fail(reply, 401, `Invalid access token: ${(e as Error).message}`);
      }
    }
    let claims;
    try {
      claims = await core.tokens.verify(body.refresh_token, 'refresh');
    } catch (e) {
      return fail(reply, 401, `Invalid refresh token: ${(e as Error).message}`);
    }
    const nodeErr = checkNodeBinding(claims.node_url, req.headers, core.config.jwt.allowedNodeUrls);
    if (nodeErr) return fail(reply, 403, nodeErr, 'invalid_node');
    if (claims.fam && (await core.tokens.isFamilyRevoked(claims.fam))) return fail(reply, 401, FAMILY_REVOKED, 'token_revoked');
    // Single use: the record becomes a tombstone now. Reuse is checked before the key: a rotated client
    // key no longer exists, and its replayed refresh token must still be recognised as reuse.
    const used = await core.tokens.consumeRefresh(claims.jti);
    if (used.status === 'reused') {
      if (used.revokedFamily) {
        core.metrics.revocations++;
        req.log.warn({ key_id: used.keyId, family: used.fam }, 'auth: refresh token reused; token family revoked');
      }
      return fail(
        reply,
        401,
        `Invalid refresh token: Refresh token has already been used${used.fam ? '; its token family has been revoked' : ''}`,
        'token_revoked',
      );
    }
    if (used.status === 'unknown') {
      return fail(reply, 401, 'Invalid refresh token: Refresh token has already been used or revoked', 'token_revoked');
    }
    const key = await core.keys.getKey(claims.sub);
    if (!key) return fail(reply, 401, `Invalid refresh token: Key not found: ${claims.sub}`, 'invalid_token');
    if (!isValidKey(key)) return fail(reply, 401, 'Invalid refresh token: Key is not valid', 'token_revoked');
    core.metrics.refreshes++;
    // Tokens issued before families existed start one now; others continue theirs (a concurrent reuse
    // may have revoked it in between: issuePair then refuses).
    const issue = async (keyId: string) => {
      try {
        return await core.tokens.issuePair(keyId, key.permissions, claims.node_url, {}, claims.fam);
      } catch (e) {
        if (e instanceof TokenError && e.kind === 'revoked') return null;
        throw e;
      }
    };
    if (key.key_type === 'Root') {
      const pair = await issue(claims.sub);
      if (!pair) return fail(reply, 401, FAMILY_REVOKED, 'token_revoked');
      return tokenPair(reply, pair);
    }
    // Client keys rotate their id on refresh (upstream): new key record, old one removed.
    const newId = sha256Hex(`refresh:${claims.sub}:${nowSecs()}:${randomBytes(16).toString('hex')}`);
    const pair = await issue(newId);
    if (!pair) return fail(reply, 401, FAMILY_REVOKED, 'token_revoked');
    // The key as stored now moves to the new id; revoked or gone since it was read above, the pair just issued
    // names a key that does not exist and is useless.
    try {
      if (!(await core.keys.rotate(claims.sub, newId))) return fail(reply, 401, 'Invalid refresh token: Key is not valid', 'token_revoked');
    } catch (e) {
      if (e instanceof KeyValidationError) return fail(reply, 401, `Invalid refresh token: ${e.message}`);
      throw e;
    }
    await core.tokens.revokeRefreshTokensOf(claims.sub);
    return tokenPair(reply, pair);
  };
