import { open, type FileHandle } from 'node:fs/promises';

/**
 * Durability of a store's writes: group commit of the RocksDB write-ahead log. Every write meant to be durable is
 * noted ({@link noteWrite}); {@link durable} resolves once an fdatasync of the WAL that began after it has
 * completed, so it covers every write that completed before (the WAL is one sequential log). At most one sync runs
 * at a time; writes that complete while one runs all wait for the single sync queued behind it: one fsync for
 * every commit that is ready, whatever its context, instead of one each.
 */
export class Wal {
  /** Writes noted so far, and how many of them (the first ones) a completed sync covers. */
  private written = 0;
  private covered = 0;
  /** `written` when the sync under way began: the writes it covers. */
  private syncingUpTo = 0;
  /** The sync under way, if any. */
  private syncing: Promise<void> | null = null;
  /** The sync that starts once the one under way has finished; every write completed meanwhile waits for it. */
  private nextSync: Promise<void> | null = null;
  private syncs = 0;
  /** The WAL file the last sync covered, kept open between syncs (an open and a close per sync cost more than the sync's own call). */
  private file: { path: string; fh: FileHandle } | null = null;

  /**
   * The first failed sync, if any. After it nothing is ever reported durable again: the kernel may have dropped
   * the dirty pages of the writes it covered and report a later sync of the same file as successful (so a later
   * write could be acknowledged while an earlier one is lost). A restart recovers what the WAL really holds.
   */
  private failure: Error | null = null;

  constructor(
    private readonly currentFile: () => Promise<string | null>,
    /** Told once, at the first failed sync. */
    private readonly onFailure: (err: Error) => void = () => undefined,
  ) {}

  /** The first failed sync's error, or null. */
  get failed(): Error | null {
    return this.failure;
  }

  /** WAL syncs so far (group commit makes this fewer than noted writes under concurrency). */
  get syncCount(): number {
    return this.syncs;
  }

  /** Writes noted so far (each covered by a later sync). */
  get writeCount(): number {
    return this.written;
  }

  /** A write meant to be durable has completed. */
  noteWrite(): void {
    this.written++;
  }

  /** Resolves once a sync that began after this call has completed. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.nextSync) return this.nextSync;
    if (!this.syncing) return this.startSync();
    const after = () => {
      this.nextSync = null;
      return this.startSync();
    };
    this.nextSync = this.syncing.then(after, after);
    return this.nextSync;
  }

  /** A promise that resolves once every write noted so far is covered by a completed sync; null when all are. */
  uncovered(): Promise<void> | null {
    if (this.covered >= this.written) return null;
    if (this.failure) return Promise.reject(this.failure);
    if (this.syncing && this.syncingUpTo >= this.written) return this.syncing;
    return this.durable();
  }

  private startSync(): Promise<void> {
    const upTo = (this.syncingUpTo = this.written);
    const p: Promise<void> = this.sync()
      .then(
        () => {
          if (this.failure) throw this.failure; // a sync that began before the failure cannot vouch for later writes
          this.covered = Math.max(this.covered, upTo);
        },
        (err: Error) => {
          if (!this.failure) {
            this.failure = new Error(`a WAL sync failed (${err.message}); the store accepts no writes until the node is restarted`, { cause: err });
            this.onFailure(this.failure);
          }
          throw this.failure;
        },
      )
      .finally(() => {
        if (this.syncing === p) this.syncing = null;
      });
    this.syncing = p;
    return p;
  }

  /**
   * fdatasync the current WAL file. When RocksDB has moved to a new WAL file since the last sync, the previous one
   * is synced too (through the handle kept open, which stays valid even once RocksDB has removed the file):
   * writes made before the switch are in it.
   */
  private async sync(): Promise<void> {
    this.syncs++;
    const path = await this.currentFile();
    if (!path) return;
    if (this.file && this.file.path !== path) {
      const old = this.file;
      this.file = null;
      try {
        await old.fh.datasync();
      } finally {
        await old.fh.close();
      }
    }
    if (!this.file) {
      const fh = await this.openCurrent(path);
      if (!fh) return; // RocksDB moved on while we looked: see openCurrent
      this.file = { path: fh.path, fh: fh.fh };
    }
    await this.file.fh.datasync();
  }

  /**
   * Opens the WAL file RocksDB names. A file that vanished between asking and opening was retired by RocksDB, which
   * first writes its contents to synced table files; then RocksDB names a newer file, and that one is opened. A file
   * that is missing while RocksDB still names it is an error, never a silent "durable": every sync would otherwise
   * pass without syncing anything (which is what happened while the WAL's path was taken as absolute; it is relative
   * to the store's directory).
   */
  private async openCurrent(first: string): Promise<{ path: string; fh: FileHandle } | null> {
    let path: string | null = first;
    for (let tries = 0; path !== null && tries < 3; tries++) {
      try {
        return { path, fh: await open(path, 'r') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        const now: string | null = await this.currentFile();
        if (now === path) throw new Error(`the current WAL file ${path} does not exist`, { cause: err });
        path = now;
      }
    }
    if (path === null) return null;
    throw new Error(`the WAL file kept changing while it was being opened (last: ${path})`);
  }

  /** Closes the kept WAL handle (after the last sync). */
  async close(): Promise<void> {
    const f = this.file;
    this.file = null;
    await f?.fh.close();
  }
}
