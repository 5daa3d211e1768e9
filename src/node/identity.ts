import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import { base58 } from '@scure/base';
import { edPublicKey, edSign } from '../util/ed25519.ts';

/** The node's libp2p identity, stored in config.toml `[identity]` exactly as upstream does. */
export interface NodeIdentity {
  privateKey: PrivateKey;
  peerId: string;
  /** 32-byte ed25519 seed, used to sign node-level messages (e.g. wallet-login challenges). */
  seed: Uint8Array;
  publicKey: Uint8Array;
}

export async function generateIdentity(): Promise<{ peer_id: string; keypair: string }> {
  const key = await generateKeyPair('Ed25519');
  return { peer_id: peerIdFromPrivateKey(key).toString(), keypair: base58.encode(privateKeyToProtobuf(key)) };
}

export function loadIdentity(entry: { peer_id: string; keypair: string }): NodeIdentity {
  let privateKey: PrivateKey;
  try {
    privateKey = privateKeyFromProtobuf(base58.decode(entry.keypair));
  } catch (err) {
    throw new Error(`invalid value for key \`identity.keypair\`: ${(err as Error).message}`);
  }
  if (privateKey.type !== 'Ed25519') throw new Error('invalid value for key `identity.keypair`: expected an Ed25519 key');
  const peerId = peerIdFromPrivateKey(privateKey).toString();
  if (entry.peer_id !== peerId) {
    throw new Error(`invalid value for key \`identity.peer_id\`: ${entry.peer_id} does not match the keypair (${peerId})`);
  }
  const seed = privateKey.raw.slice(0, 32);
  // libp2p's Ed25519 key rebuilds a node:crypto key object from JWK for every signature (~100 µs here, once per
  // gossip message published); the cached key object of util/ed25519.ts signs the same bytes (ed25519 signatures
  // are deterministic) in about half the time.
  privateKey.sign = (message, options) => {
    options?.signal?.throwIfAborted();
    return edSign(seed, message instanceof Uint8Array ? message : message.subarray());
  };
  return { privateKey, peerId, seed, publicKey: edPublicKey(seed) };
}
