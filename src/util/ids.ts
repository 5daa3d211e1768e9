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

/** base58 (Bitcoin alphabet) of 32 raw bytes, as upstream serialises ContextId/ApplicationId/BlobId/PublicKey/Hash. */
export function encodeId(bytes: Uint8Array): string {
  if (bytes.length !== 32) throw new IdError(`expected 32 bytes, got ${bytes.length}`);
  return base58.encode(bytes);
}

/** Decodes a base58 id; the message texts follow upstream's (docs/wire.md, Ids). */
export function decodeId(s: unknown): Uint8Array {
  if (typeof s !== 'string') throw new IdError('invalid type: expected a base58 encoded hash');
  if (s.length > 45) throw new IdError('buffer provided to decode base58 encoded string into was too small');
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
