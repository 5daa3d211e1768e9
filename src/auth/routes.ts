import { createHash, randomBytes } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthCore, VerifyResult } from './service.ts';
import {
  type AuthErrorCode,
  CreateKeyRequestSchema,
  GenerateClientKeyRequestSchema,
  MockTokenRequestSchema,
  RefreshTokenRequestSchema,
  RevokeTokenRequestSchema,
  TokenRequestSchema,
  UpdateKeyPermissionsRequestSchema,
} from './schemas.ts';
import { type Key, KeyValidationError, isValidForNode, isValidKey, keyHas, newClientKey, newRootKey, nowSecs } from './keys.ts';
import { TokenError, bearerToken, checkNodeBinding, header, queryToken } from './tokens.ts';
import { LoginThrottledError, ProviderError } from './providers.ts';
import { clientAddress as loginAddressOf } from './ratelimit.ts';
import { isValidPermission, permitted, requiredPermissions } from './permissions.ts';
import { NO_CACHE_HEADERS, NO_PROVIDER_HTML, readStatic, readWithFallback } from './frontend.ts';

// ---------------------------------------------------------------------------------------------------------
// helpers

/** Upstream `sanitize_string`: keeps printable ASCII only. */
export function sanitizeString(s: string): string {
  return [...s].filter((c) => c >= ' ' && c <= '~').join('');
}

/** Upstream `sanitize_identifier` (restricted to ASCII so ids are always valid header/key text). */
export function sanitizeIdentifier(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '');
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');
}

/** Header values must be visible ASCII; anything else is percent-encoded. */
function headerSafe(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : encodeURI(v);
}

function ok(reply: FastifyReply, data: unknown): FastifyReply {
  return reply.code(200).send({ data, error: null });
}

function fail(reply: FastifyReply, status: number, message: string, authError?: AuthErrorCode): FastifyReply {
  if (authError) reply.header('x-auth-error', authError);
  return reply.code(status).send({ data: null, error: message });
}

const MISSING_JSON = 'Invalid JSON: Expected request with `Content-Type: application/json`';

/**
 * Validates a JSON body with a zod schema. Shape/type errors are 400 (`Invalid JSON: …`, like axum's
 * `Json` rejection), empty required strings are 422 (`Validation error: …`, like upstream's validator).
 * Both carry the `{"data":null,"error":…}` envelope. Returns undefined after replying.
 */
