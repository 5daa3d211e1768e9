import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrontendSourceError, resolveFrontendDir } from './frontend-source.ts';
import { defaultFrontendDir } from './frontend.ts';
import { tarGz, zip } from '../../test/helpers/archives.ts';

const root = mkdtempSync(join(tmpdir(), 'frontend-src-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, String(++n));
  mkdirSync(dir);
  return dir;
};
const INDEX = '<!doctype html><title>login</title>';

test('a local .tar.gz is unpacked once under the home and served from the folder holding index.html', async () => {
  const home = fresh();
  const archive = join(home, 'login.tar.gz');
  writeFileSync(archive, tarGz([{ name: 'build/index.html', data: INDEX }, { name: 'build/assets/a.js', data: 'x' }]));
  const env = { CALIMERO_AUTH_FRONTEND_SRC: archive };
  const dir = await resolveFrontendDir(home, env);
  assert.ok(dir.startsWith(join(home, 'auth-frontend') + '/'), dir);
  assert.equal(readFileSync(join(dir, 'index.html'), 'utf8'), INDEX);
  assert.equal(readFileSync(join(dir, 'assets', 'a.js'), 'utf8'), 'x');
  const unpackedAt = statSync(join(dir, 'index.html')).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await resolveFrontendDir(home, env), dir);
  assert.equal(statSync(join(dir, 'index.html')).mtimeMs, unpackedAt, 'not unpacked again');
  // Another archive replaces the earlier one.
  writeFileSync(archive, zip([{ name: 'index.html', data: 'v2', deflate: true }]));
  const next = await resolveFrontendDir(home, env);
  assert.notEqual(next, dir);
  assert.equal(readFileSync(join(next, 'index.html'), 'utf8'), 'v2');
  assert.deepEqual(readdirSync(join(home, 'auth-frontend')).length, 1);
});

test('a URL is downloaded once; CALIMERO_AUTH_FRONTEND_PATH wins; a directory is served in place', async () => {
  const home = fresh();
  let downloads = 0;
  const body = zip([{ name: 'dist/index.html', data: INDEX }]);
  const server = createServer((req, res) => {
    downloads++;
    if (req.url === '/login.zip') res.writeHead(200, { 'content-length': body.length }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const dir = await resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: `${url}/login.zip` });
    assert.equal(readFileSync(join(dir, 'index.html'), 'utf8'), INDEX);
    assert.equal(await resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: `${url}/login.zip` }), dir);
    assert.equal(downloads, 1);
    await assert.rejects(resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: `${url}/missing.zip` }), /CALIMERO_AUTH_FRONTEND_SRC=.*missing\.zip: download failed: HTTP 404/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  const path = fresh();
  assert.equal(await resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_PATH: path, CALIMERO_AUTH_FRONTEND_SRC: `${url}/login.zip` }), path);
  assert.equal(await resolveFrontendDir(home, {}), defaultFrontendDir({}));
  const build = fresh();
  mkdirSync(join(build, 'build'));
  writeFileSync(join(build, 'build', 'index.html'), INDEX);
  assert.equal(await resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: build }), join(build, 'build'));
});

test('an unusable source is a start-up error naming the variable and the reason; nothing is left behind', async () => {
  const home = fresh();
  const bad = join(home, 'bad.tar.gz');
  const cases: Array<[Buffer | null, RegExp]> = [
    [Buffer.from('<html>404</html>'), /not a \.tar\.gz or \.zip archive/],
    [tarGz([{ name: 'README', data: 'no page' }]), /no index\.html/],
    [tarGz([{ name: '../index.html', data: INDEX }]), /points outside the archive/],
    [tarGz([{ name: 'index.html', data: INDEX }]).subarray(0, 40), /gzip/],
    [null, /no such file or directory/],
  ];
  for (const [bytes, reason] of cases) {
    rmSync(bad, { force: true });
    if (bytes) writeFileSync(bad, bytes);
    await assert.rejects(
      resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: bad }),
      (e: unknown) => e instanceof FrontendSourceError && e.message.startsWith(`CALIMERO_AUTH_FRONTEND_SRC=${bad}: `) && reason.test(e.message),
      String(reason),
    );
  }
  assert.ok(!existsSync(join(home, 'auth-frontend')) || readdirSync(join(home, 'auth-frontend')).length === 0);
  const empty = fresh();
  await assert.rejects(resolveFrontendDir(home, { CALIMERO_AUTH_FRONTEND_SRC: empty }), /no index\.html/);
});
