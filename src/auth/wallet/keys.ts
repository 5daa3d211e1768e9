import { type AuthStorage, ChangeListeners, Mutex, getJson, setJson } from '../storage.ts';
import { WalletError, type WalletType } from './schemas.ts';
import type { VerifiedWalletRequest } from './signatures.ts';

// ---------------------------------------------------------------------------------------------------------
// root/client key store (upstream DID: one identity "did:cali" with root keys and client keys)

export type WalletRootKey = {
  signing_key: string;
  wallet: WalletType;
  wallet_address: string;
  created_at: number; // unix ms
};

export type WalletClientKey = {
  wallet: WalletType;
  signingKey: string;
  createdAt: number; // unix ms
  contextId: string | null;
};

/** `GET /admin-api/did` answer `data.did` (mixed casing as upstream). */
export interface Did {
  id: 'did:cali';
  root_keys: WalletRootKey[];
  client_keys: WalletClientKey[];
}

const ROOT_PREFIX = 'wallet:root:';
const CLIENT_PREFIX = 'wallet:client:';

/**
 * Root and client keys of the wallet login. The first key ever registered becomes the root key; after
 * that, only a wallet whose key is a root key may add client keys.
 */
export class WalletKeyStore {
  private readonly mutex = new Mutex();
  private readonly changes = new ChangeListeners();
  constructor(private readonly storage: AuthStorage) {}

  /** Runs `fn` with no key registered or forgotten meanwhile (mero-auth's first login makes its administrator so). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn);
  }

  /** Calls `listener` after keys are added or forgotten (the node re-checks streams opened with wallet headers). */
  onChange(listener: () => void): () => void {
    return this.changes.on(listener);
  }

  /**
   * The permissions wallet headers signed by `signingKey` carry: a root key is the node's administrator
   * (`admin`); a client key registered for a context holds `context[<id>]` for each such context (run its
   * methods, receive its events), one registered without a context is a device of the administrator (`admin`).
   * Null when the key is not registered.
   */
  async permissionsOf(signingKey: string): Promise<string[] | null> {
    if (await this.getRootKey(signingKey)) return ['admin'];
    const mine = (await this.listClientKeys()).filter((k) => k.signingKey === signingKey);
    if (mine.length === 0) return null;
    if (mine.some((k) => k.contextId === null)) return ['admin'];
    return [...new Set(mine.map((k) => `context[${k.contextId}]`))];
  }

  async hasRootKeys(): Promise<boolean> {
    return (await this.storage.listKeys(ROOT_PREFIX)).length > 0;
  }

  async getRootKey(signingKey: string): Promise<WalletRootKey | null> {
    return getJson<WalletRootKey>(this.storage, ROOT_PREFIX + signingKey);
  }

  async addRootKey(signingKey: string, wallet: WalletType, walletAddress = ''): Promise<WalletRootKey> {
    const key: WalletRootKey = { signing_key: signingKey, wallet, wallet_address: walletAddress, created_at: Date.now() };
    await setJson(this.storage, ROOT_PREFIX + signingKey, key);
    this.changes.emit();
    return key;
  }

  async addClientKey(signingKey: string, wallet: WalletType, contextId: string | null): Promise<WalletClientKey> {
    const key: WalletClientKey = { wallet, signingKey, createdAt: Date.now(), contextId };
    await setJson(this.storage, `${CLIENT_PREFIX}${contextId ?? ''}:${signingKey}`, key);
    this.changes.emit();
    return key;
  }

  async listRootKeys(): Promise<WalletRootKey[]> {
    return this.list<WalletRootKey>(ROOT_PREFIX);
  }

  /** All client keys, or those of one context (`null` = keys registered without a context). */
  async listClientKeys(contextId?: string | null): Promise<WalletClientKey[]> {
    const all = await this.list<WalletClientKey>(CLIENT_PREFIX);
    return contextId === undefined ? all : all.filter((k) => k.contextId === contextId);
  }

  async isClientKey(signingKey: string, contextId?: string | null): Promise<boolean> {
    return (await this.listClientKeys(contextId)).some((k) => k.signingKey === signingKey);
  }

  async did(): Promise<Did> {
    return { id: 'did:cali', root_keys: await this.listRootKeys(), client_keys: await this.listClientKeys() };
  }

  /**
   * `DELETE /admin-api/identity/keys` and `DELETE /admin-api/did`: forget every root and client key. Under the lock
   * registrations take, so none lands between the listing and the deletions (a client key would survive it).
   */
  clear(): Promise<void> {
    return this.mutex.run(async () => {
      for (const k of [...(await this.storage.listKeys(ROOT_PREFIX)), ...(await this.storage.listKeys(CLIENT_PREFIX))]) {
        await this.storage.delete(k);
      }
      this.changes.emit();
    });
  }

  private async list<T>(prefix: string): Promise<T[]> {
    const out: T[] = [];
    for (const k of await this.storage.listKeys(prefix)) {
      const v = await getJson<T>(this.storage, k);
      if (v) out.push(v);
    }
    return out;
  }

  /**
   * `add-client-key` after verification. A wallet that is already a root key adds its client key. Any other
   * wallet becomes a root key only while the node has no administrator at all (first start), or with an
   * administrator's authorisation (an admin token on the request); otherwise the request is refused and
   * nothing is stored. Returns whether a root key was created.
   */
  async registerClientKey(
    v: VerifiedWalletRequest,
    auth: WalletAuthorisation,
  ): Promise<{ rootKeyCreated: boolean; clientKey: WalletClientKey }> {
    return this.mutex.run(async () => {
      let rootKeyCreated = false;
      if (!(await this.getRootKey(v.verifyingKey))) {
        if (!auth.adminAuthorised && (await auth.hasAdministrator())) {
          throw new WalletError(
            'This node already has an administrator: a new wallet needs an administrator token (Authorization: Bearer) or a signature by an existing root key',
            'administrator_exists',
          );
        }
        await this.addRootKey(v.verifyingKey, v.wallet, v.walletAddress);
        rootKeyCreated = true;
      }
      const clientKey = await this.addClientKey(v.clientPublicKey, v.wallet, v.request.contextId ?? null);
      return { rootKeyCreated, clientKey };
    });
  }
}

/** What the caller of `add-client-key` brings besides the wallet signature. */
export interface WalletAuthorisation {
  /** Whether the node has an administrator in any provider (user_password, wallet, an external mero-auth). */
  hasAdministrator(): Promise<boolean>;
  /** The request carries a valid credential holding `admin`. */
  adminAuthorised: boolean;
}
