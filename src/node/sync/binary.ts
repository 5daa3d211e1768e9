/**
 * The byte layer of the sync encodings (docs/network.md): little-endian integers, u32-length-prefixed byte
 * strings and fixed 32-byte ids, borsh-like so they are cheap to hash and sign. A malformed input raises
 * CodecError (never anything else), so whatever a peer sends is refused the same way.
 */
import { DomainError } from '../../util/errors.ts';

/** Why bytes from a peer (or an invitation) could not be decoded (statuses: src/server/errors.ts). */
export type CodecErrorCode = 'truncated' | 'trailing_bytes' | 'bad_length' | 'too_many' | 'unknown_tag' | 'bad_signature' | 'not_base58';

export class CodecError extends DomainError<CodecErrorCode> {}

// ---- writer / reader ---------------------------------------------------------------------------------------

export class Writer {
  private chunks: Buffer[] = [];
  u8(n: number): this {
    this.chunks.push(Buffer.of(n & 0xff));
    return this;
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    this.chunks.push(b);
    return this;
  }
  u64(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    this.chunks.push(b);
    return this;
  }
  fixed(bytes: Uint8Array, len: number): this {
    if (bytes.length !== len) throw new CodecError('bad_length', `expected ${len} bytes, got ${bytes.length}`);
    this.chunks.push(Buffer.from(bytes));
    return this;
  }
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    this.chunks.push(Buffer.from(bytes));
    return this;
  }
  str(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }
  ids(list: Uint8Array[]): this {
    this.u32(list.length);
    for (const id of list) this.fixed(id, 32);
    return this;
  }
  opt(bytes: Uint8Array | null | undefined): this {
    if (bytes == null) return this.u8(0);
    return this.u8(1).bytes(bytes);
  }
  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export class Reader {
  off = 0;
  constructor(readonly buf: Uint8Array) {}
  private need(n: number): void {
    if (this.off + n > this.buf.length) throw new CodecError('truncated', 'truncated message');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.off++]!;
  }
  u32(): number {
    this.need(4);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.off, 4).readUInt32LE();
    this.off += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.off, 8).readBigUInt64LE();
    this.off += 8;
    return v;
  }
  fixed(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.slice(this.off, this.off + n);
    this.off += n;
    return v;
  }
  bytes(): Uint8Array {
    return this.fixed(this.u32());
  }
  str(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }
  ids(max = 1_000_000): Uint8Array[] {
    const n = this.u32();
    if (n > max) throw new CodecError('too_many', 'too many ids');
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(this.fixed(32));
    return out;
  }
  opt(): Uint8Array | null {
    return this.u8() === 0 ? null : this.bytes();
  }
  end(): void {
    if (this.off !== this.buf.length) throw new CodecError('trailing_bytes', 'trailing bytes');
  }
}
