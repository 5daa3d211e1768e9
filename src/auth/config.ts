import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Configuration of the auth service. The accepted input is upstream mero-auth's `AuthConfig`
 * (`[server.embedded_auth]` in merod's config.toml, or the whole file of the standalone service):
 * snake_case keys as in upstream TOML. camelCase spellings of the same keys are accepted too (they are
 * converted before validation). The parsed result is {@link AuthConfig} (camelCase).
 */

const DEFAULT_LISTEN = '127.0.0.1:3001';

/** Converts `fooBar` to `foo_bar`; keys that are already snake_case are left alone. */
function snakeKey(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Recursively rewrites object keys to snake_case (arrays are walked, values untouched). */
export function toSnakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toSnakeKeys);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[snakeKey(k)] = toSnakeKeys(val);
    return out;
  }
  return v;
}

const seconds = z.number().int().positive();

export const JwtConfigSchema = z
  .object({
    issuer: z.string().min(1).default('calimero-auth'),
    access_token_expiry: seconds.default(3600),
    refresh_token_expiry: seconds.default(2_592_000),
    /**
     * Ours: this node's public URLs (`["https://node.example"]`). When set, a token's `node_url` claim must
     * have the origin of one of them; when empty, upstream's check against the request's Host header is the
     * fallback (which a client can satisfy with any Host it likes). See checkNodeBinding in tokens.ts.
     */
    allowed_node_urls: z.array(z.string().url()).default([]),
  })
  .transform((j) => ({
    issuer: j.issuer,
    accessTokenExpiry: j.access_token_expiry,
    refreshTokenExpiry: j.refresh_token_expiry,
    allowedNodeUrls: j.allowed_node_urls,
  }));

export const StorageConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rocksdb'), path: z.string().min(1).default('auth') }),
  z.object({ type: z.literal('memory') }),
]);

/** upstream `providers` is a `HashMap<String, bool>`; we know `user_password` (and list others as disabled). */
export const ProvidersConfigSchema = z.record(z.string(), z.boolean());

const count = z.number().int().min(0);

/**
 * `[user_password.rate_limit]` (ours, not upstream): login throttling of the user_password provider, see
 * src/auth/ratelimit.ts. Budgets count within a sliding window of `window_secs`; 0 disables a budget.
 */
export const LoginRateLimitConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    window_secs: seconds.default(60),
    /** Failed (or in-flight) logins per client address, over all usernames. */
    max_failures_per_address: count.default(20),
    /** Failures of one username, over all addresses, after which it counts as under attack. */
    max_failures_per_username: count.default(20),
    /** While a username is under attack: failures an address may still make for it (fresh addresses keep theirs). */
    max_failures_per_address_and_username: count.default(3),
    /** Every login (successes too) per client address. */
    max_attempts_per_address: count.default(1000),
    /** Bound on tracked addresses/usernames per table. */
    max_tracked_keys: z.number().int().min(100).default(10_000),
    /**
     * Account logins to the right-most `X-Forwarded-For` address instead of the TCP peer. Enable only
     * behind a reverse proxy that sets that header; without it every proxied client shares the proxy's address.
     */
    trust_proxy: z.boolean().default(false),
  })
  .transform((r) => ({
    enabled: r.enabled,
    windowSecs: r.window_secs,
    maxFailuresPerAddress: r.max_failures_per_address,
    maxFailuresPerUsername: r.max_failures_per_username,
    maxFailuresPerAddressAndUsername: r.max_failures_per_address_and_username,
    maxAttemptsPerAddress: r.max_attempts_per_address,
    maxTrackedKeys: r.max_tracked_keys,
    trustProxy: r.trust_proxy,
  }));

