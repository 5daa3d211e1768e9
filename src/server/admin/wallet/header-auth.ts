import { base58 } from '@scure/base';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { FastifyRequest } from 'fastify';
import { parseNearPublicKey, type WalletLogin } from '../../../auth/wallet.ts';

/**
 * The seed's header authentication (tags before 0.8): `signing_key` (ed25519, NEAR `ed25519:` form or bare
 * base58), `wallet_type` (JSON), `signature` (base58 ed25519 of the raw `challenge` bytes), `challenge`
 * (base58) and optional `context_id`. Stricter than upstream, which let unknown keys through once a root key
 * existed and took any bytes as the challenge: the key must be a registered client or root key, and the
 * challenge must be a nonce this node issued (request-challenge) that has not expired.
 */
export async function walletHeaderAuth(req: FastifyRequest, wallet: WalletLogin): Promise<boolean> {
  const h = req.headers;
  const signingKey = h['signing_key'] ?? h['signing-key'];
  const walletType = h['wallet_type'] ?? h['wallet-type'];
  const signature = h['signature'];
  const challenge = h['challenge'];
  if (typeof signingKey !== 'string' || typeof signature !== 'string' || typeof challenge !== 'string') return false;
  if (typeof walletType !== 'string') return false;
  try {
    JSON.parse(walletType);
  } catch {
    return false;
  }
  const pk = parseNearPublicKey(signingKey);
  let sig: Uint8Array;
  let msg: Uint8Array;
  try {
    sig = base58.decode(signature);
    msg = base58.decode(challenge);
  } catch {
    return false;
  }
  if (!pk || sig.length !== 64 || msg.length !== 32) return false;
  if (!wallet.challenges.isOutstanding(Buffer.from(msg).toString('base64'))) return false;
  const contextId = h['context_id'] ?? h['context-id'];
  const known =
    (await wallet.keys.isClientKey(signingKey, typeof contextId === 'string' ? contextId : undefined)) ||
    (await wallet.keys.getRootKey(signingKey)) !== null;
  if (!known) return false;
  try {
    return ed25519.verify(sig, msg, pk);
  } catch {
    return false;
  }
}
