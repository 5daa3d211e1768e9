import { open } from 'node:fs/promises';
import RocksDB, { type WriteBatch } from 'rocksdb-native';

/**
 * Column families of the node store. Names follow upstream's RocksDB layout (node-internals §2.6) where
 * upstream has one; `sse` and `auth` are ours. Values are our own encodings (JSON or raw bytes): the file
 * format is private to this node, only ids and wire shapes are shared with upstream.
 */
export const COLUMNS = [
  'meta', // context meta: contextId -> JSON {applicationId, rootHash, dagHeads}
  'config', // context config
  'identity', // contextId ‖ publicKey -> JSON {privateKey?, senderKey?}
  'state', // contextId ‖ key -> raw value written by the app
  'private_state',
  'delta',
  'blobs', // blobId -> JSON BlobMeta
  'application', // applicationId -> JSON ApplicationMeta
  'alias',
  'generic', // scope ‖ fragment -> raw (certificates, node settings)
  'sse', // SSE sessions: u64 BE session id -> JSON
  'auth', // auth service: namespaced keys
] as const;
export type Column = (typeof COLUMNS)[number];

export type Bytes = Uint8Array;

export interface IterateOptions {
  /** Only keys starting with this prefix. */
  prefix?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  reverse?: boolean;
  limit?: number;
}

/** A set of writes applied atomically by {@link Store.commit}. */
export class Batch {
  readonly ops: Array<{ col: Column; key: Buffer; value: Buffer | null }> = [];
  put(col: Column, key: Bytes, value: Bytes | string): this {
    this.ops.push({ col, key: Buffer.from(key), value: Buffer.from(value as Uint8Array) });
    return this;
  }
  delete(col: Column, key: Bytes): this {
    this.ops.push({ col, key: Buffer.from(key), value: null });
    return this;
  }
  get size(): number {
    return this.ops.length;
  }
}

export interface StoreOptions {
  /** fdatasync the write-ahead log after every commit (durable across power loss, not only process crash). */
  sync?: boolean;
}

/** Returns the smallest key greater than every key that starts with `prefix` (undefined if none). */
export function prefixEnd(prefix: Bytes): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Points the operation just queued on `w` at the column family of `target` (rocksdb-native 3.x internals:
 * `batch._operations[i].columnFamily` is the native handle `session._columnFamily._handle`). Checked on every
 * call, so a dependency upgrade that changes these internals fails loudly instead of writing elsewhere.
 */
function retarget(w: WriteBatch, target: RocksDB): void {
  const ops = (w as unknown as { _operations?: Array<{ columnFamily?: unknown }> })._operations;
  const op = ops?.[ops.length - 1];
  const from = (w as unknown as { _db?: { _columnFamily?: { _handle?: unknown } } })._db?._columnFamily?._handle;
  const to = (target as unknown as { _columnFamily?: { _handle?: unknown } })._columnFamily?._handle;
  if (!op || from === undefined || to === undefined || op.columnFamily !== from) {
    throw new Error('rocksdb-native internals changed: cannot build a cross-column-family write batch');
  }
  op.columnFamily = to;
}

/**
 * The node's embedded store: RocksDB with one column family per kind of record. All writes go through
 * atomic batches; RocksDB's write-ahead log makes each committed batch survive a process crash, and with
 * `sync` the log is also fdatasync'ed before commit() resolves.
 */
export class Store {
  private readonly cfs = new Map<Column, RocksDB>();
  private closed = false;
  private pending = 0;
  private idle: (() => void) | null = null;

  private constructor(
    readonly path: string,
    private readonly db: RocksDB,
    private readonly opts: StoreOptions,
  ) {
    for (const c of COLUMNS) this.cfs.set(c, db.columnFamily(c));
  }

  static async open(path: string, opts: StoreOptions = {}): Promise<Store> {
    const db = new RocksDB(path, { columnFamilies: [...COLUMNS] });
    try {
      await db.ready();
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      if (/lock/i.test(msg)) {
        throw new Error(`the store at ${path} is in use by another process (${msg})`);
      }
      throw new Error(`cannot open the store at ${path}: ${msg}`);
    }
    return new Store(path, db, opts);
  }