export const UserPasswordConfigSchema = z
  .object({
    min_password_length: z.number().int().min(1).default(8),
    max_password_length: z.number().int().min(1).default(128),
    /** Ours: argon2 hashes/verifications running at once (each takes ~19 MiB and a CPU core for ~25 ms). */
    argon2_concurrency: z.number().int().min(1).max(64).default(2),
    /** Ours: logins waiting for an argon2 slot before new ones are answered 503. */
    argon2_max_queued: z.number().int().min(0).default(64),
    rate_limit: LoginRateLimitConfigSchema.default(LoginRateLimitConfigSchema.parse({})),
  })
  .refine((c) => c.min_password_length <= c.max_password_length, {
    message: 'min_password_length must not exceed max_password_length',
  })
  .transform((c) => ({
    minPasswordLength: c.min_password_length,
    maxPasswordLength: c.max_password_length,
    argon2Concurrency: c.argon2_concurrency,
    argon2MaxQueued: c.argon2_max_queued,
    rateLimit: c.rate_limit,
  }));

export const CorsConfigSchema = z
  .object({
    allow_all_origins: z.boolean().default(false),
    allowed_origins: z.array(z.string()).default([]),
    allowed_methods: z.array(z.string()).default(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS']),
    allowed_headers: z.array(z.string()).default(['Authorization', 'Content-Type', 'Accept']),
    exposed_headers: z.array(z.string()).default([]),
  })
  .loose()
  .transform((c) => ({
    allowAllOrigins: c.allow_all_origins,
    allowedOrigins: c.allowed_origins,
    allowedMethods: c.allowed_methods,
    allowedHeaders: c.allowed_headers,
    exposedHeaders: c.exposed_headers,
  }));

const CspSchema = z
  .object({
    enabled: z.boolean().default(true),
    default_src: z.array(z.string()).default(["'self'"]),
    script_src: z.array(z.string()).default(["'self'", "'unsafe-inline'", "'unsafe-eval'"]),
    style_src: z.array(z.string()).default(["'self'", "'unsafe-inline'"]),
    connect_src: z
      .array(z.string())
      .default([
        "'self'",
        'http://localhost:*',
        'http://host.docker.internal:*',
        'http://*.nip.io:*',
        'https://*.nip.io:*',
        'https:',
        'http:',
      ]),
  })
  .loose();

const SecurityHeadersSchema = z
  .object({
    enabled: z.boolean().default(true),
    hsts_max_age: z.number().int().min(0).default(31_536_000),
    hsts_include_subdomains: z.boolean().default(true),
    frame_options: z.string().default('DENY'),
    content_type_options: z.string().default('nosniff'),
    referrer_policy: z.string().default('strict-origin-when-cross-origin'),
    csp: CspSchema.default(CspSchema.parse({})),
  })
  .loose();

export const SecurityConfigSchema = z
  .object({
    max_body_size: z.number().int().positive().default(1024 * 1024),
    headers: SecurityHeadersSchema.default(SecurityHeadersSchema.parse({})),
  })
  .loose()
  .transform((s) => ({
    maxBodySize: s.max_body_size,
    headers: {
      enabled: s.headers.enabled,
      hstsMaxAge: s.headers.hsts_max_age,
      hstsIncludeSubdomains: s.headers.hsts_include_subdomains,
      frameOptions: s.headers.frame_options,
      contentTypeOptions: s.headers.content_type_options,
      referrerPolicy: s.headers.referrer_policy,
      csp: {
        enabled: s.headers.csp.enabled,
        defaultSrc: s.headers.csp.default_src,
        scriptSrc: s.headers.csp.script_src,
        styleSrc: s.headers.csp.style_src,
        connectSrc: s.headers.csp.connect_src,
      },
    },
  }));

export const DevelopmentConfigSchema = z
  .object({
    enable_mock_auth: z.boolean().default(false),
    mock_auth_require_header: z.boolean().default(true),
    mock_auth_header_value: z.string().optional(),
  })
  .transform((d) => ({
    enableMockAuth: d.enable_mock_auth,
    mockAuthRequireHeader: d.mock_auth_require_header,
    mockAuthHeaderValue: d.mock_auth_header_value,
  }));

/** `host:port`; IPv6 hosts in brackets (`[::1]:3001`). Port 0 = any free port. */
export const ListenAddrSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port out of range');

const AuthConfigInput = z
  .object({
    listen_addr: ListenAddrSchema.default(DEFAULT_LISTEN),
    jwt: JwtConfigSchema.default(JwtConfigSchema.parse({})),
    storage: StorageConfigSchema.default({ type: 'rocksdb', path: 'auth' }),
    providers: ProvidersConfigSchema.default({ user_password: true }),
    user_password: UserPasswordConfigSchema.default(UserPasswordConfigSchema.parse({})),
    cors: CorsConfigSchema.default(CorsConfigSchema.parse({})),
    security: SecurityConfigSchema.default(SecurityConfigSchema.parse({})),
    development: DevelopmentConfigSchema.default(DevelopmentConfigSchema.parse({})),
    /** Upstream's `[near]` section (NEAR wallet provider); accepted and kept, the provider is not implemented. */
    near: z.record(z.string(), z.unknown()).optional(),
  })
  .loose()
  .transform((c) => ({
    listenAddr: c.listen_addr,
    jwt: c.jwt,
    storage: c.storage,
    providers: c.providers,
    userPassword: c.user_password,
    cors: c.cors,
    security: c.security,
    development: c.development,
  }));

/**
 * zod schema of the auth config: accepts upstream snake_case or camelCase input, yields {@link AuthConfig}.
 * Example: `AuthConfigSchema.parse({ jwt: { issuer: 'x' }, storage: { type: 'memory' } })`.
 */
export const AuthConfigSchema = z.preprocess((v) => toSnakeKeys(v ?? {}), AuthConfigInput);

export type AuthConfig = z.output<typeof AuthConfigSchema>;
/** What callers may pass: any subset of the upstream keys (snake_case or camelCase). */
export type AuthConfigInput = Record<string, unknown>;

/** Upstream `default_config()`: issuer `calimero-auth`, 3600 s / 2592000 s, RocksDB at `auth`, `user_password`. */
export function defaultAuthConfig(): AuthConfig {
  return AuthConfigSchema.parse({});
}

export class AuthConfigError extends Error {}

/** Parses and validates a config object; throws {@link AuthConfigError} with readable messages. */
export function parseAuthConfig(raw: unknown): AuthConfig {
  const r = AuthConfigSchema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AuthConfigError(`invalid auth config: ${msg}`);
  }
  return r.data;
}

