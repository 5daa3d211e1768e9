// Minimal typings for rocksdb-native (the package ships none).
declare module 'rocksdb-native' {
  export interface Range {
    gt?: Buffer | Uint8Array; gte?: Buffer | Uint8Array; lt?: Buffer | Uint8Array; lte?: Buffer | Uint8Array;
    reverse?: boolean; limit?: number;
  }
  export interface WriteBatch {
    put(key: Buffer | Uint8Array, value: Buffer | Uint8Array): Promise<void>;
    delete(key: Buffer | Uint8Array): Promise<void>;
    tryPut(key: Buffer | Uint8Array, value: Buffer | Uint8Array): void;
    tryDelete(key: Buffer | Uint8Array): void;
    flush(): Promise<void>;
    destroy(): void;
  }
  export interface ReadBatch {
    get(key: Buffer | Uint8Array): Promise<Buffer | null>;
    flush(): Promise<void>;
    /** Flushes without a promise of its own (the gets' promises settle); with `autoDestroy`, destroys itself after. */
    tryFlush(): void;
    destroy(): void;
  }
  /** A streamx Readable of entries. */
  export interface Iterator extends AsyncIterable<{ key: Buffer; value: Buffer }> {
    on(event: 'data', fn: (entry: { key: Buffer; value: Buffer }) => void): this;
    on(event: 'end' | 'close', fn: () => void): this;
    on(event: 'error', fn: (err: Error) => void): this;
    destroy(err?: Error): void;
  }
  export default class RocksDB {
    constructor(path: string, opts?: Record<string, unknown>);
    ready(): Promise<void>;
    close(opts?: { force?: boolean }): Promise<void>;
    columnFamily(name: string): RocksDB;
    /** A session reading from a RocksDB snapshot taken now (close it to release the snapshot). */
    snapshot(): RocksDB;
    get(key: Buffer | Uint8Array): Promise<Buffer | null>;
    put(key: Buffer | Uint8Array, value: Buffer | Uint8Array): Promise<void>;
    delete(key: Buffer | Uint8Array): Promise<void>;
    write(opts?: Record<string, unknown>): WriteBatch;
    read(opts?: Record<string, unknown>): ReadBatch;
    iterator(range?: Range, opts?: Record<string, unknown>): Iterator;
    currentWalFile(): Promise<{ path: string; number: number; size: number }>;
    approximateSize(start: Buffer, end: Buffer, opts?: Record<string, unknown>): Promise<number>;
  }
}
