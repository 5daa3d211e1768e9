import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { createAuthService, type AuthService, TokenResponseSchema, envelopeSchema } from '../src/auth/index.ts';
import { getJson } from '../src/auth/storage.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

// mero-auth through HTTP (fastify inject): bootstrap, tokens, refresh rotation, revocation, forward-auth,
// the /admin routes, the login page, and refusal of bad tokens by /auth/validate and verifyRequest().

interface Harness {
  svc: AuthService;
  app: FastifyInstance;
}

async function harness(config: Record<string, unknown> = {}): Promise<Harness> {
  const svc = await createAuthService({ storage: { type: 'memory' }, ...config });
  const app = Fastify();
  await app.register(svc.plugin);
  await app.ready();
  return { svc, app };
}

async function call(
  h: Harness,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await h.app.inject({ method, url, payload: body as never, headers });
  let json: any = null;
  try {
    json = JSON.parse(r.body);
  } catch {
    /* not JSON */
  }
  return { status: r.statusCode, headers: r.headers, body: r.body, json };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });


async function login(h: Harness, username = 'admin', password = 'correct horse', clientName?: string) {
  const r = await call(h, 'POST', '/auth/token', passwordTokenRequest(username, password, clientName));
  assert.equal(r.status, 200, r.body);
  const data = envelopeSchema(TokenResponseSchema).parse(r.json).data!;
  return { access: data.access_token, refresh: data.refresh_token };
}

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

async function authSecret(svc: AuthService): Promise<Uint8Array> {
  const rec = await getJson<{ secret: string }>(svc.core.storage, 'system:secrets:jwt_auth');
  return new Uint8Array(Buffer.from(rec!.secret, 'base64'));
}

