import { type AuthStorage, ChangeListeners, Mutex, getJson, setJson } from './storage.ts';
import { keyHasPermission } from './permissions.ts';

/** Storage prefixes (upstream `storage/models/mod.rs::prefixes`). */
export const PREFIX = {
  rootKey: 'root_key:',
  clientKey: 'client_key:',
  rootClients: 'root_clients:',
  publicKeyIndex: 'index:public_key:',
  refreshToken: 'refresh:',
  user: 'user:',
  secrets: 'system:secrets:',
} as const;

export type KeyType = 'Root' | 'Client';

/** A root key (identity) or a client key (derived from a root key). Stored as JSON. */
export interface Key {
  key_type: KeyType;
  public_key: string | null;
  auth_method: string | null;
  root_key_id: string | null;
  name: string | null;
  permissions: string[];
  node_url?: string;
  created_at: number; // unix seconds
  revoked_at: number | null;
}

export const nowSecs = (): number => Math.floor(Date.now() / 1000);

export function newRootKey(publicKey: string, authMethod: string, permissions: string[], nodeUrl?: string | null): Key {
  return {
    key_type: 'Root',
    public_key: publicKey,
    auth_method: authMethod,
    root_key_id: null,
    name: null,
    permissions,
    ...(nodeUrl ? { node_url: nodeUrl } : {}),
    created_at: nowSecs(),
    revoked_at: null,
  };
}

export function newClientKey(rootKeyId: string, name: string, permissions: string[], nodeUrl?: string | null): Key {
  return {
    key_type: 'Client',
    public_key: null,
    auth_method: null,
    root_key_id: rootKeyId,
    name,
    permissions,
    ...(nodeUrl ? { node_url: nodeUrl } : {}),
    created_at: nowSecs(),
    revoked_at: null,
  };
}

export const isValidKey = (k: Key): boolean => k.revoked_at === null;

/** Whether the key may hold/grant `perm` (revoked keys hold nothing; root keys hold `admin`). */
export function keyHas(k: Key, perm: string): boolean {
  return isValidKey(k) && keyHasPermission(k.permissions, perm, k.key_type === 'Root');
}

/** Keys whose `node_url` is set are valid only for URLs starting with it (upstream `is_valid_for_node`). */
export function isValidForNode(k: Key, nodeUrl: string | null | undefined): boolean {
  if (!k.node_url) return true;
  return !!nodeUrl && nodeUrl.startsWith(k.node_url);
}

export class KeyValidationError extends Error {}

/** Why a key could not be revoked: unknown, or the last active root key (which must stay). */
export type RevokeRefusal = 'not_found' | 'last_root';

/**
 * Root/client key records and their indexes (upstream `KeyManager`).
 *
 * Every write runs under one lock and re-reads what it changes, so a change never writes back a copy read before
 * a concurrent revocation (which would make the key valid again), two revocations cannot both pass the "not the
 * last active root key" check, and an index update is never lost.
 */
export class KeyManager {
  private readonly changes = new ChangeListeners();
  private readonly lock = new Mutex();
  constructor(private readonly storage: AuthStorage) {}

  /** Calls `listener` after every key write, revocation or deletion (the node re-checks its open streams). */
  onChange(listener: () => void): () => void {
    return this.changes.on(listener);
  }

  private path(type: KeyType, id: string): string {
    return (type === 'Root' ? PREFIX.rootKey : PREFIX.clientKey) + id;
  }

  /** The key, revoked or not; null if unknown. */
  async getKey(id: string): Promise<Key | null> {
    return (
      (await getJson<Key>(this.storage, this.path('Root', id))) ??
      (await getJson<Key>(this.storage, this.path('Client', id)))
    );
  }

  /**
   * Stores the key; returns whether it replaced an existing record. Client keys may only hold permissions
   * their (valid) root key holds.
   */
  setKey(id: string, key: Key): Promise<boolean> {
    return this.lock.run(() => this.write(id, key));
  }

  /**
   * Changes a valid key: `change` gets the key as stored now and returns its new form (or throws
   * KeyValidationError). Null when the key is unknown; KeyValidationError `Key is revoked` when it is revoked.
   */
  update(id: string, change: (key: Key) => Key): Promise<Key | null> {
    return this.lock.run(async () => {
      const key = await this.getKey(id);
      if (!key) return null;
      if (!isValidKey(key)) throw new KeyValidationError('Key is revoked');
      const next = change(key);
      if (next !== key) await this.write(id, next);
      return next;
    });
  }

