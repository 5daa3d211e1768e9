/**
 * Blob host functions (upstream host_functions/blobs.rs): write a blob in chunks through a handle, read one back
 * by id, announce one to a context. Blobs the guest creates are reported in the outcome.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { fail, HostTrap, hostErrors } from '../errors.ts';
import { DIGEST, hex, serviceNames, type BlobHandle, type CallContext, type HostFunctions, type Synced } from './call.ts';

/** The node services blobs need (main thread, async). */
export interface BlobServices {
  /** Blob bytes by id; without it the blob_* functions fail with "blob operations not supported". */
  blobRead?(blobId: Uint8Array): Promise<Uint8Array | null>;
  /** Stores a blob the guest created and returns its id (else the runtime derives the id and reports the blob). */
  blobPut?(data: Uint8Array): Promise<Uint8Array>;
}

export const BLOB_SERVICES = serviceNames<BlobServices>({ blobRead: 'blobRead', blobPut: 'blobPut' });

/** The node's blob store cuts blobs into 1 MiB chunks; a blob id is sha256 over the chunk hashes. */
const BLOB_CHUNK = 1 << 20;

/** Blob id the node's blob store gives these bytes (src/node/blobs.ts): sha256 of the concatenated chunk hashes. */
export function blobIdOf(data: Uint8Array): Uint8Array {
  const h = sha256.create();
  if (data.length === 0) return h.digest();
  for (let off = 0; off < data.length; off += BLOB_CHUNK) h.update(sha256(data.subarray(off, off + BLOB_CHUNK)));
  return h.digest();
}

export function blobs(cx: CallContext<Synced<BlobServices>>): HostFunctions {
  const supported = (): void => {
    if (typeof cx.host.blobRead !== 'function') fail('BlobsNotSupported');
  };

  const open = (handle: BlobHandle): bigint => {
    if (cx.blobHandles.size >= cx.limits.maxBlobHandles) throw new HostTrap(hostErrors.tooManyBlobHandles(cx.limits.maxBlobHandles));
    const fd = cx.nextBlobFd++;
    cx.blobHandles.set(fd, handle);
    return fd;
  };

  /** A blob's bytes: one this call created, else the node's. */
  const bytesOf = (blobId: Uint8Array): Uint8Array | null => {
    const id = hex(blobId);
    const own = cx.effects.blobs.find((b) => hex(b.id) === id);
    if (own) return own.data;
    return cx.host.blobRead!(blobId);
  };

  return {
    blob_create: () => {
      supported();
      return open({ kind: 'write', chunks: [], size: 0 });
    },
    blob_write: (fd, dataPtr) => {
      const b = cx.memory.buffer(dataPtr);
      supported();
      if (b.len > cx.limits.maxBlobChunkSize) throw new HostTrap(hostErrors.blobWriteTooLarge(b.len, cx.limits.maxBlobChunkSize));
      const data = cx.memory.slice(b);
      const h = cx.blobHandles.get(fd);
      if (!h || h.kind !== 'write') fail('InvalidBlobHandle');
      h.chunks.push(data);
      h.size += data.length;
      return BigInt(data.length);
    },
    blob_close: (fd, idPtr) => {
      const dest = cx.memory.buffer(idPtr);
      if (dest.len !== DIGEST) fail('InvalidMemoryAccess');
      supported();
      cx.memory.view(dest);
      const h = cx.blobHandles.get(fd);
      if (!h) fail('InvalidBlobHandle');
      cx.blobHandles.delete(fd);
      let id: Uint8Array;
      if (h.kind === 'write') {
        const data = Buffer.concat(h.chunks);
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        id = cx.host.blobPut ? cx.host.blobPut(bytes) : blobIdOf(bytes);
        cx.effects.blobs.push({ id, data: bytes });
      } else id = h.blobId;
      cx.memory.view(dest).set(id);
      return 1;
    },
    blob_open: (idPtr) => {
      const b = cx.memory.buffer(idPtr);
      supported();
      if (cx.blobHandles.size >= cx.limits.maxBlobHandles) throw new HostTrap(hostErrors.tooManyBlobHandles(cx.limits.maxBlobHandles));
      const blobId = cx.memory.sized(b, DIGEST);
      return open({ kind: 'read', blobId, data: undefined, position: 0 });
    },
    blob_read: (fd, destPtr) => {
      const dest = cx.memory.buffer(destPtr);
      supported();
      if (dest.len > cx.limits.maxBlobChunkSize) throw new HostTrap(hostErrors.blobBufferTooLarge(dest.len, cx.limits.maxBlobChunkSize));
      if (dest.len === 0) return 0n;
      const h = cx.blobHandles.get(fd);
      if (!h || h.kind !== 'read') fail('InvalidBlobHandle');
      if (h.data === undefined) h.data = bytesOf(h.blobId);
      if (!h.data) return 0n;
      const chunk = h.data.subarray(h.position, h.position + dest.len);
      if (chunk.length > 0) cx.memory.view({ ptr: dest.ptr, len: chunk.length }).set(chunk);
      h.position += chunk.length;
      return BigInt(chunk.length);
    },
    blob_announce_to_context: (blobPtr, ctxPtr) => {
      supported();
      const blobId = cx.memory.sized(cx.memory.buffer(blobPtr), DIGEST);
      const contextId = cx.memory.sized(cx.memory.buffer(ctxPtr), DIGEST);
      if (!bytesOf(blobId)) fail('BlobsNotSupported');
      cx.effects.blobAnnouncements.push({ blobId, contextId });
      return 1;
    },
  };
}
