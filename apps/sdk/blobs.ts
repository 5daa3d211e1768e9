// Blobs through the host ABI: write one in a single piece, read one back whole, announce one to a context.
// Imported directly (`../sdk/blobs`), like the rest of the SDK a thin layer over env.ts.
import * as env from "./env";
import { bufOf } from "./buffer";

/** Pieces read per blob_read call (the host caps one read at its chunk size). */
const READ_PIECE: i32 = 64 * 1024;

/** Stores `data` as a blob (the node keeps it once the call commits); returns its 32-byte id. */
export function blobCreate(data: Uint8Array): Uint8Array {
  const fd = env.blob_create();
  if (data.length > 0) env.blob_write(fd, <u64>bufOf(data));
  const id = new Uint8Array(32);
  if (env.blob_close(fd, <u64>bufOf(id)) != 1) abort("blob_close failed");
  return id;
}

/** A blob's bytes (empty when the node cannot find it, here or at the context's other members). */
export function blobRead(id: Uint8Array): Uint8Array {
  const fd = env.blob_open(<u64>bufOf(id));
  const parts: Uint8Array[] = [];
  let total: i32 = 0;
  for (;;) {
    const piece = new Uint8Array(READ_PIECE);
    const n = <i32>env.blob_read(fd, <u64>bufOf(piece));
    if (n == 0) break;
    parts.push(piece.subarray(0, n));
    total += n;
  }
  env.blob_close(fd, <u64>bufOf(new Uint8Array(32)));
  const out = new Uint8Array(total);
  let off: i32 = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], off);
    off += parts[i].length;
  }
  return out;
}

/** Shares a blob with the members of a context (the node acts on it once the call commits). */
export function blobAnnounce(id: Uint8Array, contextId: Uint8Array): bool {
  return env.blob_announce_to_context(<u64>bufOf(id), <u64>bufOf(contextId)) == 1;
}
