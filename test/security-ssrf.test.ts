/**
 * Issue #12 item 8 (SSRF): `install-application` must not become a way to reach the node's own network.
 * By default, loopback/private/link-local/… destinations (after DNS, on every redirect hop) and file: URLs are
 * refused with one 400 text that says nothing about the port or address; `[server.admin]
 * allow_private_install_urls = true` allows them; the node's own blob URL keeps working through the blob store.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { startInProcNode, appPath, call, freePort, type InProcNode } from './helpers/inproc.ts';
import { encodeId } from '../src/util/ids.ts';
import { classifyAddress, downloadGuarded, DestinationNotAllowedError, isPublicAddress, MAX_REDIRECTS } from '../src/util/net-policy.ts';

const kv = readFileSync(appPath('kv-store'));
const hash = encodeId(sha256(kv));

/** A live HTTP server on `host` that counts the connections it accepts. */
async function liveServer(host: string, handler: (path: string, port: number) => Reply) {
  let connections = 0;
  let port = 0;
  const server: Server = createServer((req, res) => {
    const r = handler(req.url ?? '/', port);
    res.writeHead(r.status, r.headers ?? {}).end(r.body ?? '');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, host, r));
  port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}`,
    port,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Reply = { status: number; headers?: Record<string, string>; body?: Uint8Array | string };

/** Serves the kv-store module, a 404, and redirects (`/hop/N` → N more hops → the module). */
const files = (targetOf: (port: number) => string) => (path: string, port: number): Reply => {
  if (path === '/app.wasm') return { status: 200, headers: { 'content-length': String(kv.length) }, body: kv };
  const hop = /^\/hop\/(\d+)$/.exec(path);
  if (hop) {
    const left = Number(hop[1]);
    return { status: 302, headers: { location: left > 0 ? `/hop/${left - 1}` : '/app.wasm' } };
  }
  if (path === '/elsewhere') return { status: 307, headers: { location: targetOf(port) } };
  if (path === '/to-file') return { status: 302, headers: { location: `file://${appPath('kv-store')}` } };
  return { status: 404, body: 'no such file' };
};

const install = (node: InProcNode, url: string) => call(node.url, 'POST', '/admin-api/install-application', { url, hash, metadata: [] });
const appCount = async (node: InProcNode) => (await call(node.url, 'GET', '/admin-api/applications')).json.data.apps.length as number;
/** What must never reach the client: errno codes, the address connected to, the port probed. */
function assertNoInternalDetail(text: string, port: number): void {
  assert.doesNotMatch(text, /\bE[A-Z]{4,}\b/, `errno code in: ${text}`);
  assert.doesNotMatch(text, /127\.0\.0\.1|::1|localhost/, `address in: ${text}`);
  assert.ok(!text.includes(String(port)), `port in: ${text}`);
}

