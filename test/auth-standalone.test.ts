import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The standalone service: `bin/mero-auth.js --config <file.toml>` as a child process, used like a
// reverse proxy would (login, /admin, forward-auth with X-Forwarded-Uri), restarted on the same storage.

const BIN = fileURLToPath(new URL('../bin/mero-auth.js', import.meta.url));
const children = new Set<ChildProcess>();
const dirs: string[] = [];

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = run(args, env);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mero-auth did not start:\n${out}\n${err}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /mero-auth listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mero-auth exited with ${code}:\n${out}\n${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

async function output(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = run(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await exitCode(child);
  return { code, stdout, stderr };
}

async function json(res: Response) {
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const login = (url: string, password: string) =>
  fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth_method: 'user_password',
      public_key: 'admin',
      client_name: 'standalone-test',
      timestamp: Math.floor(Date.now() / 1000),
      provider_data: { username: 'admin', password },
    }),
  }).then(json);

describe('mero-auth binary', () => {
  test('serves a config file, answers forward-auth, persists across restarts, stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-auth-bin-'));
    dirs.push(dir);
    const configPath = join(dir, 'auth.toml');
    await writeFile(
      configPath,
      [
        'listen_addr = "127.0.0.1:0"',
        '',
        '[jwt]',
        'issuer = "standalone-issuer"',
        'access_token_expiry = 600',
        'refresh_token_expiry = 86400',
        '',
        '[storage]',
        'type = "rocksdb"',
        `path = ${JSON.stringify(join(dir, 'auth-db'))}`,
        '',
        '[providers]',
        'user_password = true',
        '',
        '[cors]',
        'allow_all_origins = true',
        '',
      ].join('\n'),
    );

    const s1 = await start(['--config', configPath]);
    assert.match(s1.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await json(await fetch(`${s1.url}/auth/health`));
    assert.equal(health.body.data.status, 'alive');

    const first = await login(s1.url, 'standalone-pass');
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const access = first.body.data.access_token as string;
    const claims = JSON.parse(Buffer.from(access.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.iss, 'standalone-issuer');
    assert.equal(claims.exp - claims.iat, 600);

    const keys = await json(await fetch(`${s1.url}/admin/keys`, { headers: { authorization: `Bearer ${access}` } }));
    assert.equal(keys.status, 200);
    assert.equal(keys.body.data.length, 1);

    // forward-auth as a proxy does it for a browser WebSocket: the token rides in the original URI
    const fwd = await fetch(`${s1.url}/auth/validate`, { headers: { 'x-forwarded-uri': `/ws?token=${access}` } });
    assert.equal(fwd.status, 200);
    assert.equal(fwd.headers.get('x-auth-user'), keys.body.data[0].key_id);
    assert.equal(fwd.headers.get('x-auth-permissions'), 'admin');
    const denied = await fetch(`${s1.url}/auth/validate`, { method: 'POST', headers: { 'x-forwarded-uri': '/jsonrpc' } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('x-auth-error'), 'missing_token');

    const pre = await fetch(`${s1.url}/auth/token`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');

    const page = await fetch(`${s1.url}/auth/login`);
    assert.match(await page.text(), /id="login"/);

    s1.child.kill('SIGTERM');
    assert.equal(await exitCode(s1.child), 0);

    // restart on the same storage: the token and the user are still valid
    const s2 = await start(['--config', configPath]);
    const again = await fetch(`${s2.url}/auth/validate`, { headers: { authorization: `Bearer ${access}` } });
    assert.equal(again.status, 200);
    assert.equal((await login(s2.url, 'wrong-password')).status, 401);
    assert.equal((await login(s2.url, 'standalone-pass')).status, 200);
    s2.child.kill('SIGTERM');
    assert.equal(await exitCode(s2.child), 0);
  });

  test('--bind and AUTH_* environment overrides', async () => {
    const s = await start(['--bind', '127.0.0.1:0'], { AUTH_STORAGE__TYPE: 'memory', AUTH_JWT__ISSUER: 'env-issuer' });
    try {
      const r = await login(s.url, 'env-password');
      assert.equal(r.status, 200);
      const claims = JSON.parse(Buffer.from(r.body.data.access_token.split('.')[1], 'base64url').toString());
      assert.equal(claims.iss, 'env-issuer');
    } finally {
      s.child.kill('SIGTERM');
      await exitCode(s.child);
    }
  });

  test('bad invocations fail with a message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mero-auth-bad-'));
    dirs.push(dir);
    const bad = join(dir, 'bad.toml');
    await writeFile(bad, '[storage]\ntype = "postgres"\n');
    const r1 = await output(['--config', bad]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /invalid auth config/);
    const r2 = await output(['--config', join(dir, 'missing.toml')]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /cannot load/);
    const r3 = await output(['--nope']);
    assert.equal(r3.code, 2);
    const r4 = await output(['--help']);
    assert.equal(r4.code, 0);
    assert.match(r4.stdout, /Usage: mero-auth/);
  });
});
