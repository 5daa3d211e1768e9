import { createReadStream } from 'node:fs';
import { DomainError } from '../util/errors.ts';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { sha256 } from '@noble/hashes/sha2.js';
import { base58 } from '@scure/base';
import { Batch, type Store } from '../store/store.ts';
import { hash } from '../util/ids.ts';
import { KeyedMutex } from '../util/mutex.ts';

/** Upstream chunk size: blobs are stored as 1 MiB content-addressed chunks (docs/internals.md). */
export const CHUNK_SIZE = 1 << 20;

/** Marks a chunk file an upload is still writing (never a content name: base58 has no dot). */
const STAGED = '.staged-';

interface BlobMeta {
  size: number;
  /** sha256 of the whole content (base58); for a chunk this equals its id. */
  hash: string;
  /** Root blobs list their chunk ids (base58); chunks have none. */
  links: string[];
  root: boolean;
  /** Chunks only: how many root blobs use this chunk. */
  refs?: number;
  /**
   * Root blobs only: stored by the node for its own use (an application install) and by nobody else since.
   * Only such a blob may be collected when its last user goes ({@link BlobStore.collect}); an upload clears it.
   */
  nodeOwned?: boolean;
}

export interface PutOptions {
  /** Refuse (BlobError `too_large`) past this many bytes. */
  limit?: number;
  /** Refuse (BlobError `hash_mismatch`) unless the content's sha256 is this. */
  expectedHash?: Uint8Array;
  /**
   * Refuse (BlobError `hash_mismatch`) unless the content gets this blob id: a blob fetched from a peer is checked
   * against the id it was asked for before its metadata is written (its chunk files are removed again).
   */
  expectedId?: Uint8Array;
  /**
   * `'node'`: the node stores this for itself (an application's module), so it may collect it once unused.
   * Anything else (an upload, a blob from a context) keeps the blob until it is deleted explicitly.
   */
  owner?: 'node';
}

