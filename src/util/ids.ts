import { base58 } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { DomainError } from './errors.ts';

/** The all-zero 32-byte id: upstream's "uninitialised" root hash and the identity pool's context id. */
export const ZERO32 = new Uint8Array(32);

/** A malformed id (from a client or a peer); the message follows upstream's text. */
export class IdError extends DomainError<'invalid_id'> {
  constructor(message: string) {
    super('invalid_id', message);
  }
}

/**
 * The last ids encoded and decoded (base58 of 32 bytes is a big-number conversion, ~10 µs each way, and every
 * call converts the same few context, application and identity ids). Bounded; the oldest entry leaves first.
 */
const MEMO_MAX = 4096;
const encoded = new Map<string, string>();
const decoded = new Map<string, Uint8Array>();
function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  memo.set(key, value);
  if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
  return value;
}

/** base58 (Bitcoin alphabet) of 32 raw bytes, as upstream serialises ContextId/ApplicationId/BlobId/PublicKey/Hash. */
export function encodeId(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new IdError(`expected 32 bytes, got ${bytes.length}`);
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, 32).toString('latin1');
  return encoded.get(key) ?? remember(encoded, key, base58.encode(bytes));
}

/** Decodes a base58 id; the message texts follow upstream's (docs/wire.md, Ids). */
export function decodeId(s: unknown): Uint8Array {
  if (typeof s !== 'string') throw new IdError('invalid type: expected a base58 encoded hash');
  if (s.length > 45) throw new IdError('buffer provided to decode base58 encoded string into was too small');
  const known = decoded.get(s);
  if (known) return known.slice(); // a copy: callers own what they get
  let out: Uint8Array;
  try {
    out = base58.decode(s);
  } catch {
    const bad = [...s].findIndex((c) => !'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'.includes(c));
    throw new IdError(
      bad >= 0
        ? `provided string contained invalid character '${s[bad]}' at byte ${bad}`
        : 'invalid base58 string',
    );
  }
  if (out.length !== 32) throw new IdError(`invalid length ${out.length}, expected a base58 encoded hash`);
  remember(decoded, s, out.slice());
  return out;
}

export function isId(s: unknown): s is string {
  try {
    decodeId(s);
    return true;
  } catch {
    return false;
  }
}

export function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

/** The one map key for an id held as bytes (hex): for Maps and Sets keyed by context, entry or member ids. */
export function idKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Whether two ids (or any byte strings) are equal. */
export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