describe('bootstrap, login and /admin', () => {
  let h: Harness;
  let tokens: { access: string; refresh: string };
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  test('before any login the provider reports no users', async () => {
    const r = await call(h, 'GET', '/auth/providers');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.error, null);
    assert.equal(r.json.data.count, 1);
    assert.equal(r.json.data.providers[0].name, 'user_password');
    assert.equal(r.json.data.providers[0].type, 'credentials');
    assert.equal(r.json.data.providers[0].configured, false);
  });

  test('the first login bootstraps the root user', async () => {
    tokens = await login(h);
    const keys = await call(h, 'GET', '/admin/keys', undefined, bearer(tokens.access));
    assert.equal(keys.status, 200, keys.body);
    assert.equal(keys.json.data.length, 1);
    const root = keys.json.data[0];
    assert.equal(root.auth_method, 'user_password');
    assert.equal(root.public_key, 'admin');
    assert.deepEqual(root.permissions, ['admin']);
    assert.equal(root.revoked_at, null);
    assert.equal(keys.headers['x-auth-user'], root.key_id);
    assert.equal(keys.headers['x-auth-permissions'], 'admin');
    const prov = await call(h, 'GET', '/auth/providers');
    assert.equal(prov.json.data.providers[0].configured, true);
  });

  test('the password is stored only as an argon2id hash', async () => {
    const rec = await getJson<{ password_hash: string }>(h.svc.core.storage, 'user:admin');
    assert.ok(rec);
    assert.match(rec.password_hash, /^\$argon2id\$/);
    for (const k of await h.svc.core.storage.listKeys('')) {
      const v = Buffer.from((await h.svc.core.storage.get(k))!).toString('utf8');
      assert.ok(!v.includes('correct horse'), `plain password found under ${k}`);
    }
  });

  test('the same credentials log in again; wrong password and unknown users are refused', async () => {
    await login(h);
    const wrong = await call(h, 'POST', '/auth/token', passwordTokenRequest('admin', 'wrong password'));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.data, null);
    assert.equal(wrong.json.error, 'Authentication failed: Invalid username or password');
    const other = await call(h, 'POST', '/auth/token', passwordTokenRequest('mallory', 'correct horse'));
    assert.equal(other.status, 401);
    assert.equal(other.json.error, 'Authentication failed: Invalid username or password');
    const method = await call(h, 'POST', '/auth/token', { ...passwordTokenRequest('admin', 'x'), auth_method: 'near_wallet' });
    assert.equal(method.status, 401);
    assert.equal(method.json.error, 'Authentication failed: Unsupported authentication method: near_wallet');
  });

  test('/admin needs a bearer token', async () => {
    const none = await call(h, 'GET', '/admin/keys');
    assert.equal(none.status, 400);
    assert.equal(none.headers['x-auth-error'], 'invalid_request');
    assert.equal(none.json.error, 'Missing Authorization header');
    const basic = await call(h, 'GET', '/admin/keys', undefined, { authorization: 'Basic dXNlcjpwYXNz' });
    assert.equal(basic.status, 400);
    const junk = await call(h, 'GET', '/admin/keys', undefined, bearer('not.a.jwt'));
    assert.equal(junk.status, 401);
    assert.equal(junk.headers['x-auth-error'], 'invalid_token');
    const refreshAsAccess = await call(h, 'GET', '/admin/keys', undefined, bearer(tokens.refresh));
    assert.equal(refreshAsAccess.status, 401);
  });

  test('identity, metrics, health and challenge answer in the envelope', async () => {
    const id = await call(h, 'GET', '/admin/identity', undefined, bearer(tokens.access));
    assert.deepEqual(id.json.data.providers, ['user_password']);
    assert.equal(id.json.data.service, 'calimero-auth');
    assert.equal(id.json.data.authentication_mode, 'forward');
    const m = await call(h, 'GET', '/admin/metrics', undefined, bearer(tokens.access));
    assert.ok(m.json.data.auth_attempts >= 3);
    assert.ok(m.json.data.auth_failures >= 2);
    const health = await call(h, 'GET', '/auth/health');
    assert.equal(health.json.data.status, 'alive');
    assert.equal(health.json.data.storage, true);
    const ch = await call(h, 'GET', '/auth/challenge');
    assert.equal(Buffer.from(ch.json.data.nonce, 'base64').length, 32);
    assert.equal(ch.json.data.challenge.split('.').length, 3);
    assert.deepEqual(await h.svc.core.tokens.verifyChallenge(ch.json.data.challenge), { nonce: ch.json.data.nonce });
  });

  test('a second root user via POST /admin/keys, permissions, and the last-root-key guard', async () => {
    const created = await call(
      h,
      'POST',
      '/admin/keys',
      { public_key: 'bob', auth_method: 'user_password', provider_data: { username: 'bob', password: 'bobs password' } },
      bearer(tokens.access),
    );
    assert.equal(created.status, 200, created.body);
    assert.deepEqual(created.json.data, { status: true, message: 'Key was created' });
    const bob = await login(h, 'bob', 'bobs password');
    const keys = await call(h, 'GET', '/admin/keys', undefined, bearer(bob.access));
    assert.equal(keys.json.data.length, 2);
    const bobKey = keys.json.data.find((k: any) => k.public_key === 'bob').key_id;
    const adminKey = keys.json.data.find((k: any) => k.public_key === 'admin').key_id;

    const perms = await call(h, 'GET', `/admin/keys/${bobKey}/permissions`, undefined, bearer(tokens.access));
    assert.deepEqual(perms.json.data, { permissions: ['admin'] });
    const upd = await call(
      h,
      'PUT',
      `/admin/keys/${bobKey}/permissions`,
      { add: ['keys:list', 'context:execute[ctx1]'] },
      bearer(tokens.access),
    );
    assert.deepEqual(upd.json.data.permissions, ['admin', 'keys:list', 'context:execute[ctx1]']);
    const bad = await call(h, 'PUT', `/admin/keys/${bobKey}/permissions`, { add: ['bogus:perm'] }, bearer(tokens.access));
    assert.equal(bad.status, 400);
    const empty = await call(
      h,
      'PUT',
      `/admin/keys/${bobKey}/permissions`,
      { remove: ['admin', 'keys:list', 'context:execute[ctx1]'] },
      bearer(tokens.access),
    );
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error, 'Key must have at least one permission');

    const del = await call(h, 'DELETE', `/admin/keys/${bobKey}`, undefined, bearer(tokens.access));
    assert.equal(del.status, 200);
    assert.equal(del.json.data.key_id, bobKey);
    assert.ok(del.json.data.revoked_at > 0);
    // bob's tokens die with his key
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(bob.access));
    assert.equal(v.status, 403);
    assert.equal(v.headers['x-auth-error'], 'token_revoked');
    const last = await call(h, 'DELETE', `/admin/keys/${adminKey}`, undefined, bearer(tokens.access));
    assert.deepEqual(last.json.data, { status: false, message: 'Cannot delete the last active root key' });
    const missing = await call(h, 'DELETE', '/admin/keys/nope', undefined, bearer(tokens.access));
    assert.ok(missing.status === 404 || missing.json.data?.status === false);
  });
});

