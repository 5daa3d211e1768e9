// Allocation-lean helpers for walking large states. Under the stub runtime nothing allocated is ever freed
// during a call, so a method that touches every entry must not make a few strings per entry: these read records
// into reused buffers and write a JSON answer as UTF-8 bytes directly.
import * as env from "./env";
import { writeBuf } from "./buffer";

/** The register these helpers read into (upstream's DATA_REGISTER = u64::MAX - 1, as the rest of the SDK). */
const REGISTER: u64 = u64.MAX_VALUE - 1;

/** A growable byte buffer: a JSON text built without intermediate strings. */
export class ByteWriter {
  buf: Uint8Array;
  len: i32 = 0;

  constructor(capacity: i32 = 4096) { this.buf = new Uint8Array(capacity); }

  private reserve(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = next;
  }

  byte(b: u8): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** ASCII text as it is (punctuation, literals). */
  ascii(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(<u8>s.charCodeAt(i));
  }

  /** A JSON string of the UTF-8 bytes at `ptr` (quote, backslash and control characters escaped). */
  jsonString(ptr: usize, n: i32): void {
    this.reserve(n + 2);
    this.byte(34);
    for (let i = 0; i < n; i++) {
      const c = load<u8>(ptr + <usize>i);
      if (c == 34 || c == 92) {
        this.byte(92);
        this.byte(c);
      } else if (c < 32) {
        this.ascii("\\u00");
        this.byte(<u8>(c < 16 ? 48 : 49));
        const d = c & 15;
        this.byte(<u8>(d < 10 ? 48 + d : 87 + d));
      } else this.byte(c);
    }
    this.byte(34);
  }

  bytes(): Uint8Array { return this.buf.subarray(0, this.len); }
}

/** Reads records into reused buffers: nothing is allocated per read once the buffers are large enough. */
export class RecordReader {
  private desc: usize = heap.alloc(16);
  /** The last key read: `keyLen` bytes. */
  key: Uint8Array = new Uint8Array(256);
  keyLen: i32 = 0;
  /** The last value read (valid until the next read). */
  value: Uint8Array = new Uint8Array(256);

  /** Reads the record `prefix` ‖ UTF-8 of `name`: the value's length, or -1 when there is none. */
  read(prefix: Uint8Array, name: string): i32 {
    const need = prefix.length + String.UTF8.byteLength(name);
    if (need > this.key.length) this.key = new Uint8Array(need * 2);
    memory.copy(this.key.dataStart, prefix.dataStart, <usize>prefix.length);
    String.UTF8.encodeUnsafe(changetype<usize>(name), name.length, this.key.dataStart + <usize>prefix.length);
    this.keyLen = need;
    writeBuf(this.desc, this.key.dataStart, <usize>need);
    if (env.storage_read(<u64>this.desc, REGISTER) == 0) return -1;
    const len = <i32>env.register_len(REGISTER);
    if (len > this.value.length) this.value = new Uint8Array(len * 2);
    writeBuf(this.desc, this.value.dataStart, <usize>len);
    if (env.read_register(REGISTER, <u64>this.desc) != 1) abort("Buffer is too small.");
    return len;
  }
}

/**
 * A JSON list of strings as the SDK writes it (`["a","b"]`, no spaces): its items, without building a JSON
 * tree. Null when the text is anything else (a string with escapes included): parse it fully then.
 */
export function simpleStringList(raw: string): string[] | null {
  const n = raw.length;
  if (n < 2 || raw.charCodeAt(0) != 91) return null;
  const out = new Array<string>();
  let i = 1;
  while (i < n) {
    const c = raw.charCodeAt(i);
    if (c == 93) return i == n - 1 ? out : null;
    if (c == 44 && out.length > 0) { i++; continue; }
    if (c != 34) return null;
    let j = i + 1;
    while (j < n) {
      const d = raw.charCodeAt(j);
      if (d == 34) break;
      if (d == 92) return null;
      j++;
    }
    if (j >= n) return null;
    out.push(raw.substring(i + 1, j));
    i = j + 1;
  }
  return null;
}
