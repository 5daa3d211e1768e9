/**
 * A strict borsh reader and writer for calimero-storage payloads.
 *
 * Strict means: every read checks that the bytes are there, option tags are 0 or 1, strings are valid UTF-8,
 * and `end()` refuses leftover bytes. A reader never returns a partial value: on the first violation it throws
 * an `ArtifactError` naming what was wrong and at which offset.
 */
import { DomainError } from '../util/errors.ts';

export type ArtifactErrorCode =
  /** The input ends in the middle of a value. */
  | 'truncated'
  /** A complete value was read but bytes remain after it. */
  | 'trailing_bytes'
  /** An enum or option tag outside the known variants. */
  | 'invalid_tag'
  /** A borsh string that is not UTF-8. */
  | 'invalid_utf8'
  /** A borsh map whose keys are not in strictly ascending order. */
  | 'unsorted_map'
  /** The input parses exactly under more than one metadata layout and they disagree. */
  | 'ambiguous_layout'
  /** An empty artifact: there is nothing to decode (upstream treats it as "no delta"). */
  | 'empty_artifact'
  /** A typed value that cannot be encoded (wrong id length, a field its layout lacks, …). */
  | 'invalid_value';

/** Any refusal of the artifact codec or of the signer. */
export class ArtifactError extends DomainError<ArtifactErrorCode> {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class BorshReader {
  private off = 0;
  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.off;
  }

  get remaining(): number {
    return this.buf.length - this.off;
  }

  private take(n: number, what: string): Uint8Array {
    if (n > this.remaining) {
      throw new ArtifactError('truncated', `truncated input: ${what} needs ${n} bytes at offset ${this.off}, ${this.remaining} left`);
    }
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u8(what = 'u8'): number {
    return this.take(1, what)[0]!;
  }

  u32(what = 'u32'): number {
    const b = this.take(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  u64(what = 'u64'): bigint {
    const b = this.take(8, what);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  /** A fixed-size array; the result is a copy, so it outlives the input buffer. */
  fixed(n: number, what = `[u8; ${n}]`): Uint8Array {
    return this.take(n, what).slice();
  }

  /** `Vec<u8>`. */
  bytes(what = 'Vec<u8>'): Uint8Array {
    const n = this.u32(`${what} length`);
    return this.fixed(n, what);
  }

  string(what = 'String'): string {
    const at = this.off;
    const raw = this.bytes(what);
    try {
      return utf8.decode(raw);
    } catch (cause) {
      this.off = at;
      throw new ArtifactError('invalid_utf8', `${what} at offset ${at} is not valid UTF-8`, { cause });
    }
  }

  /** An enum or option tag; `count` is the number of variants. */
  tag(count: number, what: string): number {
    const at = this.off;
    const t = this.u8(`${what} tag`);
    if (t >= count) {
      this.off = at; // the offset of an error is where the refused value starts
      throw new ArtifactError('invalid_tag', `unknown ${what} tag ${t} at offset ${at}`);
    }
    return t;
  }

  option<T>(read: () => T, what: string): T | null {
    return this.tag(2, `Option<${what}>`) === 1 ? read() : null;
  }

  /**
   * `Vec<T>`. Every element takes at least one byte, so a length beyond the bytes left is refused before any
   * allocation (a forged length cannot make the reader loop or allocate for nothing).
   */
  vec<T>(read: () => T, what: string): T[] {
    const at = this.off;
    const n = this.u32(`Vec<${what}> length`);
    if (n > this.remaining) {
      throw new ArtifactError('truncated', `truncated input: Vec<${what}> at offset ${at} claims ${n} elements, ${this.remaining} bytes left`);
    }
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(read());
    return out;
  }

  /** Refuses any byte left after the value. */
  end(): void {
    if (this.remaining !== 0) {
      throw new ArtifactError('trailing_bytes', `${this.remaining} trailing bytes after offset ${this.off}`);
    }
  }
}

export class BorshWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  u8(n: number): this {
    return this.push(Uint8Array.of(n & 0xff));
  }

  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new ArtifactError('invalid_value', `${n} does not fit a u32`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    return this.push(b);
  }

  u64(n: bigint): this {
    if (n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new ArtifactError('invalid_value', `${n} does not fit a u64`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return this.push(b);
  }

  fixed(bytes: Uint8Array, n: number, what = `[u8; ${n}]`): this {
    if (bytes.length !== n) throw new ArtifactError('invalid_value', `${what} must be ${n} bytes, got ${bytes.length}`);
    return this.push(bytes.slice());
  }

  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    return this.push(bytes.slice());
  }

  string(s: string): this {
    return this.bytes(utf8Encoder.encode(s));
  }

  option<T>(value: T | null | undefined, write: (v: T) => void): this {
    if (value === null || value === undefined) return this.u8(0);
    this.u8(1);
    write(value);
    return this;
  }

  vec<T>(items: readonly T[], write: (v: T) => void): this {
    this.u32(items.length);
    for (const item of items) write(item);
    return this;
  }

  done(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