describe('client keys, permissions and revocation', () => {
  let h: Harness;
  let root: { access: string; refresh: string };
  before(async () => {
    h = await harness();
    root = await login(h);
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  async function clientKey(body: Record<string, unknown> = { context_id: 'ctx1', context_identity: 'alice' }) {
    const r = await call(h, 'POST', '/admin/client-key', body, bearer(root.access));
    assert.equal(r.status, 200, r.body);
    return { access: r.json.data.access_token as string, refresh: r.json.data.refresh_token as string };
  }

  test('a client key gets the context permission and cannot use /admin key management', async () => {
    const c = await clientKey();
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(c.access));
    assert.equal(v.status, 200);
    assert.equal(v.headers['x-auth-permissions'], 'context[ctx1,alice]');
    const denied = await call(h, 'GET', '/admin/keys', undefined, bearer(c.access));
    assert.equal(denied.status, 403);
    assert.equal(denied.headers['x-auth-error'], 'permission_denied');
    const list = await call(h, 'GET', '/admin/keys/clients', undefined, bearer(root.access));
    assert.equal(list.json.data.length, 1);
    assert.equal(list.json.data[0].name, 'Context Client - ctx1 (alice)');
    assert.equal(list.json.data[0].is_valid, true);
    const noAdmin = await call(h, 'POST', '/admin/client-key', {}, bearer(c.access));
    assert.equal(noAdmin.status, 403);
    assert.equal(noAdmin.json.error, 'Token does not have admin permissions');
  });

  test('extra permissions are checked', async () => {
    const c = await clientKey({ permissions: ['keys:list'] });
    const ok = await call(h, 'GET', '/admin/keys', undefined, bearer(c.access));
    assert.equal(ok.status, 200);
    const bad = await call(h, 'POST', '/admin/client-key', { permissions: ['nonsense'] }, bearer(root.access));
    assert.equal(bad.status, 400);
  });

  test('a revoked client key is refused everywhere, including its refresh token', async () => {
    const c = await clientKey({ context_id: 'ctx2', context_identity: 'bob' });
    const list = await call(h, 'GET', '/admin/keys/clients', undefined, bearer(root.access));
    const entry = list.json.data.find((k: any) => k.name.includes('ctx2'));
    const del = await call(h, 'DELETE', `/admin/keys/${entry.root_key_id}/clients/${entry.client_id}`, undefined, bearer(root.access));
    assert.equal(del.status, 200, del.body);
    assert.equal(del.json.data.message, 'Client key revoked successfully');
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(c.access));
    assert.equal(v.status, 403);
    assert.equal(v.headers['x-auth-error'], 'token_revoked');
    assert.equal(v.json.error, 'Key has been revoked');
    const g = await h.svc.verifyRequest(bearer(c.access), '/jsonrpc');
    assert.equal(g.ok, false);
    assert.equal(g.ok === false && g.status, 403);
    const expiredAccess = (await h.svc.core.tokens.issuePair(entry.client_id, [], null, { access: -10 })).accessToken;
    const r = await call(h, 'POST', '/auth/refresh', { access_token: expiredAccess, refresh_token: c.refresh });
    assert.equal(r.status, 401);
  });

  test('POST /admin/revoke revokes a key by id', async () => {
    const c = await clientKey({ context_id: 'ctx3', context_identity: 'carol' });
    const before = await call(h, 'GET', '/auth/validate', undefined, bearer(c.access));
    assert.equal(before.status, 200);
    const id = before.headers['x-auth-user'] as string;
    const r = await call(h, 'POST', '/admin/revoke', { client_id: id }, bearer(root.access));
    assert.deepEqual(r.json.data, { success: true, message: 'Tokens revoked successfully' });
    const after = await call(h, 'GET', '/auth/validate', undefined, bearer(c.access));
    assert.equal(after.status, 403);
    const unknown = await call(h, 'POST', '/admin/revoke', { client_id: 'unknown' }, bearer(root.access));
    assert.equal(unknown.status, 404);
    const rootId = (await call(h, 'GET', '/auth/validate', undefined, bearer(root.access))).headers['x-auth-user'];
    const lastRoot = await call(h, 'POST', '/admin/revoke', { client_id: rootId }, bearer(root.access));
    assert.equal(lastRoot.status, 400);
  });
});

