// Descriptors in guest memory, laid out like upstream calimero-sys (little-endian, u64 fields):
//   Buffer   { ptr: u64, len: u64 }                       16 bytes
//   Location { file: Buffer, line: u32, column: u32 }     24 bytes
//   Event    { kind: Buffer, data: Buffer }               32 bytes
//   XCall    { context_id: Buffer, function: Buffer, params: Buffer } 48 bytes
//   ValueReturn { discriminant: u64 (0 = Ok, 1 = Err), value: Buffer } 24 bytes

/** Writes a Buffer descriptor for `len` bytes at `ptr` into `at`. */
export function writeBuf(at: usize, ptr: usize, len: usize): void {
  store<u64>(at, <u64>ptr);
  store<u64>(at + 8, <u64>len);
}

/** A fresh Buffer descriptor (heap-allocated) for the bytes of `data`. */
export function bufOf(data: Uint8Array): usize {
  const d = heap.alloc(16);
  writeBuf(d, data.dataStart, <usize>data.length);
  return d;
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

export function bufOfStr(s: string): usize {
  return bufOf(utf8(s));
}

export function strOf(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
}
