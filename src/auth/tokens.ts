import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { type AuthStorage, Mutex, getJson, setJson } from './storage.ts';
import { PREFIX, nowSecs } from './keys.ts';
import { z } from 'zod';
import { type Claims, ClaimsSchema, type ChallengeResponse } from '../wire/auth.ts';
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

/**
 * `refresh:<jti>`: a live refresh token, or (with `used_at`) the tombstone of a used one, kept until its
 * `exp` so a second use is recognised as reuse rather than as an unknown token.
 */
interface RefreshRecord {
  key_id: string;
  exp: number;
  fam?: string;
  used_at?: number;
}

/** `token_family:<fam>`: one login's chain of rotated pairs; `exp` = latest expiry of any token issued in it. */
interface FamilyRecord {
  key_id: string;
  exp: number;
  created_at: number;
}

/** `token_family_revoked:<fam>`: kept until `exp` (the family's latest token expiry). */
interface RevokedFamilyRecord {
  revoked_at: number;
  exp: number;
}

/** Tokens (access and refresh) whose `iat` lies more than this many seconds in the future are refused. */
export const CLOCK_SKEW_SECS = 60;

const FAMILY = 'token_family:';
const FAMILY_REVOKED = 'token_family_revoked:';

/** Claims as verified: {@link Claims} plus the token family id (absent in tokens issued before families). */
export type TokenClaims = Claims & { fam?: string };

/** Outcome of presenting a refresh token for rotation (see {@link TokenManager.consumeRefresh}). */
export type ConsumeResult =
  | { status: 'ok' }
  | { status: 'unknown' }
  | { status: 'reused'; fam?: string; keyId: string; revokedFamily: boolean };

const SECRET_AUTH = `${PREFIX.secrets}jwt_auth`;
const SECRET_CHALLENGE = `${PREFIX.secrets}jwt_challenge`;
const ALG = 'HS256';
const VerifiedClaimsSchema = ClaimsSchema.extend({ fam: z.string().min(1).max(128).optional() });

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
 * The Host header is chosen by the client: this only keeps honest clients from using a token minted for
 * another node by mistake; it is no defence against a token holder, who can send any Host (or `Host: auth`,
 * which skips the check). {@link checkNodeBinding} uses it only when no node URLs are configured.
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

