import { randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { type AuthStorage, Mutex, getJson, setJson } from './storage.ts';
import { type KeyManager, PREFIX, isValidKey, newRootKey, nowSecs } from './keys.ts';
import { UserPasswordDataSchema } from './schemas.ts';
import type { AuthConfig } from './config.ts';

/** A successful provider authentication: the root key and the permissions to put in the tokens. */
export interface AuthResult {
  keyId: string;
  permissions: string[];
}

/** Authentication failures; the message is shown to the client after `Authentication failed: `. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 = 401,
  ) {
    super(message);
  }
}

/** An authentication provider (upstream `AuthProvider`, reduced to what the routes use). */
export interface AuthProvider {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  supportsMethod(method: string): boolean;
  /** "configured" in `/auth/providers`: for user_password, whether a user exists. */
  isConfiguredWithUsers(): Promise<boolean>;
  configOptions(): unknown;
  authenticate(providerData: unknown): Promise<AuthResult>;
  /** `POST /admin/keys`: creates (or updates) a root key; true if it replaced an existing one. */
  createRootKey(publicKey: string, providerData: unknown, nodeUrl: string | null): Promise<boolean>;
}

/** Stored per user: `user:<username>` → this record. The password exists only as an argon2id PHC string. */
interface UserRecord {
  key_id: string;
  password_hash: string;
  created_at: number;
}

/** argon2id, m=19 MiB, t=2, p=1 (OWASP minimum; @node-rs/argon2 defaults, made explicit). */
const ARGON_OPTS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
const USER_PASSWORD_METHODS = ['user_password', 'username_password'];

/**
 * `user_password` provider: the first successful login (no root key exists yet) creates the root user
 * with `admin` permission; afterwards only known users with the right password get tokens. Unlike
 * upstream (which derives the key id from sha256(user:password)), the password is stored only as an
 * argon2id hash and key ids are random.
 */
export class UserPasswordProvider implements AuthProvider {
  readonly name = 'user_password';
  readonly type = 'credentials';
  readonly description = 'Authenticates users with username and password credentials';
  private readonly mutex = new Mutex();
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly storage: AuthStorage,
    private readonly keys: KeyManager,
    private readonly cfg: AuthConfig['userPassword'],
  ) {}

  supportsMethod(method: string): boolean {
    return USER_PASSWORD_METHODS.includes(method);
  }

  async isConfiguredWithUsers(): Promise<boolean> {
    return this.keys.hasAnyRootKey(USER_PASSWORD_METHODS);
  }

  configOptions(): unknown {
    return { enabled: true, description: 'Username and password authentication' };
  }

  private parse(providerData: unknown): { username: string; password: string } {
    const r = UserPasswordDataSchema.safeParse(providerData);
    if (!r.success) {
      throw new ProviderError(`Invalid username/password data: ${r.error.issues.map((i) => i.message).join('; ')}`);
    }
    return r.data;
  }

  private checkNewPassword(password: string): void {
    const { minPasswordLength: min, maxPasswordLength: max } = this.cfg;
    if (password.length < min) throw new ProviderError(`Password must be at least ${min} characters long`, 400);
    if (password.length > max) throw new ProviderError(`Password must be at most ${max} characters long`, 400);
  }

  private async createUser(username: string, password: string, publicKey: string, nodeUrl: string | null) {
    this.checkNewPassword(password);
    const keyId = randomBytes(32).toString('hex');
    const password_hash = await argonHash(password, ARGON_OPTS);
    const key = newRootKey(publicKey, 'user_password', ['admin'], nodeUrl);
    await this.keys.setKey(keyId, key);
    const rec: UserRecord = { key_id: keyId, password_hash, created_at: nowSecs() };
    await setJson(this.storage, PREFIX.user + username, rec);
    return { keyId, key };
  }

  /** Spends about as long as a real verification, so unknown usernames are not revealed by timing. */
  private async burnTime(password: string): Promise<void> {
    this.dummyHash ??= argonHash(randomBytes(16).toString('hex'), ARGON_OPTS);
    await argonVerify(await this.dummyHash, password).catch(() => false);
  }

  async authenticate(providerData: unknown): Promise<AuthResult> {
    const { username, password } = this.parse(providerData);
    return this.mutex.run(async () => {
      const user = await getJson<UserRecord>(this.storage, PREFIX.user + username);
      if (user) {
        const ok = await argonVerify(user.password_hash, password).catch(() => false);
        const key = ok ? await this.keys.getKey(user.key_id) : null;
        if (!key || !isValidKey(key) || key.key_type !== 'Root') throw new ProviderError('Invalid username or password');
        return { keyId: user.key_id, permissions: key.permissions };
      }
      // Bootstrap: no root key of any kind exists yet -> this login creates the root user.
      if ((await this.keys.listKeys('Root')).length === 0) {
        const { keyId, key } = await this.createUser(username, password, username, null);
        return { keyId, permissions: key.permissions };
      }
      await this.burnTime(password);
      throw new ProviderError('Invalid username or password');
    });
  }

  async createRootKey(publicKey: string, providerData: unknown, nodeUrl: string | null): Promise<boolean> {
    const { username, password } = this.parse(providerData);
    return this.mutex.run(async () => {
      const user = await getJson<UserRecord>(this.storage, PREFIX.user + username);
      if (user) {
        // Same username again: new password and key data, same key id (upstream answers "Key was updated").
        this.checkNewPassword(password);
        const key = newRootKey(publicKey, 'user_password', ['admin'], nodeUrl);
        await this.keys.setKey(user.key_id, key);
        user.password_hash = await argonHash(password, ARGON_OPTS);
        await setJson(this.storage, PREFIX.user + username, user);
        return true;
      }
      await this.createUser(username, password, publicKey, nodeUrl);
      return false;
    });
  }
}
