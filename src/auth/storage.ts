import { mkdir } from 'node:fs/promises';
import { Store } from '../store/store.ts';

/**
 * Key-value storage of the auth service (upstream `storage::Storage`): string keys with namespaced
 * prefixes (`root_key:`, `client_key:`, `user:`, `refresh:`, `system:secrets:` …) and byte values.
 */
export interface AuthStorage {
  get(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array | string): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Every key starting with `prefix`, in byte order. */
  listKeys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export async function getJson<T>(s: AuthStorage, key: string): Promise<T | null> {
  const v = await s.get(key);
  if (!v) return null;
  try {
    return JSON.parse(dec.decode(v)) as T;
  } catch {
    return null;
  }
}

export async function setJson(s: AuthStorage, key: string, value: unknown): Promise<void> {
  await s.set(key, JSON.stringify(value));
}

/** In-memory storage (`storage.type = "memory"`); everything is lost on close. */
export class MemoryAuthStorage implements AuthStorage {
  private readonly map = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | null> {
    const v = this.map.get(key);
    return v ? new Uint8Array(v) : null;
  }
  async set(key: string, value: Uint8Array | string): Promise<void> {
    this.map.set(key, typeof value === 'string' ? enc.encode(value) : new Uint8Array(value));
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
  async exists(key: string): Promise<boolean> {
    return this.map.has(key);
  }
  async listKeys(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async close(): Promise<void> {}
}

/**
 * Storage on our RocksDB {@link Store}, column `auth`. Keys are stored as UTF-8 bytes.
 * `owned` stores are closed by {@link close}; a borrowed store (shared with the node) is left open.
 */
export class StoreAuthStorage implements AuthStorage {
  constructor(
    private readonly store: Store,
    private readonly owned: boolean,
  ) {}

  static async open(path: string): Promise<StoreAuthStorage> {
    await mkdir(path, { recursive: true });
    // fsync on commit: a revoked key or rotated refresh token must not come back after a power loss.
    return new StoreAuthStorage(await Store.open(path, { sync: true }), true);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const v = await this.store.get('auth', enc.encode(key));
    return v ? new Uint8Array(v) : null;
  }
  async set(key: string, value: Uint8Array | string): Promise<void> {
    await this.store.put('auth', enc.encode(key), typeof value === 'string' ? enc.encode(value) : value);
  }
  async delete(key: string): Promise<void> {
    await this.store.delete('auth', enc.encode(key));
  }
  async exists(key: string): Promise<boolean> {
    return this.store.has('auth', enc.encode(key));
  }
  async listKeys(prefix: string): Promise<string[]> {
    const keys = await this.store.keys('auth', { prefix: enc.encode(prefix) });
    return keys.map((k) => dec.decode(k));
  }
  async close(): Promise<void> {
    if (this.owned) await this.store.close();
  }
}

/** Serialises async critical sections (read-check-write sequences on the storage). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    try {
      await prev;
      return await fn();
    } finally {
      release();
    }
  }
}

/** Change listeners of a key store (the node re-checks its open streams when keys change). */
export class ChangeListeners {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` after every change; returns the function that stops it. */
  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const l of this.listeners) l();
  }
}