/** Why the blob store refused a blob: over the size limit, or content not matching the announced hash. */
export type BlobErrorCode = 'too_large' | 'hash_mismatch';
export class BlobError extends DomainError<BlobErrorCode> {}

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

  /**
   * Streams `input` into the store. Rejects with BlobError `too_large` past `limit` bytes.
   *
   * Chunks are staged in files of this call's own, renamed to their content names only under the metadata lock,
   * together with the record that counts them. So a chunk file is never removed under a blob that is being
   * stored: a failed upload removes only what it staged, and a deletion (also under the lock) cannot run between
   * an upload finding a chunk file and recording its use of it. Two uploads of the same content each stage it;
   * the second to commit finds the file and drops its copy.
   */
  async put(input: AsyncIterable<Uint8Array> | Uint8Array, o: PutOptions = {}): Promise<BlobInfo> {
    await mkdir(this.dir, { recursive: true });
    const limit = o.limit ?? Number.MAX_SAFE_INTEGER;
    const whole = sha256.create();
    const chunkIds: Uint8Array[] = [];
    const staged = new Map<string, string>();
    let size = 0;
    let pending: Buffer[] = [];
    let pendingLen = 0;

    const stage = async (chunk: Buffer) => {
      const id = sha256(chunk);
      const name = base58.encode(id);
      chunkIds.push(id);
      if (staged.has(name)) return;
      const tmp = this.chunkPath(`${name}${STAGED}${process.pid}-${Math.random().toString(36).slice(2)}`);
      staged.set(name, tmp);
      const fh = await open(tmp, 'w');
      try {
        await fh.write(chunk);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    };

    const source = input instanceof Uint8Array ? [input] : input;
    try {
      for await (const piece of source) {
        const buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        size += buf.length;
        if (size > limit) throw new BlobError('too_large', `blob exceeds the limit of ${limit} bytes`);
        whole.update(buf);
        pending.push(buf);
        pendingLen += buf.length;
        while (pendingLen >= CHUNK_SIZE) {
          const all = Buffer.concat(pending);
          await stage(all.subarray(0, CHUNK_SIZE));
          const rest = all.subarray(CHUNK_SIZE);
          pending = rest.length ? [rest] : [];
          pendingLen = rest.length;
        }
      }
      if (pendingLen > 0) await stage(Buffer.concat(pending));
      const fileHash = whole.digest();
      if (o.expectedHash && !Buffer.from(o.expectedHash).equals(Buffer.from(fileHash))) {
        throw new BlobError('hash_mismatch', 'fatal: blob hash mismatch');
      }
      const blobId = hash(...chunkIds);
      if (o.expectedId && !Buffer.from(o.expectedId).equals(Buffer.from(blobId))) {
        throw new BlobError('hash_mismatch', 'blob id mismatch: the content does not hash to the requested id');
      }
      await this.lock.run('meta', () => this.commitLocked(blobId, size, fileHash, chunkIds, staged, o.owner === 'node'));
      return { blobId, size, hash: fileHash };
    } finally {
      // What was renamed into place is gone from here; the rest (a refusal, a chunk stored already) is dropped.
      for (const tmp of staged.values()) await rm(tmp, { force: true });
    }
  }

  private async commitLocked(
    blobId: Uint8Array,
    size: number,
    fileHash: Uint8Array,
    chunkIds: Uint8Array[],
    staged: Map<string, string>,
    nodeOwned: boolean,
  ): Promise<void> {
    const existing = await this.meta(blobId);
    if (existing?.root) {
      // Same content stored before. Someone other than the node storing it too makes it theirs: never collected.
      if (existing.nodeOwned && !nodeOwned) {
        delete existing.nodeOwned;
        await this.store.put('blobs', blobId, JSON.stringify(existing));
      }
      return;
    }
    let renamed = false;
    for (const [name, tmp] of staged) {
      const path = this.chunkPath(name);
      if (await stat(path).then(() => true, () => false)) continue;
      await rename(tmp, path);
      renamed = true;
    }
    // The renames are entries of the blob directory: synced before the record that names the chunks is written,
    // so a power cut cannot leave a durable record pointing at chunk files that are gone.
    if (renamed) await syncDir(this.dir);
    const batch = new Batch();
    for (const id of chunkIds) {
      const m = (await this.meta(id)) ?? { size: 0, hash: base58.encode(id), links: [], root: false, refs: 0 };
      if (!m.root) {
        m.refs = (m.refs ?? 0) + 1;
        batch.put('blobs', id, JSON.stringify(m));
      }
    }
    const chunks = chunkIds.map((id) => base58.encode(id));
    const root: BlobMeta = { size, hash: base58.encode(fileHash), links: chunks, root: true, ...(nodeOwned ? { nodeOwned } : {}) };
    batch.put('blobs', blobId, JSON.stringify(root));
    await this.store.commit(batch);
  }

  /** Removes chunk files staged by uploads a crash interrupted; the node calls it at start, before any upload. */
  async sweep(): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const left = names.filter((n) => n.includes(STAGED));
    for (const n of left) await rm(this.chunkPath(n), { force: true });
    return left.length;
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

  /**
   * Deletes a blob the node stored for itself ({@link PutOptions.owner} `'node'`) unless `inUse()` says something
   * still needs it; a blob anyone else stored (an upload) is kept. `inUse` runs under the store's lock, so an
   * upload of the same content cannot slip in between the check and the deletion. True if it was deleted.
   */
  collect(blobId: Uint8Array, inUse: () => Promise<boolean>): Promise<boolean> {
    return this.lock.run('meta', async () => {
      const m = await this.meta(blobId);
      if (!m?.root || !m.nodeOwned || (await inUse())) return false;
      return this.deleteLocked(blobId);
    });
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

/** fsync of a directory: makes the entries created or renamed in it durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
