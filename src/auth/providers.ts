import { randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { type AuthStorage, Mutex, getJson, setJson } from './storage.ts';
import { type KeyManager, PREFIX, isValidKey, newRootKey, nowSecs } from './keys.ts';
import { UserPasswordDataSchema } from '../wire/auth.ts';
import type { AuthConfig } from './config.ts';
import { keyHasPermission } from './permissions.ts';
import { FairPool, LoginLimiter, PoolBusyError } from './ratelimit.ts';

/** A successful provider authentication: the root key and the permissions to put in the tokens. */
export interface AuthResult {
  keyId: string;
  permissions: string[];
}

/**
 * Authentication failures; the message is shown to the client (after `Authentication failed: ` for 400/401).
 * 429/503 carry `retryAfter` (seconds) for the `Retry-After` header.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 | 409 | 429 | 503 = 401,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const TOO_MANY_LOGINS = 'Too many login attempts, retry later';

/** 429 of a throttled login; `firstInWindow` is set once per address and window (worth a log line). */
export class LoginThrottledError extends ProviderError {
  constructor(
    retryAfter: number,
    readonly firstInWindow: boolean,
  ) {
    super(TOO_MANY_LOGINS, 429, retryAfter);
  }
}

/** Who is logging in (for throttling): the client address as the route determined it. */
/** An administrator made outside mero-auth (the node's wallet root keys), see AuthServiceOptions.otherAdministrator. */
export interface OtherAdministrator {
  exists(): Promise<boolean>;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export interface LoginContext {
  clientAddress: string;
}

/** The verified caller of `POST /admin/keys` (its token's key id and permissions). */
export interface KeyCaller {
  keyId: string;
  permissions: readonly string[];
}

/** Outcome of `POST /admin/keys`: `updated` = an existing user's credential was replaced (rotated). */
export interface CreateRootKeyResult {
  updated: boolean;
  keyId: string;
  /** The key revoked by a rotation; its refresh tokens must be revoked too. */
  revokedKeyId?: string;
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
  authenticate(providerData: unknown, ctx?: LoginContext): Promise<AuthResult>;
  /**
   * `POST /admin/keys`: creates a root key, or rotates an existing user's credential (new key id, old key
   * revoked). `caller` is the verified token of the request; without it the call is trusted (tools, tests).
   */
  createRootKey(publicKey: string, providerData: unknown, nodeUrl: string | null, caller?: KeyCaller): Promise<CreateRootKeyResult>;
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

/** Permissions of every user_password root key. */
const USER_PASSWORD_ROOT_PERMISSIONS = ['admin'];
const INVALID = 'Invalid username or password';

/**
 * `user_password` provider: the first successful login (no root key exists yet) creates the root user
 * with `admin` permission; afterwards only known users with the right password get tokens. Unlike
 * upstream (which derives the key id from sha256(user:password)), the password is stored only as an
 * argon2id hash and key ids are random; every new credential gets a new key id, so a revoked key (and
 * every token of it) stays revoked when its user is re-created or gets a new password.
 *
 * Logins are throttled per client address and username ({@link LoginLimiter}) and argon2 work runs in a
 * small pool ({@link FairPool}); verification takes no lock. The mutex serialises only writes: the
 * bootstrap login and `POST /admin/keys`.
 */
export class UserPasswordProvider implements AuthProvider {
  readonly name = 'user_password';
  readonly type = 'credentials';
  readonly description = 'Authenticates users with username and password credentials';
  /** Serialises writes (bootstrap, create/rotate); verification never waits for it. */
  private readonly mutex = new Mutex();
  private readonly pool: FairPool;
  readonly limiter: LoginLimiter;
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly storage: AuthStorage,
    private readonly keys: KeyManager,
    private readonly cfg: AuthConfig['userPassword'],
    /** An administrator made by another provider outside mero-auth (the node's wallet root keys). */
    private readonly other: OtherAdministrator = { exists: async () => false, exclusive: (fn) => fn() },
  ) {
    this.pool = new FairPool(cfg.argon2Concurrency, cfg.argon2MaxQueued);
    this.limiter = new LoginLimiter(cfg.rateLimit);
  }

  supportsMethod(method: string): boolean {
    return USER_PASSWORD_METHODS.includes(method);
  }

  async isConfiguredWithUsers(): Promise<boolean> {
    return this.keys.hasAnyRootKey(USER_PASSWORD_METHODS);
  }

  configOptions(): unknown {
    return { enabled: true, description: 'Username and password authentication' };
  }

  /** Shape and size of the credentials; oversized ones are a 400, before any argon2 work. */
  private parse(providerData: unknown): { username: string; password: string } {
    const r = UserPasswordDataSchema.safeParse(providerData);
    if (!r.success) {
      const status = r.error.issues.some((i) => i.code === 'custom') ? 400 : 401;
      throw new ProviderError(`Invalid username/password data: ${r.error.issues.map((i) => i.message).join('; ')}`, status);
    }
    return r.data;
  }

  private checkNewPassword(password: string): void {
    const { minPasswordLength: min, maxPasswordLength: max } = this.cfg;
    if (password.length < min) throw new ProviderError(`Password must be at least ${min} characters long`, 400);
    if (password.length > max) throw new ProviderError(`Password must be at most ${max} characters long`, 400);
  }

  /** argon2 hash of a new password; administrative work waits for a pool slot but is never refused. */
  private hashPassword(password: string): Promise<string> {
    return this.pool.run('(admin)', () => argonHash(password, ARGON_OPTS), true);
  }

  /** Writes a new root key under a fresh random id and points the user record at it. */
  private async createUser(username: string, password: string, publicKey: string, nodeUrl: string | null) {
    this.checkNewPassword(password);
    const keyId = randomBytes(32).toString('hex');
    const password_hash = await this.hashPassword(password);
    const key = newRootKey(publicKey, 'user_password', [...USER_PASSWORD_ROOT_PERMISSIONS], nodeUrl);
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

  private async checkUser(user: UserRecord, password: string, address: string): Promise<AuthResult> {
    const ok = await this.pool.run(address, () => argonVerify(user.password_hash, password).catch(() => false));
    const key = ok ? await this.keys.getKey(user.key_id) : null;
    if (!key || !isValidKey(key) || key.key_type !== 'Root') throw new ProviderError(INVALID);
    return { keyId: user.key_id, permissions: key.permissions };
  }

  private async verify(username: string, password: string, address: string): Promise<AuthResult> {
    const user = await getJson<UserRecord>(this.storage, PREFIX.user + username);
    if (user) return this.checkUser(user, password, address);
    if ((await this.keys.listKeys('Root')).length === 0 && !(await this.other.exists())) {
      // Bootstrap: no root key of any kind exists yet -> this login creates the root user (once: under the lock,
      // and with no wallet registration making another administrator meanwhile).
      type Boot = { user: UserRecord } | { result: AuthResult } | null;
      const boot = await this.other.exclusive(() =>
        this.mutex.run(async (): Promise<Boot> => {
          const again = await getJson<UserRecord>(this.storage, PREFIX.user + username);
          if (again) return { user: again };
          if ((await this.keys.listKeys('Root')).length !== 0 || (await this.other.exists())) return null;
          const { keyId, key } = await this.createUser(username, password, username, null);
          return { result: { keyId, permissions: key.permissions } };
        }),
      );
      if (boot && 'result' in boot) return boot.result;
      if (boot) return this.checkUser(boot.user, password, address);
    }
    await this.pool.run(address, () => this.burnTime(password));
    throw new ProviderError(INVALID);
  }

  async authenticate(providerData: unknown, ctx?: LoginContext): Promise<AuthResult> {
    const { username, password } = this.parse(providerData);
    const address = ctx?.clientAddress ?? 'unknown';
    const admission = this.limiter.admit(address, username);
    if (!admission.ok) throw new LoginThrottledError(admission.retryAfter, admission.firstInWindow);
    const ticket = admission.ticket;
    try {
      const result = await this.verify(username, password, address);
      this.limiter.success(ticket);
      return result;
    } catch (e) {
      if (e instanceof ProviderError && e.message === INVALID) {
        this.limiter.failure(ticket);
        throw e;
      }
      // No verdict on the credentials (busy pool, password policy at bootstrap, storage error): not counted.
      this.limiter.cancel(ticket);
      if (e instanceof PoolBusyError) throw new ProviderError(e.message, 503, 1);
      throw e;
    }
  }

  /**
   * `POST /admin/keys` for user_password. Rules (ours; upstream 0.10.0 overwrites the user's credential for
   * any caller holding `keys:create` and keeps the key id):
   * - an existing user whose key is active: 409 unless the caller holds every permission the key gets
   *   (`admin`); for such a caller the credential is rotated: new key id, old key revoked;
   * - a new user, or one whose key was revoked: the caller must hold those permissions too (403), and the
   *   user gets a new key id; the revoked key stays revoked.
   */
  async createRootKey(
    publicKey: string,
    providerData: unknown,
    nodeUrl: string | null,
    caller?: KeyCaller,
  ): Promise<CreateRootKeyResult> {
    const { username, password } = this.parse(providerData);
    const mayGrant =
      !caller || USER_PASSWORD_ROOT_PERMISSIONS.every((p) => keyHasPermission(caller.permissions, p, false));
    return this.mutex.run(async () => {
      const user = await getJson<UserRecord>(this.storage, PREFIX.user + username);
      const old = user ? await this.keys.getKey(user.key_id) : null;
      if (user && old && isValidKey(old)) {
        if (!mayGrant) throw new ProviderError('User already exists', 409);
        this.checkNewPassword(password);
        // Rotate. The old key is revoked first: a crash part-way leaves the user locked out (fixable by an
        // administrator), never the old key usable.
        await this.keys.revokeKey(user.key_id);
        const { keyId } = await this.createUser(username, password, publicKey, nodeUrl);
        return { updated: true, keyId, revokedKeyId: user.key_id };
      }
      if (!mayGrant) throw new ProviderError('Permission denied: creating a root key requires the admin permission', 403);
      const { keyId } = await this.createUser(username, password, publicKey, nodeUrl);
      return { updated: false, keyId };
    });
  }
}
