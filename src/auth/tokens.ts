import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { type AuthStorage, Mutex, getJson, setJson } from './storage.ts';
import { PREFIX, nowSecs } from './keys.ts';
import { type Claims, ClaimsSchema, type ChallengeResponse } from './schemas.ts';
import type { AuthConfig } from './config.ts';

/** Why a token was refused; `kind` maps to the `X-Auth-Error` header value. */
export class TokenError extends Error {
  constructor(
    readonly kind: 'expired' | 'invalid' | 'revoked',
    message: string,
  ) {
    super(message);
  }
}

interface StoredSecret {
  secret: string; // base64 of 32 random bytes
  created_at: number;
  version: number;
}

interface RefreshRecord {
  key_id: string;
  exp: number;
}

const SECRET_AUTH = `${PREFIX.secrets}jwt_auth`;
const SECRET_CHALLENGE = `${PREFIX.secrets}jwt_challenge`;
const ALG = 'HS256';

/** HTTP header bag as Node gives it (`IncomingHttpHeaders`) or a plain record. */
export type HeaderBag = Record<string, string | string[] | undefined>;

export function header(h: HeaderBag, name: string): string | undefined {
  const v = h[name.toLowerCase()] ?? h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The bearer token of an `Authorization` header, or undefined when absent/not `Bearer <non-empty>`. */
export function bearerToken(headers: HeaderBag): string | undefined {
  const h = header(headers, 'authorization');
  if (!h || !h.startsWith('Bearer ')) return undefined;
  const t = h.slice(7).trim();
  return t || undefined;
}

/** The `token` query parameter of a URL or path (`/ws?token=…`), if any. */
export function queryToken(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const t = new URLSearchParams(url.slice(q + 1).split('#')[0]).get('token');
  return t?.trim() || undefined;
}

/** `auth` or `auth:<digits>`: requests from the internal auth service bypass the node-host check. */
export function isInternalAuthHost(host: string): boolean {
  return host === 'auth' || /^auth:\d+$/.test(host);
}

/**
 * Tokens carrying `node_url` are only valid when the request's `X-Forwarded-Host` (or `Host`) matches the
 * URL's host, with or without port (upstream `validate_node_host`). Returns an error message or null.
 */
export function checkNodeHost(nodeUrl: string, headers: HeaderBag): string | null {
  const requestHost = header(headers, 'x-forwarded-host') ?? header(headers, 'host');
  if (!requestHost || isInternalAuthHost(requestHost)) return null;
  let tokenHost: string;
  try {
    tokenHost = new URL(nodeUrl).hostname;
  } catch {
    return null;
  }
  if (!tokenHost) return null;
  if (tokenHost.startsWith('[') && tokenHost.endsWith(']')) tokenHost = tokenHost.slice(1, -1);
  const withoutPort = requestHost.startsWith('[')
    ? requestHost.slice(1, requestHost.indexOf(']'))
    : requestHost.split(':')[0]!;
  if (withoutPort !== tokenHost && requestHost !== tokenHost) {
    return `Token is not valid for this host. Token is for '${tokenHost}' but request is to '${requestHost}'`;
  }
  return null;
}

/**
 * JWT issuing/verification (upstream `TokenManager`), HS256 with a 32-byte secret generated on first start
 * and kept in the auth storage. Access and refresh tokens carry `token_type`; every refresh token is
 * recorded (`refresh:<jti>`) and deleted when used, so it works exactly once.
 */
export class TokenManager {
  private authKey!: Uint8Array;
  private challengeKey!: Uint8Array;
  private readonly mutex = new Mutex();

  constructor(
    private readonly storage: AuthStorage,
    private readonly jwt: AuthConfig['jwt'],
  ) {}

  async init(): Promise<void> {
    this.authKey = await this.loadSecret(SECRET_AUTH);
    this.challengeKey = await this.loadSecret(SECRET_CHALLENGE);
    await this.pruneRefreshRecords();
  }

  private async loadSecret(name: string): Promise<Uint8Array> {
    const existing = await getJson<StoredSecret>(this.storage, name);
    if (existing?.secret) {
      const b = Buffer.from(existing.secret, 'base64');
      if (b.length >= 32) return new Uint8Array(b);
    }
    const secret = randomBytes(32);
    const rec: StoredSecret = { secret: secret.toString('base64'), created_at: nowSecs(), version: 1 };
    await setJson(this.storage, name, rec);
    return new Uint8Array(secret);
  }

  private async sign(
    sub: string,
    permissions: string[],
    type: 'access' | 'refresh',
    expiry: number,
    nodeUrl: string | null | undefined,
  ): Promise<{ token: string; jti: string; exp: number }> {
    const iat = nowSecs();
    const exp = iat + expiry;
    const jti = randomUUID();
    const claims: Record<string, unknown> = { permissions, token_type: type };
    if (nodeUrl) claims.node_url = nodeUrl;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.jwt.issuer)
      .setAudience(this.jwt.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.authKey);
    return { token, jti, exp };
  }

  /** Issues an access/refresh pair for `keyId`; expiries (seconds) default to the config. */
  async issuePair(
    keyId: string,
    permissions: string[],
    nodeUrl?: string | null,
    expiry: { access?: number; refresh?: number } = {},
  ): Promise<{ accessToken: string; refreshToken: string }> {
    const access = await this.sign(keyId, permissions, 'access', expiry.access ?? this.jwt.accessTokenExpiry, nodeUrl);
    const refresh = await this.sign(
      keyId,
      permissions,
      'refresh',
      expiry.refresh ?? this.jwt.refreshTokenExpiry,
      nodeUrl,
    );
    const rec: RefreshRecord = { key_id: keyId, exp: refresh.exp };
    await setJson(this.storage, PREFIX.refreshToken + refresh.jti, rec);
    return { accessToken: access.token, refreshToken: refresh.token };
  }

  /**
   * Verifies signature (HS256 only: `alg:none` and others are refused), issuer, audience, expiry and the
   * claim shape. `type` additionally requires that token type (tokens without `token_type` count as access).
   */
  async verify(token: string, type?: 'access' | 'refresh'): Promise<Claims> {
    if (!token || token.split('.').length !== 3) throw new TokenError('invalid', 'Malformed token: InvalidToken');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.authKey, {
        algorithms: [ALG],
        issuer: this.jwt.issuer,
        audience: this.jwt.issuer,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new TokenError('expired', 'Token has expired');
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        throw new TokenError('invalid', `Invalid claim '${e.claim}': ${e.message}`);
      }
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new TokenError('invalid', 'InvalidSignature');
      if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new TokenError('invalid', 'InvalidAlgorithm');
      if (e instanceof joseErrors.JOSEError) throw new TokenError('invalid', `Malformed token: ${e.message}`);
      throw new TokenError('invalid', `Malformed token: ${(e as Error).message ?? String(e)}`);
    }
    const parsed = ClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new TokenError('invalid', 'Malformed token: unexpected claims');
    const claims = parsed.data;
    const actual = claims.token_type ?? 'access';
    if (type && actual !== type) throw new TokenError('invalid', `Expected a ${type} token, got a ${actual} token`);
    return claims;
  }

  /** Deletes the refresh record of `jti`; true if it existed (the token had not been used yet). */
  async consumeRefresh(jti: string): Promise<boolean> {
    return this.mutex.run(async () => {
      const path = PREFIX.refreshToken + jti;
      if (!(await this.storage.exists(path))) return false;
      await this.storage.delete(path);
      return true;
    });
  }

  /** Invalidates every outstanding refresh token of `keyId`. */
  async revokeRefreshTokensOf(keyId: string): Promise<number> {
    let n = 0;
    for (const path of await this.storage.listKeys(PREFIX.refreshToken)) {
      const rec = await getJson<RefreshRecord>(this.storage, path);
      if (rec?.key_id === keyId) {
        await this.storage.delete(path);
        n++;
      }
    }
    return n;
  }

  /** Drops records of refresh tokens that have expired anyway. */
  async pruneRefreshRecords(): Promise<void> {
    const now = nowSecs();
    for (const path of await this.storage.listKeys(PREFIX.refreshToken)) {
      const rec = await getJson<RefreshRecord>(this.storage, path);
      if (!rec || rec.exp < now) await this.storage.delete(path);
    }
  }

  /** `GET /auth/challenge`: a 5-minute HS256 JWT (own secret) carrying a fresh base64 nonce. */
  async challenge(): Promise<ChallengeResponse> {
    const nonce = randomBytes(32).toString('base64');
    const iat = nowSecs();
    const challenge = await new SignJWT({ nonce })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(this.jwt.issuer)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .sign(this.challengeKey);
    return { challenge, nonce };
  }

  async verifyChallenge(token: string): Promise<{ nonce: string }> {
    try {
      const { payload } = await jwtVerify(token, this.challengeKey, { algorithms: [ALG], issuer: this.jwt.issuer });
      if (typeof payload.nonce !== 'string') throw new Error('missing nonce');
      return { nonce: payload.nonce };
    } catch (e) {
      throw new TokenError('invalid', (e as Error).message);
    }
  }
}