describe('refresh tokens rotate and work once', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  test('refresh is refused while the access token is still valid', async () => {
    const t = await login(h);
    const r = await call(h, 'POST', '/auth/refresh', { access_token: t.access, refresh_token: t.refresh });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'Access token still valid');
  });

  test('a refresh token is exchanged once; the second use is refused', async () => {
    const t = await login(h);
    const keyId = (await h.svc.verifyRequest(bearer(t.access))).ok ? (await h.svc.verifyRequest(bearer(t.access))) : null;
    assert.ok(keyId && keyId.ok);
    const expired = (await h.svc.core.tokens.issuePair(keyId.keyId, ['admin'], null, { access: -10 })).accessToken;
    const first = await call(h, 'POST', '/auth/refresh', { access_token: expired, refresh_token: t.refresh });
    assert.equal(first.status, 200, first.body);
    const next = first.json.data;
    assert.notEqual(next.refresh_token, t.refresh);
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(next.access_token));
    assert.equal(v.status, 200);
    const access = await call(h, 'POST', '/auth/refresh', { access_token: expired, refresh_token: next.access_token });
    assert.equal(access.status, 401, 'an access token is not a refresh token');
    // the new refresh token works (once)
    const second = await call(h, 'POST', '/auth/refresh', { access_token: expired, refresh_token: next.refresh_token });
    assert.equal(second.status, 200);
    const again = await call(h, 'POST', '/auth/refresh', { access_token: expired, refresh_token: t.refresh });
    assert.equal(again.status, 401);
    assert.match(again.json.error, /already been used/);
    // (a replay revokes the whole token family: test/security-tokens.test.ts)
  });

  test('client keys rotate their id on refresh', async () => {
    const rootT = await login(h);
    const c = await call(h, 'POST', '/admin/client-key', { context_id: 'c', context_identity: 'i' }, bearer(rootT.access));
    const oldId = (await call(h, 'GET', '/auth/validate', undefined, bearer(c.json.data.access_token))).headers['x-auth-user'] as string;
    const expired = (await h.svc.core.tokens.issuePair(oldId, [], null, { access: -10 })).accessToken;
    const r = await call(h, 'POST', '/auth/refresh', { access_token: expired, refresh_token: c.json.data.refresh_token });
    assert.equal(r.status, 200, r.body);
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(r.json.data.access_token));
    assert.equal(v.status, 200);
    assert.notEqual(v.headers['x-auth-user'], oldId);
    assert.equal(v.headers['x-auth-permissions'], 'context[c,i]');
    assert.equal(await h.svc.core.keys.getKey(oldId), null);
  });

  test('with a 1-second access expiry the whole cycle works over HTTP', async () => {
    const short = await harness({ jwt: { access_token_expiry: 1 } });
    try {
      const t = await login(short);
      await new Promise((r) => setTimeout(r, 2100));
      const v = await call(short, 'GET', '/auth/validate', undefined, bearer(t.access));
      assert.equal(v.status, 401);
      assert.equal(v.headers['x-auth-error'], 'token_expired');
      const r = await call(short, 'POST', '/auth/refresh', { access_token: t.access, refresh_token: t.refresh });
      assert.equal(r.status, 200, r.body);
      const again = await call(short, 'POST', '/auth/refresh', { access_token: t.access, refresh_token: t.refresh });
      assert.equal(again.status, 401);
    } finally {
      await short.app.close();
      await short.svc.close();
    }
  });
});