  /**
   * Moves a valid client key to a new id (a refresh rotates client key ids, as upstream): the record as stored now
   * goes under `newId`, the old one is deleted. Null when the old key is gone or revoked meanwhile.
   */
  rotate(oldId: string, newId: string): Promise<Key | null> {
    return this.lock.run(async () => {
      const key = await this.getKey(oldId);
      if (!key || !isValidKey(key)) return null;
      await this.write(newId, { ...key });
      await this.remove(oldId);
      return key;
    });
  }

  private async write(id: string, key: Key): Promise<boolean> {
    if (key.key_type === 'Client' && key.root_key_id) {
      const root = await this.getKey(key.root_key_id);
      if (!root || !isValidKey(root)) throw new KeyValidationError('Root key not found');
      for (const p of key.permissions) {
        if (!keyHas(root, p)) throw new KeyValidationError(`Root key does not have permission: ${p}`);
      }
    }
    const path = this.path(key.key_type, id);
    const existed = await this.storage.exists(path);
    await setJson(this.storage, path, key);
    if (key.key_type === 'Root') {
      if (key.public_key) await this.storage.set(PREFIX.publicKeyIndex + key.public_key, id);
    } else if (key.root_key_id) {
      const idxKey = PREFIX.rootClients + key.root_key_id;
      const ids = (await getJson<string[]>(this.storage, idxKey)) ?? [];
      if (!ids.includes(id)) {
        ids.push(id);
        await setJson(this.storage, idxKey, ids);
      }
    }
    this.changes.emit();
    return existed;
  }

  deleteKey(id: string): Promise<boolean> {
    return this.lock.run(() => this.remove(id));
  }

  private async remove(id: string): Promise<boolean> {
    const key = await this.getKey(id);
    if (!key) return false;
    await this.storage.delete(this.path(key.key_type, id));
    if (key.key_type === 'Root') {
      if (key.public_key) await this.storage.delete(PREFIX.publicKeyIndex + key.public_key);
      await this.storage.delete(PREFIX.rootClients + id);
    } else if (key.root_key_id) {
      const idxKey = PREFIX.rootClients + key.root_key_id;
      const ids = ((await getJson<string[]>(this.storage, idxKey)) ?? []).filter((x) => x !== id);
      if (ids.length) await setJson(this.storage, idxKey, ids);
      else await this.storage.delete(idxKey);
    }
    this.changes.emit();
    return true;
  }

  /**
   * Marks the key revoked (kept for listing); returns the updated key, or why not. With `keepLastRoot`, the last
   * active root key is refused, checked in the same turn as the revocation.
   */
  revokeKey(id: string, o: { keepLastRoot?: boolean } = {}): Promise<Key | RevokeRefusal> {
    return this.lock.run(async () => {
      const key = await this.getKey(id);
      if (!key) return 'not_found';
      if (key.revoked_at !== null) return key;
      if (o.keepLastRoot && key.key_type === 'Root' && (await this.activeRootCount()) <= 1) return 'last_root';
      key.revoked_at = nowSecs();
      await setJson(this.storage, this.path(key.key_type, id), key);
      this.changes.emit();
      return key;
    });
  }

  /** How many root keys are not revoked. */
  async activeRootCount(): Promise<number> {
    return (await this.listKeys('Root')).filter(([, k]) => isValidKey(k)).length;
  }

  async listKeys(type: KeyType): Promise<Array<[string, Key]>> {
    const prefix = type === 'Root' ? PREFIX.rootKey : PREFIX.clientKey;
    const out: Array<[string, Key]> = [];
    for (const path of await this.storage.listKeys(prefix)) {
      const k = await getJson<Key>(this.storage, path);
      if (k) out.push([path.slice(prefix.length), k]);
    }
    return out;
  }

  /** Whether any valid root key exists (optionally only for the given auth methods). */
  async hasAnyRootKey(authMethods?: readonly string[]): Promise<boolean> {
    for (const [, k] of await this.listKeys('Root')) {
      if (!isValidKey(k)) continue;
      if (!authMethods || (k.auth_method !== null && authMethods.includes(k.auth_method))) return true;
    }
    return false;
  }

  async clientIdsOf(rootId: string): Promise<string[]> {
    return (await getJson<string[]>(this.storage, PREFIX.rootClients + rootId)) ?? [];
  }
}
