import { join } from 'node:path';
import RocksDB from 'rocksdb-native';
import { Wal } from './wal.ts';
import { RecordCache } from './cache.ts';

/**
 * Kinds of record in the node store ("columns"). Names follow upstream's RocksDB column families
 * (docs/internals.md) where upstream has one; `sse` and `auth` are ours. Values are our own encodings (JSON
 * or raw bytes): the file format is private to this node, only ids and wire shapes are shared with upstream.
 *
 * All columns share RocksDB's default column family; a key is stored as one byte for its column (its index
 * here + 1, so never reorder this list) followed by the key. That keeps every commit a plain single-family
 * WriteBatch, which RocksDB applies atomically.
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
  /** Told once when a WAL sync fails: from then on the store refuses writes and reports nothing durable (wal.ts). */
  onSyncFailure?: (err: Error) => void;
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

/** A consistent read view of the store ({@link Store.view}). */
export interface StoreView {
  get(col: Column, key: Bytes): Promise<Buffer | null>;
  iterate(col: Column, o?: IterateOptions): AsyncGenerator<{ key: Buffer; value: Buffer }>;
  close(): Promise<void>;
}

const TAG = new Map<Column, number>(COLUMNS.map((c, i) => [c, i + 1]));

/** The stored form of a column's key: its column byte, then the key. */
function tagged(col: Column, key?: Bytes): Buffer {
  const t = Buffer.of(TAG.get(col)!);
  return key ? Buffer.concat([t, key]) : t;
}

/** The RocksDB iterator range of a column's keys (`IterateOptions` narrowed to the column). */
function rangeOf(col: Column, o: IterateOptions): Record<string, unknown> {
  const range: Record<string, unknown> = { gte: tagged(col, o.prefix), lt: prefixEnd(tagged(col, o.prefix)) };
  if (o.gte && Buffer.compare(tagged(col, o.gte), range.gte as Buffer) > 0) range.gte = tagged(col, o.gte);
  if (o.lt && Buffer.compare(tagged(col, o.lt), range.lt as Buffer) < 0) range.lt = tagged(col, o.lt);
  if (o.reverse) range.reverse = true;
  if (o.limit !== undefined) range.limit = o.limit;
  return range;
}

const DONE: Promise<void> = Promise.resolve();

/**
 * The node's embedded store: RocksDB, one key space with a column byte in front of every key. All writes go
 * through atomic batches; RocksDB's write-ahead log makes each committed batch survive a process crash, and with
 * `sync` the log is also fdatasync'ed before commit() resolves.
 */
export class Store {
  private closed = false;
  private pending = 0;
  private idle: (() => void) | null = null;

  private constructor(
    readonly path: string,
    private readonly db: RocksDB,
    private readonly opts: StoreOptions,
  ) {
    // RocksDB names its WAL file relative to the WAL directory (`/000004.log`), the store's own directory here.
    this.wal = new Wal(async () => {
      const name = (await db.currentWalFile())?.path;
      return name ? join(path, name) : null;
    }, opts.onSyncFailure);
  }

  private readonly wal: Wal;

  static async open(path: string, opts: StoreOptions = {}): Promise<Store> {
    const db = await openDb(path);
    if (typeof db === 'string') {
      // A store written before the single key space: one column family per column. Its records are copied into
      // the default family (idempotent, so an interrupted migration simply runs again), then removed.
      const legacy = db.split(',').map((n) => n.trim()).filter(Boolean);
      const opened = await openDb(path, legacy);
      if (typeof opened === 'string') throw new Error(`cannot open the store at ${path}: column families not opened: ${opened}`);
      const store = new Store(path, opened, opts);
      await store.migrateLegacy(legacy);
      return store;
    }
    return new Store(path, db, opts);
  }

  /** Moves the records of the old per-column families into the tagged key space (see `open`). */
  private async migrateLegacy(families: string[]): Promise<void> {
    for (const name of families) {
      if (!TAG.has(name as Column)) continue;
      const cf = this.db.columnFamily(name);
      const keys: Buffer[] = [];
      let batch = new Batch();
      for await (const { key, value } of cf.iterator({})) {
        batch.put(name as Column, key, value);
        keys.push(key);
        if (batch.size >= 1000) {
          await this.write(batch, 'await');
          batch = new Batch();
        }
      }
      await this.write(batch, 'await');
      if (keys.length === 0) continue;
      await this.wal.durable(); // the copies are durable before the originals go
      const w = cf.write();
      for (const k of keys) w.tryDelete(k);
      await w.flush();
      w.destroy();
    }
  }

