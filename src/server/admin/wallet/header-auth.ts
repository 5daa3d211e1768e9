import { base58 } from '@scure/base';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { FastifyRequest } from 'fastify';
import { parseNearPublicKey, type WalletLogin } from '../../../auth/wallet.ts';
import type { Principal } from '../../auth/principal.ts';

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The seed's header authentication (tags before 0.8): `signing_key` (ed25519, NEAR `ed25519:` form or bare
 * base58), `wallet_type` (JSON), `signature` (base58 ed25519 of the raw `challenge` bytes) and `challenge`
 * (base58). Stricter than upstream, which let unknown keys through once a root key existed, took any bytes as
 * the challenge and accepted the same headers again and again:
 * - the key must be a registered client or root key, and the request gets that key's permissions only
 *   ({@link WalletKeyStore.permissionsOf}), never more;
 * - the challenge must be a nonce this node issued (`request-challenge`), unexpired, and it is used up by the
 *   request: replaying the same headers is refused. A client asks for a new challenge per request.
 * Returns the principal, or null when the headers are absent or do not hold (the JWT check runs next).
 */
export async function walletHeaderAuth(req: FastifyRequest, wallet: WalletLogin): Promise<Principal | null> {
  const h = req.headers;
  const signingKey = one(h['signing_key'] ?? h['signing-key']);
  const walletType = one(h['wallet_type'] ?? h['wallet-type']);
  const signature = one(h['signature']);
  const challenge = one(h['challenge']);
  if (!signingKey || !signature || !challenge || !walletType) return null;
  try {
    JSON.parse(walletType);
  } catch {
    return null;
  }
  const pk = parseNearPublicKey(signingKey);
  let sig: Uint8Array;
  let msg: Uint8Array;
  try {
    sig = base58.decode(signature);
    msg = base58.decode(challenge);
  } catch {
    return null;
  }
  if (!pk || sig.length !== 64 || msg.length !== 32) return null;
  const nonce = Buffer.from(msg).toString('base64');
  if (!wallet.challenges.isOutstanding(nonce)) return null;
  const permissions = await wallet.keys.permissionsOf(signingKey);
  if (!permissions) return null;
  let valid = false;
  try {
    valid = ed25519.verify(sig, msg, pk);
  } catch {
    valid = false;
  }
  // Consumed only by a valid signature (a forger cannot burn the owner's challenge), and only once.
  if (!valid || !wallet.challenges.consume(nonce)) return null;
  return {
    id: `wallet:${signingKey}`,
    permissions,
    stillValid: async () => (await wallet.keys.permissionsOf(signingKey)) !== null,
  };
}