function originOf(u: string): string | null {
  try {
    const url = new URL(u);
    return url.host ? url.origin.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * Node binding of a token's `node_url` claim. With `allowed` (config `[jwt] allowed_node_urls`, this node's
 * public URLs) non-empty, the claim's origin (scheme, host, port) must equal one of theirs and request
 * headers are not consulted. With nothing configured, upstream's Host-header comparison
 * ({@link checkNodeHost}) is the fallback. Tokens without `node_url` are not bound. Error message or null.
 */
export function checkNodeBinding(
  nodeUrl: string | undefined,
  headers: HeaderBag,
  allowed: readonly string[] | undefined,
): string | null {
  if (!nodeUrl) return null;
  if (!allowed || allowed.length === 0) return checkNodeHost(nodeUrl, headers);
  const origin = originOf(nodeUrl);
  if (origin && allowed.some((a) => originOf(a) === origin)) return null;
  return `Token is not valid for this node. Token is for '${nodeUrl.slice(0, 200)}'`;
}

/**
 * JWT issuing/verification (upstream `TokenManager`), HS256 with a 32-byte secret generated on first start
 * and kept in the auth storage. Access and refresh tokens carry `token_type`; every refresh token is
 * recorded (`refresh:<jti>`) and turned into a tombstone when used, so it works exactly once. Every login
 * starts a token family (`fam` claim, in both tokens); a rotation stays in the family, and presenting an
 * already-used refresh token again revokes the whole family (OAuth 2.0 refresh-token reuse detection).
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
    fam: string,
  ): Promise<{ token: string; jti: string; exp: number }> {
    const iat = nowSecs();
    const exp = iat + expiry;
    const jti = randomUUID();
    const claims: Record<string, unknown> = { permissions, token_type: type, fam };
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

  /**
   * Issues an access/refresh pair for `keyId`; expiries (seconds) default to the config. Without `family`
   * the pair starts a new token family (a login); with it (a refresh) the pair continues that family, and
   * a revoked family throws a `revoked` {@link TokenError}.
   */
  async issuePair(
    keyId: string,
    permissions: string[],
    nodeUrl?: string | null,
    expiry: { access?: number; refresh?: number } = {},
    family?: string,
  ): Promise<{ accessToken: string; refreshToken: string; family: string }> {
    // Under the mutex: a family revoked concurrently either sees this pair (and deletes its refresh
    // record, covering its expiry) or makes this call fail.
    return this.mutex.run(async () => {
      const fam = family ?? randomUUID();
      if (family && (await this.storage.exists(FAMILY_REVOKED + family))) {
        throw new TokenError('revoked', 'Token family has been revoked after refresh-token reuse');
      }
      const access = await this.sign(keyId, permissions, 'access', expiry.access ?? this.jwt.accessTokenExpiry, nodeUrl, fam);
      const refresh = await this.sign(
        keyId,
        permissions,
        'refresh',
        expiry.refresh ?? this.jwt.refreshTokenExpiry,
        nodeUrl,
        fam,
      );
      const prev = family ? await getJson<FamilyRecord>(this.storage, FAMILY + fam) : null;
      const famRec: FamilyRecord = {
        key_id: keyId,
        exp: Math.max(prev?.exp ?? 0, access.exp, refresh.exp),
        created_at: prev?.created_at ?? nowSecs(),
      };
      await setJson(this.storage, FAMILY + fam, famRec);
      const rec: RefreshRecord = { key_id: keyId, exp: refresh.exp, fam };
      await setJson(this.storage, PREFIX.refreshToken + refresh.jti, rec);
      return { accessToken: access.token, refreshToken: refresh.token, family: fam };
    });
  }

  /** Whether the token family `fam` has been revoked (its record is kept until its last token expires). */
  async isFamilyRevoked(fam: string): Promise<boolean> {
    return this.storage.exists(FAMILY_REVOKED + fam);
  }

  /** Revokes a token family: records it as revoked and deletes its outstanding refresh tokens. */
  async revokeFamily(fam: string): Promise<void> {
    await this.mutex.run(() => this.revokeFamilyLocked(fam));
  }

  private async revokeFamilyLocked(fam: string): Promise<void> {
    const now = nowSecs();
    const famRec = await getJson<FamilyRecord>(this.storage, FAMILY + fam);
    let exp = Math.max(famRec?.exp ?? 0, now + Math.max(this.jwt.accessTokenExpiry, this.jwt.refreshTokenExpiry));
    for (const path of await this.storage.listKeys(PREFIX.refreshToken)) {
      const rec = await getJson<RefreshRecord>(this.storage, path);
      if (rec?.fam !== fam) continue;
      exp = Math.max(exp, rec.exp);
      if (!rec.used_at) await this.storage.delete(path);
    }
    const rev: RevokedFamilyRecord = { revoked_at: now, exp };
    await setJson(this.storage, FAMILY_REVOKED + fam, rev);
  }

  /**
   * Verifies signature (HS256 only: `alg:none` and others are refused), issuer, audience, expiry and the
   * claim shape. `type` additionally requires that token type (tokens without `token_type` count as access).
   */
  async verify(token: string, type?: 'access' | 'refresh'): Promise<TokenClaims> {
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
    const parsed = VerifiedClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new TokenError('invalid', 'Malformed token: unexpected claims');
    const claims = parsed.data;
    if (claims.iat > nowSecs() + CLOCK_SKEW_SECS) {
      throw new TokenError('invalid', `Invalid claim 'iat': token issued in the future (more than ${CLOCK_SKEW_SECS} s ahead)`);
    }
    const actual = claims.token_type ?? 'access';
    if (type && actual !== type) throw new TokenError('invalid', `Expected a ${type} token, got a ${actual} token`);
    return claims;
  }

  /**
   * Uses the refresh token `jti`: `ok` the first time (its record becomes a tombstone until its expiry),
   * `reused` when it was used before (then its family, if it has one, is revoked in the same critical
   * section), `unknown` when there is no record (revoked with its key, or pruned after expiry).
   */
  async consumeRefresh(jti: string): Promise<ConsumeResult> {
    return this.mutex.run(async () => {
      const path = PREFIX.refreshToken + jti;
      const rec = await getJson<RefreshRecord>(this.storage, path);
      if (!rec) return { status: 'unknown' };
      if (rec.used_at) {
        if (!rec.fam) return { status: 'reused', keyId: rec.key_id, revokedFamily: false };
        const already = await this.storage.exists(FAMILY_REVOKED + rec.fam);
        if (!already) await this.revokeFamilyLocked(rec.fam);
        return { status: 'reused', fam: rec.fam, keyId: rec.key_id, revokedFamily: !already };
      }
      const tomb: RefreshRecord = { ...rec, used_at: nowSecs() };
      await setJson(this.storage, path, tomb);
      return { status: 'ok' };
    });
  }

  /** Invalidates every outstanding refresh token of `keyId` (tombstones of used ones stay for reuse detection). */
  async revokeRefreshTokensOf(keyId: string): Promise<number> {
    let n = 0;
    for (const path of await this.storage.listKeys(PREFIX.refreshToken)) {
      const rec = await getJson<RefreshRecord>(this.storage, path);
      if (rec?.key_id === keyId && !rec.used_at) {
        await this.storage.delete(path);
        n++;
      }
    }
    return n;
  }

  /** Drops records of refresh tokens (and tombstones, families, family revocations) that have expired anyway. */
  async pruneRefreshRecords(): Promise<void> {
    const now = nowSecs();
    for (const prefix of [PREFIX.refreshToken, FAMILY, FAMILY_REVOKED]) {
      for (const path of await this.storage.listKeys(prefix)) {
        const rec = await getJson<{ exp?: number }>(this.storage, path);
        if (!rec || typeof rec.exp !== 'number' || rec.exp < now) await this.storage.delete(path);
      }
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
