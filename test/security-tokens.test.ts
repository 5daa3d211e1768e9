import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startInProcNode, freePort, call, type InProcNode } from './helpers/inproc.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { getJson } from '../src/auth/storage.ts';

// Issue #12 items 9 (logging), 10 and 11, through HTTP: refresh-token reuse revokes the token family, tokens
// issued in the future are refused, node binding comes from configuration rather than the Host header, and
// the standalone mero-auth never writes a token into its log.

const ACCESS_EXPIRY = 3; // seconds: short so refresh is allowed after one wait; long enough to check the next pair
const PASSWORD = 'correct horse battery';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
interface Pair {
  access: string;
  refresh: string;
}
const pairOf = (r: { status: number; text: string; json: any }): Pair => {
  assert.equal(r.status, 200, r.text);
  return { access: r.json.data.access_token, refresh: r.json.data.refresh_token };
};

let node: InProcNode;
let auth: ChildProcess;
let authUrl: string;
let authDir: string;
let authLog = '';
let expiredAt = 0; // when the access tokens issued in before() have expired
let nodePair: Pair;
let clientPair: Pair;
let authPair: Pair;
const NODE_URL = 'http://node.test:2428';

before(async () => {
  // Embedded node (item 10, item 11 iat) …
  node = await startInProcNode(
    { authMode: 'embedded', authStorage: 'memory' },
    { config: [`server.embedded_auth.jwt.access_token_expiry=${ACCESS_EXPIRY}`] },
  );
  // … and a standalone mero-auth at its default log level, bound to NODE_URL by configuration (items 9, 11).
  authDir = mkdtempSync(join(tmpdir(), 'mero-auth-sec-'));
  const port = await freePort();
  authUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(authDir, 'auth.toml'),
    `listen_addr = "127.0.0.1:${port}"\n[jwt]\naccess_token_expiry = ${ACCESS_EXPIRY}\n` +
      `allowed_node_urls = ["${NODE_URL}"]\n[storage]\ntype = "memory"\n`,
  );
  auth = spawn(process.execPath, ['bin/mero-auth.js', '--config', join(authDir, 'auth.toml')], { stdio: 'pipe' });
  auth.stdout!.on('data', (d) => (authLog += d));
  auth.stderr!.on('data', (d) => (authLog += d));
  for (let i = 0; i < 200; i++) {
    if (await fetch(authUrl + '/auth/health').then((r) => r.ok, () => false)) break;
    await sleep(100);
  }
  const start = Date.now();
  nodePair = pairOf(await call(node.url, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD)));
  clientPair = pairOf(
    await call(node.url, 'POST', '/admin/client-key', { context_id: 'ctx', context_identity: 'me' }, bearer(nodePair.access)),
  );
  authPair = pairOf(await call(authUrl, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD, NODE_URL)));
  expiredAt = start + (ACCESS_EXPIRY + 1) * 1000 + 100;
});

