import type { FastifyPluginAsync } from 'fastify';
import { type AuthConfig, type AuthConfigInput, parseAuthConfig, resolveStoragePath } from './config.ts';
import { type AuthStorage, MemoryAuthStorage, StoreAuthStorage } from './storage.ts';
import { type Key, KeyManager, isValidKey } from './keys.ts';
import { type HeaderBag, type TokenClaims, TokenError, TokenManager, bearerToken, checkNodeBinding, queryToken } from './tokens.ts';
import { type AuthProvider, type OtherAdministrator, UserPasswordProvider } from './providers.ts';
import type { AuthErrorCode } from '../wire/auth.ts';
import { AuthMetrics, type AuthCore, type VerifyResult } from './core.ts';
import { resolveFrontendDir } from './frontend-source.ts';

export { AuthMetrics, type AuthCore, type VerifyResult } from './core.ts';
import { buildAuthPlugin } from './routes/plugin.ts';

export interface AuthServiceOptions {
  /** Base directory for a relative `storage.path` (merod passes the node home). Default: process cwd. */
  basePath?: string;
  /** Use this storage instead of opening the configured one (it is closed by `close()` too). */
  storage?: AuthStorage;
  /**
   * Login page directory; default `CALIMERO_AUTH_FRONTEND_PATH`, else `CALIMERO_AUTH_FRONTEND_SRC` (an archive is
   * unpacked under `basePath`), else our web/auth-login.
   */
  frontendDir?: string;
  /** Reported by `/admin/identity`. */
  version?: string;
  /**
   * An administrator made outside mero-auth (the node's wallet root keys): while one `exists`, the first
   * user_password login no longer creates one. One notion of "this node has an administrator" across providers.
   * `exclusive` runs the first login's check and creation with no such administrator being made meanwhile.
   */
  otherAdministrator?: OtherAdministrator;
}

export interface AuthService {
  /** Fastify plugin mounting `/auth/*` and `/admin/*` (register it without a prefix). */
  plugin: FastifyPluginAsync;
  /**
   * Node guard: reads `Authorization: Bearer <jwt>`, or else a `token` query parameter of `url` (for
   * WebSocket/SSE, where browsers cannot set headers — an improvement over upstream 0.10.0, whose guard
   * only reads the header). `status`/`error` follow `/auth/validate` (401, or 403 for revoked keys and
   * wrong node hosts); upstream's 0.10.0 node guard answers every failure with a bare 401.
   */
  verifyRequest(headers: HeaderBag, url?: string): Promise<VerifyResult>;
  readonly config: AuthConfig;
  readonly core: AuthCore;
  close(): Promise<void>;
}

function fail(status: 400 | 401 | 403, error: AuthErrorCode, reason: string): VerifyResult {
  return { ok: false, status, error, reason };
}

async function openStorage(config: AuthConfig): Promise<AuthStorage> {
  if (config.storage.type === 'memory') return new MemoryAuthStorage();
  return StoreAuthStorage.open(config.storage.path);
}

/**
 * Creates the auth service: opens its storage (RocksDB at `storage.path`, column `auth`, or memory),
 * loads or generates the JWT secrets, and returns the fastify plugin plus the node guard.
 * `config` is upstream's `[server.embedded_auth]` table (snake_case or camelCase, all keys optional).
 */
export async function createAuthService(
  config: AuthConfigInput | AuthConfig = {},
  options: AuthServiceOptions = {},
): Promise<AuthService> {
  // A parsed (camelCase) AuthConfig is valid input too: keys are normalised to snake_case first.
  let cfg = parseAuthConfig(config);
  cfg = resolveStoragePath(cfg, options.basePath ?? process.cwd());
  const storage = options.storage ?? (await openStorage(cfg));
  let closed = false;
  try {
    const frontendDir = options.frontendDir ?? (await resolveFrontendDir(options.basePath ?? process.cwd()));
    const keys = new KeyManager(storage);
    const tokens = new TokenManager(storage, cfg.jwt);
    await tokens.init();
    const providers: AuthProvider[] = [];
    if (cfg.providers.user_password) {
      providers.push(new UserPasswordProvider(storage, keys, cfg.userPassword, options.otherAdministrator));
    }

    const checkKey = async (keyId: string): Promise<VerifyResult | Key> => {
      let key: Key | null;
      try {
        key = await keys.getKey(keyId);
      } catch {
        return fail(401, 'invalid_token', 'Failed to verify key');
      }
      if (!key) return fail(401, 'invalid_token', 'Key not found');
      if (!isValidKey(key)) return fail(403, 'token_revoked', 'Key has been revoked');
      if (key.key_type === 'Client' && key.root_key_id) {
        const root = await keys.getKey(key.root_key_id);
        if (!root || !isValidKey(root)) return fail(403, 'token_revoked', 'Root key has been revoked');
      }
      return key;
    };

    const core: AuthCore = {
      config: cfg,
      storage,
      keys,
      tokens,
      providers,
      metrics: new AuthMetrics(),
      frontendDir,
      version: options.version ?? '0.10.0',
      async checkToken(token, headers, type = 'access') {
        if (!token) return fail(401, 'missing_token', 'No token provided');
        let claims: TokenClaims;
        try {
          claims = await tokens.verify(token, type);
        } catch (e) {
          if (e instanceof TokenError && e.kind === 'expired') return fail(401, 'token_expired', `Invalid token: ${e.message}`);
          return fail(401, 'invalid_token', `Invalid token: ${(e as Error).message}`);
        }
        const nodeErr = checkNodeBinding(claims.node_url, headers, cfg.jwt.allowedNodeUrls);
        if (nodeErr) return fail(403, 'invalid_node', nodeErr);
        if (claims.fam && (await tokens.isFamilyRevoked(claims.fam))) {
          return fail(403, 'token_revoked', 'Token has been revoked: its token family was revoked after refresh-token reuse');
        }
        const key = await checkKey(claims.sub);
        if ('ok' in key) return key;
        return { ok: true, keyId: claims.sub, permissions: claims.permissions, claims };
      },
    };

    const pruneTimer = setInterval(() => void tokens.pruneRefreshRecords().catch(() => {}), 3600_000);
    pruneTimer.unref();

    return {
      plugin: buildAuthPlugin(core),
      config: cfg,
      core,
      async verifyRequest(headers, url) {
        return core.checkToken(bearerToken(headers) ?? queryToken(url), headers, 'access');
      },
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(pruneTimer);
        await storage.close();
      },
    };
  } catch (e) {
    if (!closed) await storage.close().catch(() => {});
    throw e;
  }
}
