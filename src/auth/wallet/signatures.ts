import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { type AddPublicKeyRequest, AddPublicKeyRequestSchema, EthSignatureMessageMetadataSchema, NearSignatureMessageMetadataSchema, WalletError, type WalletType } from './schemas.ts';
import { type ChallengeStore, decodeBase64Strict, te } from './challenge.ts';

// ---------------------------------------------------------------------------------------------------------
// NEAR

const NEP413_TAG = 2_147_484_061; // 2^31 + 413

function borshString(s: string): Uint8Array {
  const b = te.encode(s);
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length, true);
  out.set(b, 4);
  return out;
}

/**
 * sha256 of borsh `{tag: u32 = 2^31+413, message: String, nonce: [u8;32], recipient: String,
 * callback_url: Option<String>}` — what NEAR wallets sign for `signMessage` (as the 0.7.0 server built it,
 * always with `Some(callbackUrl)`).
 */
export function nearPayloadHash(message: string, nonce: Uint8Array, recipient: string, callbackUrl: string): Uint8Array {
  if (nonce.length !== 32) throw new WalletError('Invalid nonce length');
  const tag = new Uint8Array(4);
  new DataView(tag.buffer).setUint32(0, NEP413_TAG, true);
  const parts = [tag, borshString(message), nonce, borshString(recipient), Uint8Array.of(1), borshString(callbackUrl)];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return sha256(all);
}

/** Parses `ed25519:<base58>` (prefix optional) into 32 bytes. */
export function parseNearPublicKey(s: string): Uint8Array | null {
  try {
    const k = base58.decode(s.replace(/^ed25519:/, ''));
    return k.length === 32 ? k : null;
  } catch {
    return null;
  }
}

/** upstream `verify_near_signature(challenge, message, app, callback_url, signature_base64, public_key)`. */
export function verifyNearSignature(args: {
  nonce: string; // base64 of 32 bytes
  message: string;
  recipient: string;
  callbackUrl: string;
  signature: string; // base64 of 64 bytes
  publicKey: string; // ed25519:<base58>
}): boolean {
  const nonce = decodeBase64Strict(args.nonce);
  const sig = decodeBase64Strict(args.signature);
  const pk = parseNearPublicKey(args.publicKey);
  if (!nonce || nonce.length !== 32 || !sig || sig.length !== 64 || !pk) return false;
  try {
    return ed25519.verify(sig, nearPayloadHash(args.message, nonce, args.recipient, args.callbackUrl), pk);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ETH / MetaMask

/** keccak256("\x19Ethereum Signed Message:\n" + byteLength(message) + message) — `personal_sign`. */
export function ethMessageHash(message: string): Uint8Array {
  const m = te.encode(message);
  const prefix = te.encode(`\x19Ethereum Signed Message:\n${m.length}`);
  const all = new Uint8Array(prefix.length + m.length);
  all.set(prefix);
  all.set(m, prefix.length);
  return keccak_256(all);
}

/** `0x` + hex of the last 20 bytes of keccak256(uncompressed public key without the 0x04 prefix). */
export function ethAddressOf(publicKey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(publicKey);
  const raw = point.toBytes(false).subarray(1);
  return `0x${Buffer.from(keccak_256(raw).subarray(12)).toString('hex')}`;
}

/** Recovers the signer address of a 65-byte `r‖s‖v` personal_sign signature (v = 27/28 or 0/1). */
export function recoverEthAddress(message: string, signatureHex: string): string {
  const hex = signatureHex.replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new WalletError('Cannot decode signature.');
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length !== 65) throw new WalletError('Signature must be 65 bytes long.');
  const v = bytes[64]!;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new WalletError('Cannot recover public key.');
  try {
    const sig = secp256k1.Signature.fromBytes(bytes.subarray(0, 64), 'compact').addRecoveryBit(recovery);
    const point = sig.recoverPublicKey(ethMessageHash(message));
    return ethAddressOf(point.toBytes(false));
  } catch {
    throw new WalletError('Cannot recover public key.');
  }
}

/** upstream `verify_eth_signature(account, message, signature)`: throws unless the signer is `account`. */
export function verifyEthSignature(account: string, message: string, signatureHex: string): true {
  const recovered = recoverEthAddress(message, signatureHex);
  if (recovered.toLowerCase() !== account.toLowerCase()) throw new WalletError('Public key and account does not match.');
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// request verification

export interface VerifiedWalletRequest {
  request: AddPublicKeyRequest;
  wallet: WalletType;
  /** The wallet's key (NEAR `ed25519:…`, ETH address): becomes/identifies the root key. */
  verifyingKey: string;
  /** The client key being registered (`payload.message.publicKey`). */
  clientPublicKey: string;
  walletAddress: string;
}

/** Parses a body with {@link AddPublicKeyRequestSchema}; throws a 400 WalletError listing the problems. */
export function parseAddPublicKeyRequest(body: unknown): AddPublicKeyRequest {
  const r = AddPublicKeyRequestSchema.safeParse(body);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new WalletError(`Invalid request body: ${msg}`);
  }
  return r.data;
}

/** Checks the wallet signature over the challenge payload (no challenge-store/state checks). */
export function verifyWalletSignature(req: AddPublicKeyRequest): void {
  const { wallet } = req.walletMetadata;
  const msg = req.payload.message;
  switch (wallet.type) {
    case 'NEAR': {
      const meta = NearSignatureMessageMetadataSchema.safeParse(req.payload.metadata);
      if (!meta.success) throw new WalletError('Invalid metadata.');
      if (typeof req.walletSignature !== 'string') throw new WalletError('Invalid wallet signature type.');
      const valid = verifyNearSignature({
        nonce: msg.nonce,
        message: msg.message,
        recipient: meta.data.recipient,
        callbackUrl: meta.data.callbackUrl,
        signature: req.walletSignature,
        publicKey: req.walletMetadata.verifyingKey,
      });
      if (!valid) throw new WalletError('Node signature is invalid. Please check the signature.');
      return;
    }
    case 'ETH': {
      const meta = EthSignatureMessageMetadataSchema.safeParse(req.payload.metadata);
      if (!meta.success) throw new WalletError('Invalid metadata.');
      if (typeof req.walletSignature !== 'string') throw new WalletError('Invalid wallet signature type.');
      verifyEthSignature(req.walletMetadata.verifyingKey, msg.message, req.walletSignature);
      return;
    }
    default:
      throw new WalletError('Unsupported wallet type.');
  }
}

/**
 * Full check of an `add-client-key`/`root-key` body against a challenge we issued: node signature,
 * age ≤ 15 min, wallet signature, then the nonce is consumed (a replay is refused). Throws {@link WalletError}.
 */
export function verifyAddPublicKeyRequest(body: unknown, challenges: ChallengeStore): VerifiedWalletRequest {
  const req = parseAddPublicKeyRequest(body);
  const msg = req.payload.message;
  challenges.check({ nonce: msg.nonce, contextId: msg.contextId ?? null, timestamp: msg.timestamp }, msg.nodeSignature);
  verifyWalletSignature(req);
  if (!challenges.consume(msg.nonce)) {
    throw new WalletError('Challenge not found or already used. Please request a new challenge.');
  }
  return {
    request: req,
    wallet: req.walletMetadata.wallet,
    verifyingKey: req.walletMetadata.verifyingKey,
    clientPublicKey: msg.publicKey,
    walletAddress: req.walletMetadata.wallet.type === 'NEAR' ? (req.walletMetadata.walletAddress ?? '') : '',
  };
}