after(async () => {
  await node?.stop();
  if (auth && auth.exitCode === null) {
    auth.kill('SIGTERM');
    await new Promise((r) => auth.once('exit', r));
  }
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

async function untilExpired(): Promise<void> {
  const wait = expiredAt - Date.now();
  if (wait > 0) await sleep(wait);
}

async function validate(url: string, token: string, headers: Record<string, string> = {}) {
  return call(url, 'GET', '/auth/validate', undefined, { ...bearer(token), ...headers });
}

describe('refresh-token reuse revokes the whole token family', () => {
  test('root key: reuse after rotation kills the rotated pair; other logins keep working', async () => {
    await untilExpired();
    const expired = nodePair.access;
    const second = pairOf(await call(node.url, 'POST', '/auth/refresh', { access_token: expired, refresh_token: nodePair.refresh }));
    assert.equal((await validate(node.url, second.access)).status, 200);

    // The attacker replays the first (already used) refresh token.
    const reuse = await call(node.url, 'POST', '/auth/refresh', { access_token: expired, refresh_token: nodePair.refresh });
    assert.equal(reuse.status, 401, reuse.text);
    assert.equal(reuse.headers.get('x-auth-error'), 'token_revoked');
    assert.match(reuse.json.error, /already been used.*family has been revoked/);

    // The legitimate, rotated pair is dead too: access token on every surface, and its refresh token.
    const v = await validate(node.url, second.access);
    assert.equal(v.status, 403, v.text);
    assert.equal(v.headers.get('x-auth-error'), 'token_revoked');
    assert.match(v.json.error, /token family was revoked after refresh-token reuse/);
    const api = await call(node.url, 'GET', '/admin-api/applications', undefined, bearer(second.access));
    assert.ok(api.status === 401 || api.status === 403, `${api.status}`);
    const r2 = await call(node.url, 'POST', '/auth/refresh', { access_token: expired, refresh_token: second.refresh });
    assert.equal(r2.status, 401, r2.text);
    assert.equal(r2.headers.get('x-auth-error'), 'token_revoked');

    // Only that family: the key itself is not revoked, a new login works.
    const fresh = pairOf(await call(node.url, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD)));
    assert.equal((await validate(node.url, fresh.access)).status, 200);
    assert.equal((await call(node.url, 'GET', '/admin-api/applications', undefined, bearer(fresh.access))).status, 200);
  });

  test('client key: the family carries across the key-id rotation', async () => {
    await untilExpired();
    const second = pairOf(
      await call(node.url, 'POST', '/auth/refresh', { access_token: clientPair.access, refresh_token: clientPair.refresh }),
    );
    const v1 = await validate(node.url, second.access);
    assert.equal(v1.status, 200, v1.text);
    assert.equal(v1.headers.get('x-auth-permissions'), 'context[ctx,me]');

    const reuse = await call(node.url, 'POST', '/auth/refresh', { access_token: clientPair.access, refresh_token: clientPair.refresh });
    assert.equal(reuse.status, 401, reuse.text);
    assert.equal(reuse.headers.get('x-auth-error'), 'token_revoked');
    const v2 = await validate(node.url, second.access);
    assert.equal(v2.status, 403, v2.text);
    assert.equal(v2.headers.get('x-auth-error'), 'token_revoked');
    const r2 = await call(node.url, 'POST', '/auth/refresh', { access_token: clientPair.access, refresh_token: second.refresh });
    assert.equal(r2.status, 401, r2.text);
  });

  test('standalone mero-auth: same, and the reuse is logged without the token', async () => {
    await untilExpired();
    const second = pairOf(
      await call(authUrl, 'POST', '/auth/refresh', { access_token: authPair.access, refresh_token: authPair.refresh }),
    );
    const reuse = await call(authUrl, 'POST', '/auth/refresh', { access_token: authPair.access, refresh_token: authPair.refresh });
    assert.equal(reuse.status, 401, reuse.text);
    const v = await validate(authUrl, second.access);
    assert.equal(v.status, 403, v.text);
    assert.equal(v.headers.get('x-auth-error'), 'token_revoked');
    await sleep(200);
    const line = authLog.split('\n').find((l) => l.includes('token family revoked'));
    assert.ok(line, authLog);
    const entry = JSON.parse(line);
    assert.equal(entry.level, 40);
    assert.equal(typeof entry.family, 'string');
    assert.equal(typeof entry.key_id, 'string');
    for (const t of [authPair.access, authPair.refresh, second.access, second.refresh]) assert.ok(!authLog.includes(t));
  });
});

describe('token issue time and node binding', () => {
  async function forge(claims: Record<string, unknown>): Promise<string> {
    const rec = await getJson<{ secret: string }>(node.running.node.auth!.core.storage, 'system:secrets:jwt_auth');
    const key = new Uint8Array(Buffer.from(rec!.secret, 'base64'));
    return new SignJWT({ permissions: ['admin'], token_type: 'access', ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('calimero-auth')
      .setAudience('calimero-auth')
      .setJti(randomUUID())
      .sign(key);
  }

  test('a token issued more than 60 s in the future is refused (access and refresh)', async () => {
    const fresh = pairOf(await call(node.url, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD)));
    const sub = (await validate(node.url, fresh.access)).headers.get('x-auth-user')!;
    const now = Math.floor(Date.now() / 1000);
    const future = await forge({ sub, iat: now + 600, exp: now + 3600 });
    const v = await validate(node.url, future);
    assert.equal(v.status, 401, v.text);
    assert.equal(v.headers.get('x-auth-error'), 'invalid_token');
    assert.match(v.json.error, /iat.*future/);
    const api = await call(node.url, 'GET', '/admin-api/applications', undefined, bearer(future));
    assert.ok(api.status === 401 || api.status === 403, `${api.status}`);
    // Within the 60 s clock skew it is accepted.
    const skewed = await forge({ sub, iat: now + 30, exp: now + 3600 });
    assert.equal((await validate(node.url, skewed)).status, 200);
    assert.equal((await call(node.url, 'GET', '/admin-api/applications', undefined, bearer(skewed))).status, 200);
    // Refresh tokens too.
    const expired = await forge({ sub, iat: now - 100, exp: now - 10 });
    const futureRefresh = await forge({ sub, iat: now + 600, exp: now + 3600, token_type: 'refresh' });
    const r = await call(node.url, 'POST', '/auth/refresh', { access_token: expired, refresh_token: futureRefresh });
    assert.equal(r.status, 401, r.text);
    assert.match(r.json.error, /Invalid refresh token: .*future/);
  });

  test('with allowed_node_urls configured, a Host header matching the token is not enough', async () => {
    // A token bound to another node, presented with a Host that matches it (the upstream check passes that).
    const evil = pairOf(await call(authUrl, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD, 'http://evil.example')));
    for (const h of [{ 'x-forwarded-host': 'evil.example' }, { 'x-forwarded-host': 'auth' }, {}] as Record<string, string>[]) {
      const v = await validate(authUrl, evil.access, h);
      assert.equal(v.status, 403, `${JSON.stringify(h)}: ${v.text}`);
      assert.equal(v.headers.get('x-auth-error'), 'invalid_node');
    }
    // A token bound to the configured URL is valid whatever Host the request names.
    const good = pairOf(await call(authUrl, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD, NODE_URL)));
    for (const h of [{ 'x-forwarded-host': 'elsewhere.example' }, {}] as Record<string, string>[]) {
      assert.equal((await validate(authUrl, good.access, h)).status, 200);
    }
  });
});