describe('address classifier (src/util/net-policy.ts)', () => {
  test('only public unicast addresses are public', () => {
    const cases: Array<[string, string]> = [
      ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['11.0.0.1', 'public'],
      ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
      ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
      ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'],
      ['100.64.0.1', 'shared'], ['100.127.255.255', 'shared'],
      ['169.254.169.254', 'link-local'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['198.18.0.1', 'reserved'], ['192.0.0.8', 'reserved'],
      ['192.0.2.1', 'documentation'], ['203.0.113.9', 'documentation'],
      ['::', 'unspecified'], ['::1', 'loopback'], ['[::1]', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:169.254.169.254', 'link-local'],
      ['::ffff:8.8.8.8', 'public'], ['64:ff9b::a9fe:a9fe', 'link-local'], ['2002:c0a8:1::1', 'private'],
      ['fc00::1', 'private'], ['fd00:ec2::254', 'private'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'],
      ['fec0::1', 'private'], ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'], ['::127.0.0.1', 'reserved'], ['100::1', 'reserved'],
      ['2001:4860:4860::8888', 'public'], ['2606:4700:4700::1111', 'public'],
      ['localhost', 'invalid'], ['0177.0.0.1', 'invalid'], ['1.2.3', 'invalid'], ['1::2::3', 'invalid'], ['', 'invalid'],
    ];
    for (const [ip, want] of cases) assert.equal(classifyAddress(ip), want, ip);
    assert.equal(isPublicAddress('8.8.8.8'), true);
    assert.equal(isPublicAddress('127.0.0.1'), false);
    assert.equal(isPublicAddress('not an ip'), false);
  });
});

describe('install-application with the default policy', () => {
  let n: InProcNode;
  let live: Awaited<ReturnType<typeof liveServer>>;
  before(async () => {
    n = await startInProcNode();
    live = await liveServer('127.0.0.1', files(() => `${n.url}/admin-api/health`));
  });
  after(async () => {
    await live?.close();
    await n?.stop();
  });

  test('loopback in any spelling is refused before any connection; closed and open ports answer the same', async () => {
    const before = await appCount(n);
    const open = await install(n, `${live.url}/app.wasm`);
    assert.equal(open.status, 400, open.text);
    assert.equal(open.text.split(' (')[0], 'failed to download the application: the destination is not allowed');
    assertNoInternalDetail(open.text, live.port);
    const closedPort = await freePort();
    const closed = await install(n, `http://127.0.0.1:${closedPort}/app.wasm`);
    assert.equal(closed.status, open.status);
    assert.equal(closed.text, open.text); // no port-scan oracle
    const missing = await install(n, `${live.url}/nope`); // open port, would be a 404
    assert.equal(missing.text, open.text);
    for (const url of [
      `http://localhost:${live.port}/app.wasm`, // a name: refused on the address DNS gives
      `http://[::1]:${live.port}/app.wasm`,
      `http://[::ffff:127.0.0.1]:${live.port}/app.wasm`,
      `http://2130706433:${live.port}/app.wasm`, // 127.0.0.1 as one number
      `http://0x7f.1:${live.port}/app.wasm`,
      `http://0.0.0.0:${live.port}/app.wasm`,
      `https://127.0.0.1:${live.port}/app.wasm`,
      `http://169.254.169.254/latest/meta-data/`,
      `http://10.255.255.1:${live.port}/app.wasm`,
      `http://[fd00::1]:${live.port}/app.wasm`,
    ]) {
      const r = await install(n, url);
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.equal(r.text, open.text, url);
    }
    // A redirector on loopback is itself refused: the first hop never connects.
    const redirected = await install(n, `${live.url}/hop/1`);
    assert.equal(redirected.status, 400, redirected.text);
    assert.equal(live.connections(), 0, 'the loopback server was never contacted');
    assert.equal(await appCount(n), before);
  });

  test("the node's own port: only its blob URL installs (from the blob store); other paths are refused", async () => {
    const port = new URL(n.url).port;
    for (const path of ['/admin-api/health', '/admin-api/blobs', '/admin-api/applications', '/metrics']) {
      const r = await install(n, `${n.url}${path}`);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.text, /destination is not allowed/);
      assertNoInternalDetail(r.text, Number(port));
    }
    const up = await call(n.url, 'PUT', '/admin-api/blobs', kv);
    assert.equal(up.status, 200, up.text);
    const blobId = up.json.data.blob_id as string;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const r = await install(n, `http://${host}/admin-api/blobs/${blobId}`);
      assert.equal(r.status, 200, `${host}: ${r.text}`);
    }
  });

  test('file: URLs are refused (install-dev-application is the path-based route)', async () => {
    for (const url of [`file://${appPath('kv-store')}`, 'file:///etc/passwd', 'file://localhost/etc/hostname']) {
      const r = await install(n, url);
      assert.equal(r.status, 400, `${url}: ${r.text}`);
      assert.match(r.text, /file: URLs are not accepted/);
      assert.doesNotMatch(r.text, /root:|passwd|hostname/);
    }
    // The dev alias is the same route.
    const dev = await call(n.url, 'POST', '/admin-api/dev/install-application', { url: `file://${appPath('kv-store')}`, metadata: [] });
    assert.equal(dev.status, 400, dev.text);
  });
});

describe('install-application with [server.admin] allow_private_install_urls = true', () => {
  let n: InProcNode;
  let live: Awaited<ReturnType<typeof liveServer>>;
  before(async () => {
    n = await startInProcNode({}, { config: ['server.admin.allow_private_install_urls=true'] });
    live = await liveServer('127.0.0.1', files((port) => `http://127.0.0.2:${port}/app.wasm`));
  });
  after(async () => {
    await live?.close();
    await n?.stop();
  });

  test('loopback downloads and redirects (up to the limit) work', async () => {
    const direct = await install(n, `${live.url}/app.wasm`);
    assert.equal(direct.status, 200, direct.text);
    const redirected = await install(n, `${live.url}/hop/${MAX_REDIRECTS - 1}`);
    assert.equal(redirected.status, 200, redirected.text);
    const app = await call(n.url, 'GET', `/admin-api/applications/${redirected.json.data.applicationId}`);
    assert.equal(app.json.data.application.source, `${live.url}/hop/${MAX_REDIRECTS - 1}`); // the URL asked for
    const tooMany = await install(n, `${live.url}/hop/${MAX_REDIRECTS}`);
    assert.equal(tooMany.status, 502, tooMany.text);
    assert.equal(tooMany.text, 'failed to download the application: too many redirects');
    // file: is allowed with the switch, but never as a redirect target.
    assert.equal((await install(n, `file://${appPath('kv-store')}`)).status, 200);
    const toFile = await install(n, `${live.url}/to-file`);
    assert.equal(toFile.status, 400, toFile.text);
    assert.match(toFile.text, /destination is not allowed/);
  });

  test('failures carry no errno, address or port', async () => {
    const closedPort = await freePort();
    const closed = await install(n, `http://127.0.0.1:${closedPort}/app.wasm`);
    assert.equal(closed.status, 502, closed.text);
    assert.equal(closed.text, 'failed to download the application: could not connect');
    assertNoInternalDetail(closed.text, closedPort);
    const missing = await install(n, `${live.url}/nope`);
    assert.equal(missing.status, 502, missing.text);
    assert.equal(missing.text, 'failed to download the application: HTTP 404');
    assertNoInternalDetail(missing.text, live.port);
  });
});

describe('every redirect hop is checked (downloadGuarded, the fetcher behind install-application)', () => {
  test('a hop to a refused address is refused before it connects; DNS answers are checked too', async () => {
    const target = await liveServer('127.0.0.2', () => ({ status: 200, body: kv }));
    const redirector = await liveServer('127.0.0.1', () => ({ status: 302, headers: { location: `${target.url}/app.wasm` } }));
    // A policy that allows only the redirector's address, as a public redirector would be allowed.
    const onlyRedirector = (ip: string) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1';
    try {
      await assert.rejects(downloadGuarded(new URL(`${redirector.url}/x`), { allowed: onlyRedirector }), (err: unknown) => {
        assert.ok(err instanceof DestinationNotAllowedError, String(err));
        return true;
      });
      assert.equal(redirector.connections(), 1);
      assert.equal(target.connections(), 0, 'the redirect target was never contacted');
      // A name whose address is refused: checked on the address the socket would use.
      await assert.rejects(downloadGuarded(new URL(`http://localhost:${target.port}/`), { allowed: isPublicAddress }), DestinationNotAllowedError);
      assert.equal(target.connections(), 0);
      // Without a policy the same chain is followed.
      const res = await downloadGuarded(new URL(`${redirector.url}/x`), { allowed: null });
      const chunks: Uint8Array[] = [];
      for await (const c of res.body) chunks.push(c);
      res.close();
      assert.equal(Buffer.concat(chunks).length, kv.length);
      assert.equal(res.url.href, `${target.url}/app.wasm`);
    } finally {
      await target.close();
      await redirector.close();
    }
  });
});