  private live(): RocksDB {
    if (this.closed) throw new Error('store is closed');
    return this.db;
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
    if (!this.cache.covers(col)) return this.track(this.live().get(tagged(col, key)));
    const hit = this.cache.lookup(col, key);
    if (hit !== undefined) return hit;
    const gen = this.cache.generation;
    const v = await this.track(this.live().get(tagged(col, key)));
    this.cache.fill(col, key, gen, v);
    return v;
  }

  /** Records kept in memory (src/store/cache.ts). */
  private readonly cache = new RecordCache();

  /** Several keys of one column, those not in memory in one RocksDB read batch (one round trip to its threads). */
  async getMany(col: Column, keys: Bytes[]): Promise<Array<Buffer | null>> {
    const cached = this.cache.covers(col);
    const out: Array<Buffer | null | undefined> = keys.map((k) => (cached ? this.cache.lookup(col, k) : undefined));
    const missing = keys.flatMap((k, i) => (out[i] === undefined ? [i] : []));
    if (missing.length === 0) return out as Array<Buffer | null>;
    const gen = this.cache.generation;
    const b = this.live().read({ capacity: missing.length, autoDestroy: true });
    const reads = missing.map((i) => b.get(tagged(col, keys[i]!)));
    b.tryFlush();
    const values = await this.track(Promise.all(reads));
    for (const [j, i] of missing.entries()) {
      out[i] = values[j]!;
      this.cache.fill(col, keys[i]!, gen, values[j]!);
    }
    return out as Array<Buffer | null>;
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
   * Applies every write of the batch atomically: one RocksDB WriteBatch (one WAL record), so a crash never leaves
   * part of a batch behind. With the store's `sync` option the WAL is fdatasync'ed before this resolves, unless
   * `o.sync` is false (writes that can be recovered otherwise; a later synced commit makes them durable too,
   * since the WAL is one sequential log).
   */
  async commit(batch: Batch, o: { sync?: boolean } = {}): Promise<void> {
    if (batch.size === 0) return;
    await this.write(batch, o.sync === false ? 'none' : 'await');
  }

  /**
   * Like {@link commit}, but resolves as soon as the batch is written, before the WAL sync that makes it durable:
   * `durable` resolves once a sync covering it has completed. Readers, and the next writer, see the writes at once
   * (the committing listeners hear the end at the write), so a caller that answers a client from what it read
   * first waits for {@link synced}. Lets one context's next mutation run while the last one's sync is under way.
   */
  async commitDeferred(batch: Batch): Promise<{ durable: Promise<void> }> {
    return this.write(batch, 'defer');
  }

  /** Resolves once every write completed so far (of a synced commit) is durable; at once when all are. */
  synced(): Promise<void> {
    const pending = this.opts.sync ? this.wal.uncovered() : null;
    return pending ? this.track(pending) : DONE;
  }

  /**
   * Writes the batch and settles the committing listeners; `sync`: 'await' resolves after the WAL sync covering
   * the write, 'defer' resolves after the write with a promise of that sync, 'none' asks for no sync.
   */
  private async write(batch: Batch, sync: 'await' | 'defer' | 'none'): Promise<{ durable: Promise<void> }> {
    // After a failed WAL sync nothing written could be made durable for sure: refuse rather than acknowledge later.
    if (this.opts.sync && this.wal.failed) throw this.wal.failed;
    const settled = [this.cache.writing(batch), ...this.committing.map((l) => l(batch))];
    let written = false;
    let durable = DONE;
    try {
      await this.track(this.writeBatch(batch));
      if (this.opts.sync && sync !== 'none') {
        this.wal.noteWrite();
        durable = this.track(this.wal.durable());
        // A deferred caller may never look at the sync's failure before it settles; the awaited one does.
        if (sync === 'defer') durable.catch(() => undefined);
        else await durable;
      }
      written = true;
    } finally {
      // Every listener hears the end, even if one throws: a seqlock left open would stall optimistic readers.
      for (const done of settled) {
        try {
          done(written);
        } catch {
          // a listener's own failure changes nothing of the commit
        }
      }
    }
    for (const l of this.listeners) l(batch);
    return { durable };
  }

  private readonly committing: Array<(batch: Batch) => (written: boolean) => void> = [];
  /**
   * Calls `listener` synchronously just before a batch is written; the function it returns is called once the
   * write has settled (written and synced: `written` true; or failed), before commit() returns. Readers that
   * take no lock use it as a seqlock (src/node/optimistic.ts).
   */
  onCommitting(listener: (batch: Batch) => (written: boolean) => void): void {
    this.committing.push(listener);
  }

  private readonly listeners: Array<(batch: Batch) => void> = [];
  /** Calls `listener` with every batch once it is committed (e.g. to invalidate caches of what it wrote). */
  onCommit(listener: (batch: Batch) => void): void {
    this.listeners.push(listener);
  }

  /** Writes a batch as one RocksDB WriteBatch, without a sync (see {@link write}). */
  private async writeBatch(batch: Batch): Promise<void> {
    // One WriteBatch = one WAL record: a crash never leaves part of a batch behind (issue #7's crash test found
    // torn commits when each column family was written in turn).
    const w = this.live().write();
    try {
      for (const op of batch.ops) {
        if (op.value === null) w.tryDelete(tagged(op.col, op.key));
        else w.tryPut(tagged(op.col, op.key), op.value);
      }
      await w.flush();
    } finally {
      w.destroy();
    }
  }

  /** WAL syncs so far (group commit makes this fewer than synced commits under concurrency). */
  get walSyncs(): number {
    return this.wal.syncCount;
  }

  /** Commits written so far to be made durable (each covered by a later WAL sync). */
  get syncedCommits(): number {
    return this.wal.writeCount;
  }

  async *iterate(col: Column, o: IterateOptions = {}): AsyncGenerator<{ key: Buffer; value: Buffer }> {
    const range = rangeOf(col, o);
    const db = this.live();
    this.pending++;
    try {
      for await (const { key, value } of db.iterator(rangeOf(col, o))) yield { key: key.subarray(1), value };
    } finally {
      if (--this.pending === 0 && this.idle) this.idle();
    }
  }

  /**
   * A short range read at once, for hot paths: RocksDB fills `limit` entries per native read and no promise is
   * made per entry (unlike {@link iterate}). Stops after the entry with which the values reach `maxBytes`.
   */
  async scan(col: Column, o: IterateOptions & { limit: number; maxBytes?: number }): Promise<Array<{ key: Buffer; value: Buffer }>> {
    const it = this.live().iterator(rangeOf(col, o), { capacity: Math.max(1, Math.min(o.limit, 1024)) });
    return this.track(
      new Promise((resolve, reject) => {
        const out: Array<{ key: Buffer; value: Buffer }> = [];
        let bytes = 0;
        const done = () => resolve(out);
        it.on('data', ({ key, value }) => {
          if (o.maxBytes !== undefined && bytes >= o.maxBytes) return;
          out.push({ key: key.subarray(1), value });
          bytes += value.length;
          if (o.maxBytes !== undefined && bytes >= o.maxBytes) {
            it.destroy();
            done();
          }
        });
        it.on('end', done);
        it.on('close', done);
        it.on('error', reject);
      }),
    );
  }

  /**
   * A consistent read view of the whole store as it stands now (a RocksDB snapshot): later commits are not seen
   * through it. Readers stream long cuts from it without holding any lock (snapshot.ts serves snapshots this
   * way). Close it when done; the store waits for open views before it closes.
   */
  view(): StoreView {
    const session = this.live().snapshot();
    this.pending++;
    let open = true;
    const close = async (): Promise<void> => {
      if (!open) return;
      open = false;
      try {
        await session.close();
      } finally {
        if (--this.pending === 0 && this.idle) this.idle();
      }
    };
    return {
      get: async (col, key) => session.get(tagged(col, key)),
      async *iterate(col, o = {}) {
        for await (const { key, value } of session.iterator(rangeOf(col, o))) yield { key: key.subarray(1), value };
      },
      close,
    };
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
    await this.wal.close();
    await this.db.close({ force: true });
  }
}

/** Opens RocksDB; returns the names RocksDB lists when the store has column families that were not given. */
async function openDb(path: string, columnFamilies?: string[]): Promise<RocksDB | string> {
  const db = new RocksDB(path, columnFamilies ? { columnFamilies } : {});
  try {
    await db.ready();
    return db;
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const cfs = /Column families not opened: (.+)$/.exec(msg);
    if (cfs) return cfs[1]!;
    if (/lock/i.test(msg)) throw new Error(`the store at ${path} is in use by another process (${msg})`);
    throw new Error(`cannot open the store at ${path}: ${msg}`);
  }
}