describe('the standalone mero-auth never logs a token', () => {
  test('token query parameters and JWTs are redacted in every log line', async () => {
    const jwt = authPair.access;
    const secrets = ['SECRETFWD0001', 'SECRETQUERY02', 'SECRETLOGIN03', 'SECRET404ROUTE', 'SECRETREFRESH5', jwt];
    await call(authUrl, 'GET', '/auth/validate', undefined, { 'x-forwarded-uri': `/ws?token=${secrets[0]}` });
    await call(authUrl, 'GET', '/auth/validate', undefined, { 'x-forwarded-uri': `/sse?x=1&token=${jwt}` });
    await call(authUrl, 'GET', `/auth/validate?token=${secrets[1]}`);
    await call(authUrl, 'GET', `/auth/login?token=${secrets[2]}&callback-url=x`);
    await call(authUrl, 'GET', `/auth/no-such-route?access_token=${secrets[3]}`);
    await call(authUrl, 'GET', `/auth/login?refresh_token=${secrets[4]}`);
    await call(authUrl, 'GET', `/auth/login?ToKeN=${jwt}`);
    await sleep(300);
    assert.match(authLog, /\[REDACTED\]/, 'request URLs are logged (redacted) at the default level');
    assert.match(authLog, /no-such-route/);
    for (const s of secrets) assert.ok(!authLog.includes(s), `log contains ${s.slice(0, 20)}…:\n${authLog}`);
  });
});