/** Resolves a relative RocksDB path against `base` (merod resolves it against the node home). */
export function resolveStoragePath(config: AuthConfig, base: string): AuthConfig {
  if (config.storage.type !== 'rocksdb' || isAbsolute(config.storage.path)) return config;
  return { ...config, storage: { type: 'rocksdb', path: resolve(base, config.storage.path) } };
}

/** Splits `host:port` (IPv6 in brackets) for `listen()`. */
export function splitListenAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(addr.slice(i + 1)) };
}

/**
 * Applies upstream's environment overrides: `AUTH_LISTEN_ADDR`, `AUTH_JWT__ISSUER`, `AUTH_STORAGE__PATH`,
 * `AUTH_PROVIDERS__USER_PASSWORD=true` … (`__` separates nesting levels; values that look like
 * numbers/booleans are converted).
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out = toSnakeKeys(structuredClone(raw)) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('AUTH_') || value === undefined) continue;
    const path = name.slice(5).toLowerCase().split('__').filter(Boolean);
    if (path.length === 0) continue;
    let v: unknown = value;
    if (value === 'true' || value === 'false') v = value === 'true';
    else if (/^-?\d+$/.test(value)) v = Number(value);
    let cur = out;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      if (!next || typeof next !== 'object' || Array.isArray(next)) cur[seg] = {};
      cur = cur[seg] as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = v;
  }
  return out;
}