describe('bad tokens are refused by /auth/validate and verifyRequest', () => {
  let h: Harness;
  let t: { access: string; refresh: string };
  let keyId: string;
  before(async () => {
    h = await harness({ jwt: { issuer: 'test-issuer' } });
    t = await login(h);
    const r = await h.svc.verifyRequest(bearer(t.access));
    assert.ok(r.ok);
    keyId = r.keyId;
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  async function refused(token: string, error: string, status = 401) {
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(token));
    assert.equal(v.status, status, v.body);
    assert.equal(v.headers['x-auth-error'], error);
    assert.equal(v.json.data, null);
    assert.equal(typeof v.json.error, 'string');
    assert.equal(v.headers['x-auth-user'], undefined);
    const g = await h.svc.verifyRequest(bearer(token), '/ws');
    assert.equal(g.ok, false);
    if (!g.ok) {
      assert.equal(g.status, status);
      assert.equal(g.error, error);
    }
    const q = await h.svc.verifyRequest({}, `/ws?token=${encodeURIComponent(token)}`);
    assert.equal(q.ok, false);
  }

  test('a valid token passes (header, query parameter, forwarded URI)', async () => {
    const v = await call(h, 'GET', '/auth/validate', undefined, bearer(t.access));
    assert.equal(v.status, 200);
    assert.deepEqual(v.json, { data: '', error: null });
    assert.equal(v.headers['x-auth-user'], keyId);
    assert.equal(v.headers['x-auth-permissions'], 'admin');
    const post = await call(h, 'POST', '/auth/validate', 'anything', { ...bearer(t.access), 'content-type': 'text/plain' });
    assert.equal(post.status, 200);
    const fwd = await call(h, 'GET', '/auth/validate', undefined, { 'x-forwarded-uri': `/ws?foo=1&token=${t.access}` });
    assert.equal(fwd.status, 200);
    assert.equal(fwd.headers['x-auth-user'], keyId);
    const sse = await h.svc.verifyRequest({}, `/sse?token=${t.access}`);
    assert.ok(sse.ok);
    assert.deepEqual(sse.ok && sse.permissions, ['admin']);
  });

  test('missing token', async () => {
    const v = await call(h, 'GET', '/auth/validate');
    assert.equal(v.status, 401);
    assert.equal(v.headers['x-auth-error'], 'missing_token');
    assert.deepEqual(v.json, { data: null, error: 'No token provided' });
    const g = await h.svc.verifyRequest({}, '/jsonrpc');
    assert.deepEqual(g, { ok: false, status: 401, error: 'missing_token', reason: 'No token provided' });
    const fwd = await call(h, 'GET', '/auth/validate', undefined, { 'x-forwarded-uri': '/ws?other=1' });
    assert.equal(fwd.headers['x-auth-error'], 'missing_token');
  });

  test('expired', async () => {
    const expired = (await h.svc.core.tokens.issuePair(keyId, ['admin'], null, { access: -5 })).accessToken;
    await refused(expired, 'token_expired');
  });

  test('tampered payload', async () => {
    const [hd, payload, sig] = t.access.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.permissions = ['admin', 'extra'];
    await refused(`${hd}.${b64url(claims)}.${sig}`, 'invalid_token');
    await refused(`${hd}.${payload}.${sig!.slice(0, -2)}AA`, 'invalid_token');
  });

  test('alg:none', async () => {
    const [, payload] = t.access.split('.');
    await refused(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`, 'invalid_token');
    await refused(`${b64url({ alg: 'none' })}.${payload}`, 'invalid_token');
  });

  test('wrong issuer, wrong audience, wrong key, other algorithm', async () => {
    const secret = await authSecret(h.svc);
    const now = Math.floor(Date.now() / 1000);
    const base = (iss: string, aud: string) =>
      new SignJWT({ permissions: ['admin'], token_type: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(keyId)
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .setJti('x');
    // sanity: correct claims with the real secret pass
    const good = await base('test-issuer', 'test-issuer').sign(secret);
    assert.ok((await h.svc.verifyRequest(bearer(good))).ok);
    await refused(await base('calimero-auth', 'test-issuer').sign(secret), 'invalid_token');
    await refused(await base('test-issuer', 'someone-else').sign(secret), 'invalid_token');
    await refused(await base('test-issuer', 'test-issuer').sign(new Uint8Array(32).fill(7)), 'invalid_token');
    const hs512 = await new SignJWT({ permissions: ['admin'] })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(keyId)
      .setIssuer('test-issuer')
      .setAudience('test-issuer')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti('y')
      .sign(new Uint8Array(64).fill(1));
    await refused(hs512, 'invalid_token');
    await refused('garbage', 'invalid_token');
    await refused('a.b.c', 'invalid_token');
  });

  test('unknown key', async () => {
    const forged = (await h.svc.core.tokens.issuePair('no-such-key', ['admin'])).accessToken;
    await refused(forged, 'invalid_token');
  });
});

describe('node URL binding (client_name)', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  test('tokens issued for a node URL only validate for that host', async () => {
    const t = await login(h, 'admin', 'correct horse', 'http://node.example:2528');
    const same = await call(h, 'GET', '/auth/validate', undefined, { ...bearer(t.access), host: 'node.example:2528' });
    assert.equal(same.status, 200);
    const fwd = await call(h, 'GET', '/auth/validate', undefined, {
      ...bearer(t.access),
      host: 'auth:3001',
      'x-forwarded-host': 'node.example',
    });
    assert.equal(fwd.status, 200);
    const internal = await call(h, 'GET', '/auth/validate', undefined, { ...bearer(t.access), host: 'auth:3001' });
    assert.equal(internal.status, 200);
    const other = await call(h, 'GET', '/auth/validate', undefined, { ...bearer(t.access), host: 'evil.example' });
    assert.equal(other.status, 403);
    assert.equal(other.headers['x-auth-error'], 'invalid_node');
    const g = await h.svc.verifyRequest({ ...bearer(t.access), host: 'evil.example' });
    assert.equal(g.ok === false && g.error, 'invalid_node');
  });
});

describe('input errors are 4xx with the envelope', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  test('bodies', async () => {
    const cases: Array<[string, unknown, Record<string, string>]> = [
      ['/auth/token', '{not json', { 'content-type': 'application/json' }],
      ['/auth/token', 'plain', { 'content-type': 'text/plain' }],
      ['/auth/token', undefined, {}],
      ['/auth/token', [], {}],
      ['/auth/token', { auth_method: 5 }, {}],
      ['/auth/token', { ...passwordTokenRequest('a', 'b'), auth_method: '' }, {}],
      ['/auth/token', { ...passwordTokenRequest('a', 'b'), provider_data: 'x' }, {}],
      ['/auth/token', { ...passwordTokenRequest('a', 'b'), auth_method: '!!!' }, {}],
      ['/auth/token', { ...passwordTokenRequest('a', 'b'), timestamp: -1 }, {}],
      ['/auth/refresh', {}, {}],
      ['/auth/refresh', { access_token: 'x', refresh_token: 'y' }, {}],
      ['/auth/mock-token', { client_name: 'x' }, {}],
    ];
    for (const [url, body, headers] of cases) {
      const r = await call(h, 'POST', url, body, headers);
      assert.ok(r.status >= 400 && r.status < 500, `${url} ${JSON.stringify(body)} -> ${r.status} ${r.body}`);
      assert.equal(r.json?.data, null, r.body);
      assert.equal(typeof r.json?.error, 'string', r.body);
    }
    const short = await call(h, 'POST', '/auth/token', passwordTokenRequest('admin', 'short'));
    assert.equal(short.status, 400);
    assert.match(short.json.error, /at least 8 characters/);
    const big = await call(h, 'POST', '/auth/token', { ...passwordTokenRequest('a', 'b'), pad: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(big.status, 413);
  });
});

describe('login page', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.app.close();
    await h.svc.close();
  });

  test('GET /auth/login serves our page with stable element ids', async () => {
    const r = await call(h, 'GET', '/auth/login');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
    for (const id of ['username', 'password', 'login']) assert.match(r.body, new RegExp(`id="${id}"`));
    assert.match(r.body, /assets\/login\.js/);
  });

  test('assets and favicon', async () => {
    const js = await call(h, 'GET', '/auth/assets/login.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(js.body, /access-token/);
    assert.match(js.body, /refresh-token/);
    assert.match(js.body, /callback-url/);
    const css = await call(h, 'GET', '/auth/assets/login.css');
    assert.match(String(css.headers['content-type']), /text\/css/);
    const ico = await call(h, 'GET', '/auth/favicon.ico');
    assert.equal(ico.headers['content-type'], 'image/x-icon');
    const escape = await call(h, 'GET', '/auth/assets/..%2f..%2fpackage.json');
    assert.doesNotMatch(escape.body, /"dependencies"/);
  });

  test('/auth/callback hands over to the login page', async () => {
    const r = await call(h, 'GET', '/auth/callback?callback-url=http%3A%2F%2F127.0.0.1%3A9080%2Fcallback');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, 'login?callback-url=http%3A%2F%2F127.0.0.1%3A9080%2Fcallback');
  });

  test('a prebuilt frontend directory can replace the page', async () => {
    const { mkdtemp, writeFile, mkdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'auth-fe-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<html>custom</html>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    const svc = await createAuthService({ storage: { type: 'memory' } }, { frontendDir: dir });
    const app = Fastify();
    await app.register(svc.plugin);
    try {
      assert.equal((await app.inject('/auth/login')).body, '<html>custom</html>');
      assert.equal((await app.inject('/auth/assets/app.js')).body, 'console.log(1)');
      assert.equal((await app.inject('/auth/assets/missing.js')).body, '<html>custom</html>');
    } finally {
      await app.close();
      await svc.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('no provider enabled', async () => {
    const svc = await createAuthService({ storage: { type: 'memory' }, providers: { user_password: false } });
    const app = Fastify();
    await app.register(svc.plugin);
    try {
      assert.match((await app.inject('/auth/login')).body, /No authentication provider is available/);
      const p = JSON.parse((await app.inject('/auth/providers')).body);
      assert.deepEqual(p.data, { providers: [], count: 0 });
    } finally {
      await app.close();
      await svc.close();
    }
  });
});

describe('mock tokens (development only)', () => {
  test('disabled by default, header-protected when enabled', async () => {
    const off = await harness();
    try {
      const r = await call(off, 'POST', '/auth/mock-token', { client_name: 'ci' });
      assert.equal(r.status, 404);
    } finally {
      await off.app.close();
      await off.svc.close();
    }
    const on = await harness({
      development: { enable_mock_auth: true, mock_auth_header_value: 'Bearer test-auth-token' },
    });
    try {
      const denied = await call(on, 'POST', '/auth/mock-token', { client_name: 'ci' });
      assert.equal(denied.status, 401);
      const r = await call(on, 'POST', '/auth/mock-token', { client_name: 'ci' }, { authorization: 'Bearer test-auth-token' });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.headers['x-mock-token'], 'true');
      const v = await call(on, 'GET', '/auth/validate', undefined, bearer(r.json.data.access_token));
      assert.equal(v.status, 200);
      assert.equal(v.headers['x-auth-permissions'], 'admin');
    } finally {
      await on.app.close();
      await on.svc.close();
    }
  });
});

describe('config', () => {
  test('defaults and both key spellings', async () => {
    const { defaultAuthConfig, parseAuthConfig } = await import('../src/auth/index.ts');
    const d = defaultAuthConfig();
    assert.equal(d.jwt.issuer, 'calimero-auth');
    assert.equal(d.jwt.accessTokenExpiry, 3600);
    assert.equal(d.jwt.refreshTokenExpiry, 2592000);
    assert.deepEqual(d.storage, { type: 'rocksdb', path: 'auth' });
    assert.deepEqual(d.providers, { user_password: true });
    assert.equal(d.listenAddr, '127.0.0.1:3001');
    const snake = parseAuthConfig({ jwt: { issuer: 'a', access_token_expiry: 5 }, storage: { type: 'memory' } });
    const camel = parseAuthConfig({ jwt: { issuer: 'a', accessTokenExpiry: 5 }, storage: { type: 'memory' } });
    assert.deepEqual(snake, camel);
    assert.deepEqual(parseAuthConfig(snake), snake, 'a parsed config parses to itself');
    assert.throws(() => parseAuthConfig({ storage: { type: 'postgres' } }), /invalid auth config/);
    assert.throws(() => parseAuthConfig({ jwt: { access_token_expiry: -1 } }), /invalid auth config/);
  });

  test('environment overrides', async () => {
    const { applyEnvOverrides, parseAuthConfig } = await import('../src/auth/index.ts');
    const c = parseAuthConfig(
      applyEnvOverrides({ jwt: { issuer: 'file' } }, {
        AUTH_JWT__ISSUER: 'env',
        AUTH_JWT__ACCESS_TOKEN_EXPIRY: '60',
        AUTH_STORAGE__TYPE: 'memory',
        AUTH_LISTEN_ADDR: '0.0.0.0:4000',
      }),
    );
    assert.equal(c.jwt.issuer, 'env');
    assert.equal(c.jwt.accessTokenExpiry, 60);
    assert.equal(c.storage.type, 'memory');
    assert.equal(c.listenAddr, '0.0.0.0:4000');
  });
});