function parseBody<S extends z.ZodType>(schema: S, req: FastifyRequest, reply: FastifyReply): z.output<S> | undefined {
  if (req.body === undefined || req.body === null) {
    fail(reply, 400, MISSING_JSON);
    return undefined;
  }
  const r = schema.safeParse(req.body);
  if (r.success) return r.data;
  const issues = r.error.issues;
  const describe = (i: (typeof issues)[number]) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`;
  if (issues.every((i) => i.code === 'too_small' && i.origin === 'string')) {
    reply.code(422).send({ data: null, error: `Validation error: ${issues.map(describe).join(', ')}`, status: 422 });
  } else {
    reply.code(400).send({
      data: null,
      error: `Invalid JSON: Failed to deserialize the JSON body into the target type: ${issues.map(describe).join('; ')}`,
      status: 400,
    });
  }
  return undefined;
}

function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function securityHeaders(core: AuthCore): Record<string, string> {
  const h = core.config.security.headers;
  if (!h.enabled) return {};
  const out: Record<string, string> = {
    'strict-transport-security': `max-age=${h.hstsMaxAge}${h.hstsIncludeSubdomains ? '; includeSubDomains' : ''}`,
    'x-frame-options': h.frameOptions,
    'x-content-type-options': h.contentTypeOptions,
    'referrer-policy': h.referrerPolicy,
  };
  if (h.csp.enabled) {
    out['content-security-policy'] =
      `default-src ${h.csp.defaultSrc.join(' ')}; script-src ${h.csp.scriptSrc.join(' ')}; ` +
      `style-src ${h.csp.styleSrc.join(' ')}; connect-src ${h.csp.connectSrc.join(' ')};`;
  }
  return out;
}

type Authed = Extract<VerifyResult, { ok: true }>;

// ---------------------------------------------------------------------------------------------------------
// plugin

/** Builds the fastify plugin with every mero-auth route (`/auth/*` public, `/admin/*` JWT-protected). */
export function buildAuthPlugin(core: AuthCore): FastifyPluginAsync {
  return async function meroAuth(app: FastifyInstance) {
    const cfg = core.config;
    const bodyLimit = cfg.security.maxBodySize;
    const secHeaders = securityHeaders(core);
    const authInfo = new WeakMap<FastifyRequest, Authed>();

    app.setErrorHandler((error: FastifyError, req, reply) => {
      const code = error.statusCode ?? 500;
      if (code >= 500) {
        req.log.error({ err: error }, 'auth: internal error');
        return fail(reply, 500, 'Internal server error');
      }
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 400, MISSING_JSON);
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 413, 'Request body too large');
      if (code === 400 && error.code?.startsWith('FST_ERR_CTP')) return fail(reply, 400, `Invalid JSON: ${error.message}`);
      return fail(reply, code, error.message);
    });

    if (Object.keys(secHeaders).length) {
      app.addHook('onSend', async (_req, reply, payload) => {
        for (const [k, v] of Object.entries(secHeaders)) if (!reply.hasHeader(k)) reply.header(k, v);
        return payload;
      });
    }

    // ---- public: login UI -------------------------------------------------------------------------------
    app.get('/auth/login', async (req, reply) => {
      reply.headers(NO_CACHE_HEADERS).type('text/html; charset=utf-8');
      if (core.providers.length > 0) {
        const f = await readStatic(core.frontendDir, 'index.html');
        if (f) return reply.send(f.body);
        req.log.error({ dir: core.frontendDir }, 'auth: login page index.html not found');
      }
      return reply.send(NO_PROVIDER_HTML);
    });

    const serveAsset = async (rel: string, reply: FastifyReply) => {
      const f = await readWithFallback(core.frontendDir, rel);
      if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('File not found');
      return reply.headers(NO_CACHE_HEADERS).type(f.contentType).send(f.body);
    };
    app.get('/auth/assets/*', async (req, reply) =>
      serveAsset(`assets/${(req.params as Record<string, string>)['*'] ?? ''}`, reply),
    );
    app.get('/auth/favicon.ico', async (_req, reply) => serveAsset('favicon.ico', reply));

    /** meroctl's browser flow: the login page handles `callback-url` itself. */
    app.get('/auth/callback', async (req, reply) => {
      const q = req.url.indexOf('?');
      return reply.redirect(q >= 0 ? `login${req.url.slice(q)}` : 'login', 302);
    });

    // ---- public: API --------------------------------------------------------------------------------------
    app.post('/auth/token', { bodyLimit }, async (req, reply) => {
      const body = parseBody(TokenRequestSchema, req, reply);
      if (!body) return reply;
      const started = Date.now();
      const nodeUrl = body.client_name; // upstream: client_name is the node URL the tokens are bound to
      const authMethod = sanitizeIdentifier(body.auth_method);
      if (!authMethod) return fail(reply, 400, 'Authentication method must contain valid characters');
      if (!sanitizeString(body.public_key)) return fail(reply, 400, 'Public key cannot be empty after sanitization');
      if (!sanitizeString(body.client_name)) return fail(reply, 400, 'Client name cannot be empty after sanitization');

      const provider = core.providers.find((p) => p.supportsMethod(authMethod));
      if (!provider) {
        core.metrics.record(false, Date.now() - started, 'unsupported_method');
        return fail(reply, 401, `Authentication failed: Unsupported authentication method: ${authMethod}`);
      }
      // Login throttling is accounted to this address (the TCP peer, or with `trust_proxy` the address the
      // nearest proxy saw).
      const clientAddress = loginAddressOf(req.ip, header(req.headers, 'x-forwarded-for'), cfg.userPassword.rateLimit.trustProxy);
      let result;
      try {
        result = await provider.authenticate(body.provider_data, { clientAddress });
      } catch (e) {
        if (e instanceof ProviderError && (e.status === 429 || e.status === 503)) {
          core.metrics.record(false, Date.now() - started, e.status === 429 ? 'rate_limited' : 'busy');
          if (e instanceof LoginThrottledError && e.firstInWindow) {
            req.log.warn({ client: clientAddress, retry_after: e.retryAfter }, 'auth: login attempts throttled');
          }
          reply.header('retry-after', String(e.retryAfter ?? 1));
          return fail(reply, e.status, e.message);
        }
        core.metrics.record(false, Date.now() - started, 'invalid_credentials');
        if (e instanceof ProviderError) return fail(reply, e.status, `Authentication failed: ${e.message}`);
        throw e;
      }
      const key = await core.keys.getKey(result.keyId);
      if (key && !isValidForNode(key, nodeUrl)) {
        core.metrics.record(false, Date.now() - started, 'invalid_node');
        return fail(reply, 401, 'Authentication failed: Key is not valid for this node');
      }
      const pair = await core.tokens.issuePair(result.keyId, result.permissions, nodeUrl);
      core.metrics.record(true, Date.now() - started);
      return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
    });

    app.post('/auth/refresh', { bodyLimit }, async (req, reply) => {
      const body = parseBody(RefreshTokenRequestSchema, req, reply);
      if (!body) return reply;
      try {
        await core.tokens.verify(body.access_token, 'access');
        return fail(reply, 401, 'Access token still valid');
      } catch (e) {
        if (!(e instanceof TokenError && e.kind === 'expired')) {
          return fail(reply, 401, `Invalid access token: ${(e as Error).message}`);
        }
      }
      let claims;
      try {
        claims = await core.tokens.verify(body.refresh_token, 'refresh');
      } catch (e) {
        return fail(reply, 401, `Invalid refresh token: ${(e as Error).message}`);
      }
      const nodeErr = checkNodeBinding(claims.node_url, req.headers, cfg.jwt.allowedNodeUrls);
      if (nodeErr) return fail(reply, 403, nodeErr, 'invalid_node');
      const famRevoked = 'Invalid refresh token: its token family was revoked after refresh-token reuse';
      if (claims.fam && (await core.tokens.isFamilyRevoked(claims.fam))) return fail(reply, 401, famRevoked, 'token_revoked');
      // Single use: the record becomes a tombstone now. Reuse is checked before the key: a rotated client
      // key no longer exists, and its replayed refresh token must still be recognised as reuse.
      const used = await core.tokens.consumeRefresh(claims.jti);
      if (used.status === 'reused') {
        if (used.revokedFamily) {
          core.metrics.revocations++;
          req.log.warn({ key_id: used.keyId, family: used.fam }, 'auth: refresh token reused; token family revoked');
        }
        return fail(
          reply,
          401,
          `Invalid refresh token: Refresh token has already been used${used.fam ? '; its token family has been revoked' : ''}`,
          'token_revoked',
        );
      }
      if (used.status === 'unknown') {
        return fail(reply, 401, 'Invalid refresh token: Refresh token has already been used or revoked', 'token_revoked');
      }
      const key = await core.keys.getKey(claims.sub);
      if (!key) return fail(reply, 401, `Invalid refresh token: Key not found: ${claims.sub}`, 'invalid_token');
      if (!isValidKey(key)) return fail(reply, 401, 'Invalid refresh token: Key is not valid', 'token_revoked');
      core.metrics.refreshes++;
      // Tokens issued before families existed start one now; others continue theirs (a concurrent reuse
      // may have revoked it in between: issuePair then refuses).
      const issue = async (keyId: string) => {
        try {
          return await core.tokens.issuePair(keyId, key.permissions, claims.node_url, {}, claims.fam);
        } catch (e) {
          if (e instanceof TokenError && e.kind === 'revoked') return null;
          throw e;
        }
      };
      if (key.key_type === 'Root') {
        const pair = await issue(claims.sub);
        if (!pair) return fail(reply, 401, famRevoked, 'token_revoked');
        return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
      }
      // Client keys rotate their id on refresh (upstream): new key record, old one removed.
      const newId = sha256Hex(`refresh:${claims.sub}:${nowSecs()}:${randomBytes(16).toString('hex')}`);
      const pair = await issue(newId);
      if (!pair) return fail(reply, 401, famRevoked, 'token_revoked');
      try {
        await core.keys.setKey(newId, { ...key });
      } catch (e) {
        if (e instanceof KeyValidationError) return fail(reply, 401, `Invalid refresh token: ${e.message}`);
        throw e;
      }
      await core.keys.deleteKey(claims.sub);
      await core.tokens.revokeRefreshTokensOf(claims.sub);
      return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
    });

    app.get('/auth/challenge', async (_req, reply) => ok(reply, await core.tokens.challenge()));

    app.get('/auth/providers', async (_req, reply) => {
      const providers = [];
      for (const p of core.providers) {
        providers.push({
          name: p.name,
          type: p.type,
          description: p.description,
          configured: await p.isConfiguredWithUsers().catch(() => true),
          config: p.configOptions(),
        });
      }
      return ok(reply, { providers, count: providers.length });
    });

    app.get('/auth/health', async (_req, reply) => {
      const storageOk = await core.storage.exists('health-check').then(
        () => true,
        () => false,
      );
      return ok(reply, {
        status: storageOk ? 'alive' : 'not_alive',
        storage: storageOk,
        uptime_seconds: core.metrics.uptimeSeconds(),
      });
    });

    app.post('/auth/mock-token', { bodyLimit }, async (req, reply) => {
      const dev = cfg.development;
      if (!dev.enableMockAuth) return fail(reply, 404, 'Endpoint not found');
      if (dev.mockAuthRequireHeader) {
        const auth = header(req.headers, 'authorization');
        if (dev.mockAuthHeaderValue !== undefined) {
          if (auth !== dev.mockAuthHeaderValue) {
            return fail(reply, 401, 'Invalid or missing authorization for mock endpoint');
          }
        } else if (auth === undefined) {
          return fail(reply, 401, 'Authorization header required for mock endpoint');
        }
      }
      const body = parseBody(MockTokenRequestSchema, req, reply);
      if (!body) return reply;
      const clientName = sanitizeString(body.client_name);
      if (!clientName) return fail(reply, 400, 'Client name cannot be empty after sanitization');
      const permissions = body.permissions ?? ['admin'];
      const ts = nowSecs();
      const keyId = `mock_${sanitizeIdentifier(clientName)}_${ts}_${randomBytes(4).toString('hex')}`;
      await core.keys.setKey(keyId, newRootKey(`mock_public_key_${ts}`, 'mock_auth', permissions, body.node_url));
      const pair = await core.tokens.issuePair(keyId, permissions, body.node_url, {
        access: body.access_token_expiry ?? undefined,
        refresh: body.refresh_token_expiry ?? undefined,
      });
      reply.header('x-mock-token', 'true').header('x-key-id', keyId).header('x-warning', 'Mock token - for testing only');
      return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
    });

    // ---- public: forward-auth validation (no body parsing: proxies forward arbitrary content types) --------
    await app.register(async (v) => {
      v.removeAllContentTypeParsers();
      v.addContentTypeParser('*', (_req, payload, done) => {
        payload.resume();
        payload.on('end', () => done(null, undefined));
        payload.on('error', () => done(null, undefined));
      });
      const validate = async (req: FastifyRequest, reply: FastifyReply) => {
        const forwarded = forwardedRequest(req);
        const token = bearerOrForwarded(req, forwarded);
        const r = await core.checkToken(token, req.headers, 'access');
        if (!r.ok) return fail(reply, r.status, r.reason, r.error);
        // With the forwarded method and URI (Traefik, nginx, our node in proxy mode), the route's permission is
        // checked here as upstream's forward-auth does; without them only the token is checked.
        if (forwarded.method && forwarded.path && !permitted(r.permissions, requiredPermissions(forwarded.method, forwarded.path))) {
          return fail(reply, 403, `Permission denied for ${forwarded.method} ${forwarded.path}`, 'permission_denied');
        }
        reply.header('x-auth-user', headerSafe(r.keyId));
        if (r.permissions.length) reply.header('x-auth-permissions', headerSafe(r.permissions.join(',')));
        return ok(reply, '');
      };
      v.get('/auth/validate', validate);
      v.post('/auth/validate', validate);
    });

    // ---- protected: /admin --------------------------------------------------------------------------------
    await app.register(async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        if (req.method === 'OPTIONS') return;
        const h = header(req.headers, 'authorization');
        if (h === undefined) return fail(reply, 400, 'Missing Authorization header', 'invalid_request');
        if (!h.startsWith('Bearer ')) {
          return fail(reply, 400, "Invalid Authorization header format. Expected 'Bearer <token>'", 'invalid_request');
        }
        const token = h.slice(7).trim();
        if (!token) return fail(reply, 400, 'Empty token provided', 'invalid_request');
        const r = await core.checkToken(token, req.headers, 'access');
        if (!r.ok) return fail(reply, r.status, r.reason, r.error);
        const path = req.url.split('?')[0]!;
        if (!permitted(r.permissions, requiredPermissions(req.method, path))) {
          return fail(reply, 403, 'Permission denied', 'permission_denied');
        }
        authInfo.set(req, r);
        reply.header('x-auth-user', headerSafe(r.keyId));
        if (r.permissions.length) reply.header('x-auth-permissions', headerSafe(r.permissions.join(',')));
      });

      admin.post('/admin/revoke', { bodyLimit }, async (req, reply) => {
        const body = parseBody(RevokeTokenRequestSchema, req, reply);
        if (!body) return reply;
        const id = sanitizeIdentifier(body.client_id);
        if (!id) return fail(reply, 400, 'Client ID must contain valid characters');
        const key = await core.keys.getKey(id);
        if (!key) return fail(reply, 404, 'Failed to revoke tokens: Key not found');
        if (key.key_type === 'Root' && isValidKey(key) && (await activeRootCount(core)) <= 1) {
          return fail(reply, 400, 'Cannot revoke the last active root key');
        }
        await core.keys.revokeKey(id);
        await core.tokens.revokeRefreshTokensOf(id);
        core.metrics.revocations++;
        return ok(reply, { success: true, message: 'Tokens revoked successfully' });
      });

      admin.get('/admin/keys', async (_req, reply) => {
        const keys = await core.keys.listKeys('Root');
        return ok(
          reply,
          keys.map(([key_id, k]) => ({
            key_id,
            public_key: k.public_key,
            auth_method: k.auth_method,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            permissions: k.permissions,
          })),
        );
      });

      admin.post('/admin/keys', { bodyLimit }, async (req, reply) => {
        const body = parseBody(CreateKeyRequestSchema, req, reply);
        if (!body) return reply;
        const method = sanitizeIdentifier(body.auth_method);
        const publicKey = sanitizeString(body.public_key);
        if (!method) return fail(reply, 400, 'Authentication method must contain valid characters');
        if (!publicKey) return fail(reply, 400, 'Public key cannot be empty after sanitization');
        const provider = core.providers.find((p) => p.name === method);
        if (!provider) return fail(reply, 400, 'Provider not found');
        // The caller's verified token: creating a root key needs the permissions that key gets (ours), and only
        // such a caller may replace an existing user's credential (otherwise 409).
        const auth = authInfo.get(req);
        const caller = { keyId: auth?.keyId ?? '', permissions: auth?.permissions ?? [] };
        try {
          const r = await provider.createRootKey(publicKey, body.provider_data, body.target_node_url ?? null, caller);
          if (r.revokedKeyId) {
            // Rotation: the old key is revoked; its refresh tokens go with it.
            await core.tokens.revokeRefreshTokensOf(r.revokedKeyId);
            core.metrics.revocations++;
          }
          return ok(reply, { status: true, message: r.updated ? 'Key was updated' : 'Key was created' });
        } catch (e) {
          if (e instanceof ProviderError) return fail(reply, e.status === 403 || e.status === 409 ? e.status : 400, e.message);
          throw e;
        }
      });

      admin.delete('/admin/keys/:key_id', async (req, reply) => {
        const { key_id } = req.params as { key_id: string };
        if ((await activeRootCount(core)) <= 1) {
          return ok(reply, { status: false, message: 'Cannot delete the last active root key' });
        }
        const key = await core.keys.getKey(key_id);
        if (!key) return fail(reply, 404, 'Root key not found');
        if (key.key_type !== 'Root') return fail(reply, 400, 'Not a root key');
        const revoked = await core.keys.revokeKey(key_id);
        await core.tokens.revokeRefreshTokensOf(key_id);
        core.metrics.revocations++;
        return ok(reply, { key_id, revoked_at: revoked!.revoked_at });
      });

      admin.get('/admin/keys/clients', async (_req, reply) => {
        const keys = await core.keys.listKeys('Client');
        return ok(
          reply,
          keys.map(([client_id, k]) => ({
            client_id,
            root_key_id: k.root_key_id ?? '',
            name: k.name ?? '',
            permissions: k.permissions,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            is_valid: isValidKey(k),
          })),
        );
      });

      admin.post('/admin/client-key', { bodyLimit }, async (req, reply) => {
        const body = parseBody(GenerateClientKeyRequestSchema, req, reply);
        if (!body) return reply;
        const auth = authInfo.get(req)!;
        if (!auth.permissions.includes('admin')) return fail(reply, 403, 'Token does not have admin permissions');
        let rootId = auth.keyId;
        let root: Key | null = await core.keys.getKey(rootId);
        if (root?.key_type === 'Client' && root.root_key_id) {
          rootId = root.root_key_id;
          root = await core.keys.getKey(rootId);
        }
        if (!root) return fail(reply, 404, 'Root key not found');
        if (!isValidKey(root)) return fail(reply, 401, 'Root key is revoked');

        const contextId = body.context_id ? sanitizeIdentifier(body.context_id) : '';
        const contextIdentity = body.context_identity ? sanitizeIdentifier(body.context_identity) : '';
        const permissions: string[] = [];
        if (contextId && contextIdentity) permissions.push(`context[${contextId},${contextIdentity}]`);
        for (const perm of body.permissions ?? []) {
          if (!/^[\x20-\x7e]+$/.test(perm) || !isValidPermission(perm)) {
            return fail(reply, 400, `Invalid permission format: ${escapeHtml(perm)}`);
          }
          if (!keyHas(root, perm)) return fail(reply, 400, `Root key does not have permission: ${escapeHtml(perm)}`);
          if (!permissions.includes(perm)) permissions.push(perm);
        }
        const clientId = sha256Hex(
          `client:${contextId}:${contextIdentity}:${nowSecs()}:${randomBytes(16).toString('hex')}`,
        );
        const nodeUrl = body.target_node_url ?? null;
        const key = newClientKey(rootId, `Context Client - ${contextId} (${contextIdentity})`, permissions, nodeUrl);
        try {
          await core.keys.setKey(clientId, key);
        } catch (e) {
          if (e instanceof KeyValidationError) return fail(reply, 400, e.message);
          throw e;
        }
        const pair = await core.tokens.issuePair(clientId, permissions, nodeUrl);
        return ok(reply, { access_token: pair.accessToken, refresh_token: pair.refreshToken, error: null });
      });

      admin.delete('/admin/keys/:key_id/clients/:client_id', async (req, reply) => {
        const { key_id, client_id } = req.params as { key_id: string; client_id: string };
        const key = await core.keys.getKey(client_id);
        if (!key || key.key_type !== 'Client') return fail(reply, 404, 'Client key not found');
        if (key.root_key_id !== key_id) return fail(reply, 400, 'Client key does not belong to specified root key');
        const revoked = await core.keys.revokeKey(client_id);
        await core.tokens.revokeRefreshTokensOf(client_id);
        core.metrics.revocations++;
        return ok(reply, { message: 'Client key revoked successfully', revoked_at: revoked!.revoked_at });
      });

      admin.get('/admin/keys/:key_id/permissions', async (req, reply) => {
        const { key_id } = req.params as { key_id: string };
        const key = await core.keys.getKey(key_id);
        if (!key) return fail(reply, 404, 'Key not found');
        if (!isValidKey(key)) return fail(reply, 404, 'Key is revoked');
        return ok(reply, { permissions: key.permissions });
      });

      admin.put('/admin/keys/:key_id/permissions', { bodyLimit }, async (req, reply) => {
        const { key_id } = req.params as { key_id: string };
        const body = parseBody(UpdateKeyPermissionsRequestSchema, req, reply);
        if (!body) return reply;
        const add = (body.add ?? []).map(sanitizeString).filter(Boolean);
        const remove = (body.remove ?? []).map(sanitizeString).filter(Boolean);
        const key = await core.keys.getKey(key_id);
        if (!key) return fail(reply, 404, 'Key not found');
        if (!isValidKey(key)) return fail(reply, 400, 'Key is revoked');
        const next = key.permissions.filter((p) => !remove.includes(p));
        for (const p of add) {
          if (!isValidPermission(p)) return fail(reply, 400, 'Invalid permission format: Invalid permission format');
          if (!next.includes(p)) next.push(p);
        }
        if (next.length === 0) return fail(reply, 400, 'Key must have at least one permission');
        const changed = next.length !== key.permissions.length || next.some((p, i) => p !== key.permissions[i]);
        if (changed) {
          try {
            await core.keys.setKey(key_id, { ...key, permissions: next });
          } catch (e) {
            if (e instanceof KeyValidationError) return fail(reply, 400, e.message);
            throw e;
          }
        }
        return ok(reply, { permissions: next });
      });

      admin.get('/admin/identity', async (_req, reply) =>
        ok(reply, {
          service: 'calimero-auth',
          version: core.version,
          authentication_mode: 'forward',
          providers: core.providers.map((p) => p.name),
        }),
      );

      admin.get('/admin/metrics', async (_req, reply) => ok(reply, core.metrics.snapshot()));
    });
  };
}