  private cf(col: Column): RocksDB {
    if (this.closed) throw new Error('store is closed');
    return this.cfs.get(col)!;
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await p;
    } finally {
      if (--this.pending === 0 && this.idle) this.idle();
    }
  }

  async get(col: Column, key: Bytes): Promise<Buffer | null> {
    return this.track(this.cf(col).get(Buffer.from(key)));
  }

  async getJson<T>(col: Column, key: Bytes): Promise<T | null> {
    const v = await this.get(col, key);
    return v ? (JSON.parse(v.toString('utf8')) as T) : null;
  }

  async has(col: Column, key: Bytes): Promise<boolean> {
    return (await this.get(col, key)) !== null;
  }

  async put(col: Column, key: Bytes, value: Bytes | string): Promise<void> {
    await this.commit(new Batch().put(col, key, value));
  }

  async delete(col: Column, key: Bytes): Promise<void> {
    await this.commit(new Batch().delete(col, key));
  }

  /**
   * Applies every write of the batch atomically: one RocksDB WriteBatch (one WAL record) across column
   * families, so a crash never leaves part of a batch behind. With `sync`, the WAL is fdatasync'ed before
   * this resolves.
   */
  async commit(batch: Batch): Promise<void> {
    if (batch.size === 0) return;
    await this.track(this.commitInner(batch));
  }

  private async commitInner(batch: Batch): Promise<void> {
    // Reliability fix (crash test, issue #7): this used to write one native batch per column family in turn,
    // so a SIGKILL between them could persist a mutation's `state` writes without its `meta` (the state digest
    // then disagreed with the entries for good). rocksdb-native queues each operation with the column family
    // of the session that queued it and applies the whole list as a single `DB::Write(WriteBatch)`; we queue
    // every operation on one batch and point each at its own column family.
    const w = this.cf('meta').write();
    try {
      for (const op of batch.ops) {
        if (op.value === null) w.tryDelete(op.key);
        else w.tryPut(op.key, op.value);
        retarget(w, this.cf(op.col));
      }
      await w.flush();
    } finally {
      w.destroy();
    }
    if (this.opts.sync) await this.syncWal();
  }

  /** fdatasync the current WAL file so committed writes survive power loss. */
  private async syncWal(): Promise<void> {
    const wal = await this.db.currentWalFile();
    if (!wal?.path) return;
    const fh = await open(wal.path, 'r').catch(() => null);
    if (!fh) return;
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async *iterate(col: Column, o: IterateOptions = {}): AsyncGenerator<{ key: Buffer; value: Buffer }> {
    const range: Record<string, unknown> = {};
    if (o.prefix) {
      range.gte = Buffer.from(o.prefix);
      const end = prefixEnd(o.prefix);
      if (end) range.lt = end;
    }
    if (o.gte) range.gte = Buffer.from(o.gte);
    if (o.lt) range.lt = Buffer.from(o.lt);
    if (o.reverse) range.reverse = true;
    if (o.limit !== undefined) range.limit = o.limit;
    this.pending++;
    try {
      for await (const entry of this.cf(col).iterator(range)) yield entry;
    } finally {
      if (--this.pending === 0 && this.idle) this.idle();
    }
  }

  async keys(col: Column, o: IterateOptions = {}): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for await (const { key } of this.iterate(col, o)) out.push(key);
    return out;
  }

  /** Deletes every key with the given prefix in one batch. */
  async deletePrefix(col: Column, prefix: Bytes, batch = new Batch()): Promise<Batch> {
    for (const key of await this.keys(col, { prefix })) batch.delete(col, key);
    return batch;
  }

  /** Waits for in-flight operations, then closes RocksDB (memtables are flushed by RocksDB on close). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending > 0) await new Promise<void>((r) => (this.idle = r));
    this.closed = true;
    await this.db.close({ force: true });
  }
}
