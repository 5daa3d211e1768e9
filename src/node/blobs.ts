import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { Batch, type Store } from '../store/store.ts';
import { hash } from '../util/ids.ts';
import { KeyedMutex } from '../util/mutex.ts';

/** Upstream chunk size: blobs are stored as 1 MiB content-addressed chunks (node-internals §1). */
export const CHUNK_SIZE = 1 << 20;

interface BlobMeta {
  size: number;
  /** sha256 of the whole content (base58); for a chunk this equals its id. */
  hash: string;
  /** Root blobs list their chunk ids (base58); chunks have none. */
  links: string[];
  root: boolean;
  /** Chunks only: how many root blobs use this chunk. */
  refs?: number;
}

export class BlobTooLargeError extends Error {}
export class BlobHashMismatchError extends Error {}

export interface BlobInfo {
  blobId: Uint8Array;
  size: number;
  /** sha256 of the whole content. */
  hash: Uint8Array;
}

/**
 * Content-addressed blob store with upstream's ids: content is cut into 1 MiB chunks, each chunk is a file
 * named by base58(sha256(chunk)), and the blob id is sha256 of the concatenated chunk ids. Metadata lives in
 * the `blobs` column; it is written after the chunk files, so a crash never leaves metadata without data.
 */
export class BlobStore {
  /** Serialises metadata updates (chunk reference counts). */
  private readonly lock = new KeyedMutex();

  constructor(
    private readonly store: Store,
    readonly dir: string,
  ) {}

  private chunkPath(id: string): string {
    return join(this.dir, id);
  }

  /** Streams `input` into the store. Rejects with BlobTooLargeError past `limit` bytes. */
  async put(input: AsyncIterable<Uint8Array> | Uint8Array, o: { limit?: number; expectedHash?: Uint8Array } = {}): Promise<BlobInfo> {
    await mkdir(this.dir, { recursive: true });
    const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
    const whole = sha256.create();
    const chunkIds: Uint8Array[] = [];
    const written: string[] = [];
    let size = 0;
    let pending: Buffer[] = [];
    let pendingLen = 0;

    const flushChunk = async (chunk: Buffer) => {
      const id = sha256(chunk);
      const name = base58.encode(id);
      chunkIds.push(id);
      const path = this.chunkPath(name);
      const exists = await stat(path).then(() => true, () => false);
      if (!exists) {
        const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
        const fh = await open(tmp, 'w');
        try {
          await fh.write(chunk);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
        written.push(path);
      }
    };

    const source = input instanceof Uint8Array ? [input] : input;
    try {
      for await (const piece of source) {
        const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        size += buf.length;
        if (size > limit) throw new BlobTooLargeError(`blob exceeds the limit of ${limit} bytes`);
        whole.update(buf);
        pending.push(buf);
        pendingLen += buf.length;
        while (pendingLen >= CHUNK_SIZE) {
          const all = Buffer.concat(pending);
          await flushChunk(all.subarray(0, CHUNK_SIZE));
          const rest = all.subarray(CHUNK_SIZE);
          pending = rest.length ? [rest] : [];
          pendingLen = rest.length;
        }
      }
      if (pendingLen > 0) await flushChunk(Buffer.concat(pending));
      const fileHash = whole.digest();
      if (o.expectedHash && !Buffer.from(o.expectedHash).equals(Buffer.from(fileHash))) {
        throw new BlobHashMismatchError('fatal: blob hash mismatch');
      }
      const blobId = hash(...chunkIds);
      await this.commitMeta(blobId, size, fileHash, chunkIds);
      return { blobId, size, hash: fileHash };
    } catch (err) {
      // Only chunk files this call created and nobody references yet are removed.
      for (const path of written) {
        const name = path.slice(this.dir.length + 1);
        if (!(await this.store.has('blobs', base58.decode(name)))) await rm(path, { force: true });
      }
      throw err;
    }
  }

  private commitMeta(blobId: Uint8Array, size: number, fileHash: Uint8Array, chunkIds: Uint8Array[]): Promise<void> {
    return this.lock.run('meta', () => this.commitMetaLocked(blobId, size, fileHash, chunkIds));
  }

  private async commitMetaLocked(blobId: Uint8Array, size: number, fileHash: Uint8Array, chunkIds: Uint8Array[]): Promise<void> {
    const existing = await this.meta(blobId);
    if (existing?.root) return; // same content stored before: nothing to do
    const batch = new Batch();
    for (const id of chunkIds) {
      const m = (await this.meta(id)) ?? { size: 0, hash: base58.encode(id), links: [], root: false, refs: 0 };
      if (!m.root) {
        m.refs = (m.refs ?? 0) + 1;
        batch.put('blobs', id, JSON.stringify(m));
      }
    }
    const chunks = chunkIds.map((id) => base58.encode(id));
    const root: BlobMeta = { size, hash: base58.encode(fileHash), links: chunks, root: true };
    batch.put('blobs', blobId, JSON.stringify(root));
    await this.store.commit(batch);
  }

  private async meta(id: Uint8Array): Promise<BlobMeta | null> {
    return this.store.getJson<BlobMeta>('blobs', id);
  }

  async info(blobId: Uint8Array): Promise<BlobInfo | null> {
    const m = await this.meta(blobId);
    if (!m?.root) return null;
    return { blobId, size: m.size, hash: base58.decode(m.hash) };
  }

  /** The blob's bytes as a stream (chunk by chunk), or null if it is not stored. */
  async stream(blobId: Uint8Array): Promise<Readable | null> {
    const m = await this.meta(blobId);
    if (!m?.root) return null;
    const paths = m.links.map((c) => this.chunkPath(c));
    async function* gen() {
      for (const p of paths) yield* createReadStream(p);
    }
    return Readable.from(gen());
  }

  async read(blobId: Uint8Array): Promise<Buffer | null> {
    const s = await this.stream(blobId);
    if (!s) return null;
    const parts: Buffer[] = [];
    for await (const c of s) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  async list(): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    for await (const { key, value } of this.store.iterate('blobs')) {
      const m = JSON.parse(value.toString('utf8')) as BlobMeta;
      if (m.root) out.push({ blobId: new Uint8Array(key), size: m.size, hash: base58.decode(m.hash) });
    }
    return out;
  }

  /** Deletes a root blob; chunks no other blob uses are deleted too. Returns false if it was not stored. */
  delete(blobId: Uint8Array): Promise<boolean> {
    return this.lock.run('meta', () => this.deleteLocked(blobId));
  }

  private async deleteLocked(blobId: Uint8Array): Promise<boolean> {
    const m = await this.meta(blobId);
    if (!m?.root) return false;
    const batch = new Batch().delete('blobs', blobId);
    const orphans: string[] = [];
    for (const name of m.links) {
      const id = base58.decode(name);
      const c = await this.meta(id);
      if (!c || c.root) continue;
      c.refs = (c.refs ?? 1) - 1;
      if (c.refs <= 0) {
        batch.delete('blobs', id);
        orphans.push(name);
      } else batch.put('blobs', id, JSON.stringify(c));
    }
    await this.store.commit(batch);
    for (const name of orphans) await rm(this.chunkPath(name), { force: true });
    return true;
  }
}
