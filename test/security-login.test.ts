import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startInProcNode, call, type InProcNode } from './helpers/inproc.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

// Issue #12 items 3, 4, 6 and 12, attacked through the HTTP surface of an embedded-mode node:
// revocation that sticks across re-creating a user, no credential takeover through `POST /admin/keys`,
// login floods that do not starve another address, and bounded credential sizes.

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
  text: string;
}

/** A request from a chosen loopback source address (Linux routes all of 127/8 to lo). */
function from(localAddress: string, base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const u = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        localAddress,
        agent: false,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const ADMIN_PW = 'admin-password-12';

/** Child process: `count` concurrent bad logins as `admin` from `localAddress`; prints `first` and a JSON report. */
const FLOOD_SCRIPT = `
const http = require('node:http');
const [url, count, localAddress] = process.argv.slice(1);
const u = new URL(url);
const t0 = Date.now(); const statuses = {}; const retryAfter = []; let throttledBody = null; let first = false; let total = 0;
const one = (i) => new Promise((resolve) => {
  const body = JSON.stringify({ auth_method: 'user_password', public_key: 'admin', client_name: 'flood', permissions: [],
    timestamp: Math.floor(Date.now() / 1000), provider_data: { username: 'admin', password: 'wrong-' + i } });
  const req = http.request({ host: u.hostname, port: u.port, path: '/auth/token', method: 'POST', localAddress, agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    let text = '';
    res.on('data', (c) => (text += c));
    res.on('end', () => {
      if (!first) { first = true; process.stdout.write('first\\n'); }
      statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1; total++;
      if (res.statusCode === 429) { retryAfter.push(String(res.headers['retry-after'])); throttledBody = JSON.parse(text); }
      resolve();
    });
  });
  req.on('error', (e) => { statuses.error = (statuses.error || 0) + 1; resolve(); });
  req.end(body);
});
Promise.all(Array.from({ length: Number(count) }, (_, i) => one(i))).then(() => {
  process.stdout.write(JSON.stringify({ total, ms: Date.now() - t0, statuses, retryAfter: retryAfter.slice(0, 50), throttledBody }) + '\\n');
});
`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const sub = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sub;

describe('user_password credentials (issue #12: 3, 4, 6, 12)', () => {
  let n: InProcNode;
  let admin: string;

  const login = (user: string, pw: string, addr = '127.0.0.1') =>
    from(addr, n.url, 'POST', '/auth/token', passwordTokenRequest(user, pw, 'security-login'));
  const createUser = (user: string, pw: string, token: string) =>
    call(n.url, 'POST', '/admin/keys', { public_key: user, auth_method: 'user_password', provider_data: { username: user, password: pw } }, bearer(token));
  const apps = async (token: string) => (await call(n.url, 'GET', '/admin-api/applications', undefined, bearer(token))).status;
  const validate = async (token: string) => (await call(n.url, 'GET', '/auth/validate', undefined, bearer(token))).status;

  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
    const r = await login('admin', ADMIN_PW);
    assert.equal(r.status, 200, r.text);
    admin = r.json.data.access_token;
  });
  after(() => n?.stop());

  test('a revoked key stays revoked when its user is re-created (POST /admin/revoke and DELETE /admin/keys/:id)', async () => {
    for (const [user, revoke] of [
      ['bob', (id: string) => call(n.url, 'POST', '/admin/revoke', { client_id: id }, bearer(admin))],
      ['carol', (id: string) => call(n.url, 'DELETE', `/admin/keys/${id}`, undefined, bearer(admin))],
    ] as const) {
      assert.equal((await createUser(user, `${user}-first-password`, admin)).status, 200);
      const first = await login(user, `${user}-first-password`);
      assert.equal(first.status, 200, first.text);
      const leaked: string = first.json.data.access_token;
      const leakedRefresh: string = first.json.data.refresh_token;
      assert.equal(await apps(leaked), 200);

      const rv = await revoke(sub(leaked));
      assert.equal(rv.status, 200, rv.text);
      assert.equal(await apps(leaked), 401);
      assert.equal(await validate(leaked), 403);

      // Re-created with a new password: a new key, the leaked token stays dead.
      const again = await createUser(user, `${user}-second-password`, admin);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.data.message, 'Key was created');
      assert.equal(await apps(leaked), 401, `${user}: leaked token works again`);
      assert.equal(await validate(leaked), 403, `${user}: leaked token validates again`);
      const refreshed = await call(n.url, 'POST', '/auth/refresh', { access_token: leaked, refresh_token: leakedRefresh });
      assert.notEqual(refreshed.status, 200, refreshed.text);

      const second = await login(user, `${user}-second-password`);
      assert.equal(second.status, 200, second.text);
      assert.notEqual(sub(second.json.data.access_token), sub(leaked), 'new credential, new key id');
      assert.equal(await apps(second.json.data.access_token), 200);
      assert.equal((await login(user, `${user}-first-password`)).status, 401);
      const keys = await call(n.url, 'GET', '/admin/keys', undefined, bearer(admin));
      const old = keys.json.data.find((k: any) => k.key_id === sub(leaked));
      assert.ok(old?.revoked_at, 'the old key is still listed as revoked');
    }
  });

  test('an administrator resetting a password rotates the key: the old tokens die', async () => {
    assert.equal((await createUser('dave', 'dave-first-password', admin)).status, 200);
    const before = await login('dave', 'dave-first-password');
    assert.equal(before.status, 200, before.text);
    const oldToken: string = before.json.data.access_token;
    const reset = await createUser('dave', 'dave-second-password', admin);
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.json.data.message, 'Key was updated');
    assert.equal(await apps(oldToken), 401);
    assert.equal(await validate(oldToken), 403);
    const refreshed = await call(n.url, 'POST', '/auth/refresh', { access_token: oldToken, refresh_token: before.json.data.refresh_token });
    assert.notEqual(refreshed.status, 200, refreshed.text);
    assert.equal((await login('dave', 'dave-first-password')).status, 401);
    const after = await login('dave', 'dave-second-password');
    assert.equal(after.status, 200, after.text);
    assert.notEqual(sub(after.json.data.access_token), sub(oldToken));
  });

  test('a keys:create client key can neither reset the administrator (409) nor mint a root key (403)', async () => {
    const ck = await call(n.url, 'POST', '/admin/client-key', { permissions: ['keys:create'] }, bearer(admin));
    assert.equal(ck.status, 200, ck.text);
    const client: string = ck.json.data.access_token;

    const takeover = await createUser('admin', 'attacker-password', client);
    assert.equal(takeover.status, 409, takeover.text);
    assert.deepEqual(takeover.json, { data: null, error: 'User already exists' });
    assert.equal((await login('admin', 'attacker-password')).status, 401);
    const still = await login('admin', ADMIN_PW);
    assert.equal(still.status, 200, still.text);
    assert.equal(sub(still.json.data.access_token), sub(admin), 'the administrator key is untouched');
    assert.equal(await apps(admin), 200);

    const mint = await createUser('mallory', 'mallory-password', client);
    assert.equal(mint.status, 403, mint.text);
    assert.equal(mint.json.data, null);
    assert.equal((await login('mallory', 'mallory-password')).status, 401);
  });

  test('oversized credentials are refused with 400 before any password work', async () => {
    const t0 = Date.now();
    const huge = await login('u'.repeat(300 * 1024), 'whatever-password', '127.0.0.5');
    assert.equal(huge.status, 400, huge.text.slice(0, 200));
    assert.equal(huge.json.data, null);
    assert.match(huge.json.error, /Username must be at most 256 bytes/);
    const longPw = await login('admin', 'p'.repeat(1025), '127.0.0.5');
    assert.equal(longPw.status, 400, longPw.text.slice(0, 200));
    assert.match(longPw.json.error, /Password must be at most 1024 bytes/);
    // Bytes, not characters: 100 × '€' is 300 bytes.
    const multibyte = await login('€'.repeat(100), 'whatever-password', '127.0.0.5');
    assert.equal(multibyte.status, 400, multibyte.text);
    const created = await createUser('x'.repeat(300), 'long-user-password', admin);
    assert.equal(created.status, 400, created.text);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    // At the bounds: an ordinary failed login.
    assert.equal((await login('a'.repeat(256), 'p'.repeat(1024), '127.0.0.5')).status, 401);
  });

  test('a login flood from one address neither locks out nor delays the administrator at another address', async (t) => {
    // The flood runs in its own process, so the measured latency is the node's, not this process's client work.
    const FLOOD = 400;
    const child = spawn(process.execPath, ['-e', FLOOD_SCRIPT, n.url, String(FLOOD), '127.0.0.2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let started!: () => void;
    const inProgress = new Promise<void>((r) => (started = r));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('first\n')) started();
    });
    const done = once(child, 'exit');
    await Promise.race([inProgress, done]);
    const t0 = Date.now();
    const mine = await login('admin', ADMIN_PW, '127.0.0.3');
    const took = Date.now() - t0;
    await done;
    const report = JSON.parse(out.slice(out.indexOf('{')));
    t.diagnostic(`administrator's login during the flood: ${took} ms; flood: ${JSON.stringify(report.statuses)} in ${report.ms} ms`);

    assert.equal(mine.status, 200, mine.text);
    assert.ok(took < 2000, `the administrator's login took ${took} ms during the flood`);
    assert.equal(report.total, FLOOD, out);
    assert.ok(report.statuses['429'] >= FLOOD - 50, `throttled: ${out}`);
    assert.equal((report.statuses['429'] ?? 0) + (report.statuses['401'] ?? 0), FLOOD, out);
    assert.deepEqual(report.throttledBody, { data: null, error: 'Too many login attempts, retry later' });
    assert.ok(report.retryAfter.length > 0 && report.retryAfter.every((v: string) => /^[1-9]\d*$/.test(v)), out);
    // The flooding address stays throttled, even with the right password …
    const blocked = await login('admin', ADMIN_PW, '127.0.0.2');
    assert.equal(blocked.status, 429);
    assert.match(String(blocked.headers['retry-after']), /^[1-9]\d*$/);
    // … a fresh address still gets its attempts at the attacked username, and the right password works.
    assert.equal((await login('admin', 'typo', '127.0.0.4')).status, 401);
    assert.equal((await login('admin', ADMIN_PW, '127.0.0.4')).status, 200);
  });

  test('successful logins do not use up the failure budget', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await login('admin', ADMIN_PW, '127.0.0.6');
      assert.equal(r.status, 200, `login ${i}: ${r.text}`);
    }
  });
});