async function activeRootCount(core: AuthCore): Promise<number> {
  return (await core.keys.listKeys('Root')).filter(([, k]) => isValidKey(k)).length;
}

/** The request a reverse proxy asks about: `X-Forwarded-Method` + `X-Forwarded-Uri` (Traefik) or the nginx names. */
function forwardedRequest(req: FastifyRequest): { method?: string; path?: string; uri?: string } {
  const uri = header(req.headers, 'x-forwarded-uri') ?? header(req.headers, 'x-original-uri');
  const method = header(req.headers, 'x-forwarded-method') ?? header(req.headers, 'x-original-method');
  return { method, uri, path: uri?.split(/[?#]/)[0] };
}

/** Paths where a browser cannot set a header, so the token may come as `?token=` (WebSocket upgrade, EventSource). */
function acceptsQueryToken(path: string | undefined): boolean {
  return path === '/ws' || path === '/sse' || (path?.endsWith('/ws') ?? false);
}

/**
 * Forward-auth token lookup: `Authorization: Bearer`, else — only for a forwarded `/ws` or `/sse` request —
 * `?token=` in `X-Forwarded-Uri` / `X-Original-URI`. Upstream reads the query token for every path; a token in a
 * REST URL ends up in logs and browser history, so we refuse it there.
 */
function bearerOrForwarded(req: FastifyRequest, forwarded: { path?: string; uri?: string }): string | undefined {
  return bearerToken(req.headers) ?? (acceptsQueryToken(forwarded.path) ? queryToken(forwarded.uri) : undefined);
}
