/**
 * The `merod` CLI driven as a child process: init / run / config, their errors, shutdown and durability,
 * and `npm start`'s entry point (src/cli/start-default.ts).
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import {
  REPO_ROOT,
  childEnv,
  freePort,
  runCli,
  startNode,
  tmpHome,
  track,
  waitHealthy,
  type TestNode,
} from './helpers/node.ts';
import { api } from './helpers/http.ts';

type Table = Record<string, any>;

function readConfig(dir: string): Table {
  // Plain objects (smol-toml makes null-prototype tables, which deepEqual tells apart).
  return JSON.parse(JSON.stringify(parse(readFileSync(join(dir, 'config.toml'), 'utf8')))) as Table;
}

function configText(dir: string): string {
  return readFileSync(join(dir, 'config.toml'), 'utf8');
}

/** `merod --home H --node N …args` */
function merod(home: string, node: string, ...args: string[]) {
  return runCli(['--home', home, '--node', node, ...args]);
}

/** Asserts a failed CLI run: non-zero exit, message on stderr matching `re`. */
function assertFails(r: { code: number | null; stdout: string; stderr: string }, re: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit; stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.notEqual(r.code, null, `expected an exit, not a signal/timeout; stderr: ${r.stderr}`);
  assert.match(r.stderr, re);
}

// One initialized node made once and copied for the tests that need a fresh one (init costs a process).
let template: { home: string; node: string; dir: string };
async function freshNode(name: string): Promise<{ home: string; node: string; dir: string }> {
  const home = tmpHome();
  const dir = join(home, name);
  cpSync(template.dir, dir, { recursive: true });
  return { home, node: name, dir };
}

before(async () => {
  const home = tmpHome();
  const r = await merod(home, 'template', 'init', '--server-host', '127.0.0.1', '--server-port', String(await freePort()));
  assert.equal(r.code, 0, r.stderr);
  template = { home, node: 'template', dir: join(home, 'template') };
});

describe('merod init', { concurrency: 3 }, () => {
  test('proxy mode (the default) writes config.toml, identity, store, blob dir and TLS certificate', async () => {
    const home = tmpHome();
    const [port, swarm] = [await freePort(), await freePort()];
    const r = await merod(home, 'n1', 'init', '--server-host', '127.0.0.1', '--server-port', String(port), '--swarm-port', String(swarm));
    assert.equal(r.code, 0, r.stderr);
    const dir = join(home, 'n1');
    assert.match(r.stdout, new RegExp(`Initialized a node in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const c = readConfig(dir);
    assert.match(c.identity.peer_id, /^12D3KooW/);
    assert.equal(typeof c.identity.keypair, 'string');
    assert.equal(c.mode, 'standard');
    assert.deepEqual(c.server.listen, [`/ip4/127.0.0.1/tcp/${port}`]);
    assert.deepEqual(c.swarm.listen, [`/ip4/0.0.0.0/tcp/${swarm}`, `/ip6/::/tcp/${swarm}`]);
    assert.equal(c.server.auth_mode, 'proxy');
    for (const s of ['admin', 'jsonrpc', 'websocket', 'sse']) assert.equal(c.server[s]?.enabled, true, `server.${s}`);
    assert.equal(c.server.websocket.ping_interval_secs, 30);
    assert.equal(c.server.websocket.pong_timeout_secs, 10);
    assert.equal(c.server.embedded_auth, undefined);
    assert.deepEqual(c.bootstrap.nodes, []);
    assert.equal(c.discovery.mdns, true);
    assert.equal(c.datastore.path, 'data');
    assert.equal(c.blobstore.path, 'blobs');
    // Upstream's file is flattened: [server], never [network.server].
    assert.match(configText(dir), /^\[server\]$/m);
    assert.doesNotMatch(configText(dir), /network/);

    assert.ok(statSync(join(dir, 'data')).isDirectory());
    assert.ok(existsSync(join(dir, 'data', 'CURRENT')), 'RocksDB store created');
    assert.ok(statSync(join(dir, 'blobs')).isDirectory());
    assert.match(readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8'), /BEGIN CERTIFICATE/);
    assert.equal(statSync(join(dir, 'tls', 'key.pem')).mode & 0o077, 0, 'key.pem is private');
    assert.equal(statSync(join(dir, 'config.toml')).mode & 0o077, 0, 'config.toml (holds the keypair) is private');
  });

  test('defaults: server on 127.0.0.1 and ::1 port 2528, swarm on 0.0.0.0 and :: port 2428', async () => {
    const home = tmpHome();
    const r = await merod(home, 'defaults', 'init');
    assert.equal(r.code, 0, r.stderr);
    const c = readConfig(join(home, 'defaults'));
    assert.deepEqual(c.server.listen, ['/ip4/127.0.0.1/tcp/2528', '/ip6/::1/tcp/2528']);
    assert.deepEqual(c.swarm.listen, ['/ip4/0.0.0.0/tcp/2428', '/ip6/::/tcp/2428']);
    assert.equal(c.server.auth_mode, 'proxy');
  });

  test('--auth-mode embedded: persistent (RocksDB) auth storage by default', async () => {
    const home = tmpHome();
    const r = await merod(home, 'emb', 'init', '--auth-mode', 'embedded');
    assert.equal(r.code, 0, r.stderr);
    const c = readConfig(join(home, 'emb'));
    assert.equal(c.server.auth_mode, 'embedded');
    assert.deepEqual(c.server.embedded_auth.storage, { type: 'rocksdb', path: 'auth' });
    assert.equal(c.server.embedded_auth.listen_addr, '127.0.0.1:3001');
    assert.deepEqual(c.server.embedded_auth.jwt, {
      issuer: 'calimero-auth',
      access_token_expiry: 3600,
      refresh_token_expiry: 2592000,
    });
    assert.equal(c.server.embedded_auth.providers.user_password, true);
  });

  test('--auth-mode embedded --auth-storage persistent / memory', async () => {
    const home = tmpHome();
    const [p, m] = await Promise.all([
      merod(home, 'persistent', 'init', '--auth-mode', 'embedded', '--auth-storage', 'persistent'),
      merod(home, 'memory', 'init', '--auth-mode', 'embedded', '--auth-storage', 'memory'),
    ]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(readConfig(join(home, 'persistent')).server.embedded_auth.storage, { type: 'rocksdb', path: 'auth' });
    assert.deepEqual(readConfig(join(home, 'memory')).server.embedded_auth.storage, { type: 'memory' });
  });

  test('--auth-storage-path sets the embedded auth store location', async () => {
    const home = tmpHome();
    const custom = join(home, 'elsewhere', 'auth-db');
    const [abs, rel] = await Promise.all([
      merod(home, 'abs', 'init', '--auth-mode', 'embedded', '--auth-storage', 'persistent', '--auth-storage-path', custom),
      merod(home, 'rel', 'init', '--auth-mode', 'embedded', '--auth-storage-path', 'my-auth'),
    ]);
    assert.equal(abs.code, 0, abs.stderr);
    assert.equal(rel.code, 0, rel.stderr);
    assert.deepEqual(readConfig(join(home, 'abs')).server.embedded_auth.storage, { type: 'rocksdb', path: custom });
    assert.deepEqual(readConfig(join(home, 'rel')).server.embedded_auth.storage, { type: 'rocksdb', path: 'my-auth' });
  });

  test('proxy mode: no [server.proxy_auth] unless --auth-url is given', async () => {
    const home = tmpHome();
    const [plain, withUrl] = await Promise.all([
      merod(home, 'plain', 'init', '--auth-mode', 'proxy'),
      merod(home, 'with-url', 'init', '--auth-url', 'http://127.0.0.1:3001'),
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(withUrl.code, 0, withUrl.stderr);
    const p = readConfig(join(home, 'plain'));
    assert.equal(p.server.auth_mode, 'proxy');
    assert.equal(p.server.proxy_auth, undefined);
    assert.equal(p.server.embedded_auth, undefined);
    const u = readConfig(join(home, 'with-url'));
    assert.equal(u.server.auth_mode, 'proxy');
    assert.deepEqual(u.server.proxy_auth, { url: 'http://127.0.0.1:3001' });
  });

  test('other init flags: several server hosts, --boot-nodes, --no-mdns, --mode read-only', async () => {
    const home = tmpHome();
    const boot = '/ip4/192.0.2.1/tcp/2428/p2p/12D3KooWQFBDsVP3sMAGhYwA6KrwB7FaJtPbDxko6KscEbpz9zQa';
    const r = await merod(home, 'flags', 'init', '--server-host', '127.0.0.1,::1', '--server-port', '4000',
      '--swarm-host', '0.0.0.0', '--swarm-port', '4001', '--boot-nodes', boot, '--no-mdns', '--mode', 'read-only');
    assert.equal(r.code, 0, r.stderr);
    const c = readConfig(join(home, 'flags'));
    assert.deepEqual(c.server.listen, ['/ip4/127.0.0.1/tcp/4000', '/ip6/::1/tcp/4000']);
    assert.deepEqual(c.swarm.listen, ['/ip4/0.0.0.0/tcp/4001']);
    assert.deepEqual(c.bootstrap.nodes, [boot]);
    assert.equal(c.discovery.mdns, false);
    assert.equal(c.mode, 'read-only');
  });

  test('re-init of an existing node is refused; --force re-creates it', async () => {
    const { home, node, dir } = await freshNode('again');
    const before = configText(dir);
    const again = await merod(home, node, 'init');
    assertFails(again, /already initialized/);
    assert.match(again.stderr, /--force/);
    assert.equal(configText(dir), before, 'config.toml untouched');

    const forced = await merod(home, node, 'init', '--force', '--server-host', '127.0.0.1', '--server-port', '4100');
    assert.equal(forced.code, 0, forced.stderr);
    const c = readConfig(dir);
    assert.notEqual(c.identity.peer_id, (parse(before) as Table).identity.peer_id, 'a new identity');
    assert.deepEqual(c.server.listen, ['/ip4/127.0.0.1/tcp/4100']);
  });
});

describe('merod config', { concurrency: 3 }, () => {
  test('key=value edits (the network.server.* spelling is accepted and written back as [server])', async () => {
    const { home, node, dir } = await freshNode('edit');
    const r = await merod(home, node, 'config', 'network.server.auth_mode=embedded', 'sync.timeout_ms=1000',
      'discovery.mdns=false', 'server.listen=["/ip4/127.0.0.1/tcp/4200"]', 'server.websocket.ping_interval_secs=0');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /updated/);
    const c = readConfig(dir);
    assert.equal(c.server.auth_mode, 'embedded');
    assert.equal(c.sync.timeout_ms, 1000);
    assert.equal(c.discovery.mdns, false);
    assert.deepEqual(c.server.listen, ['/ip4/127.0.0.1/tcp/4200']);
    assert.equal(c.server.websocket.ping_interval_secs, 0);
    assert.equal(c.network, undefined);
    const text = configText(dir);
    assert.match(text, /^\[server\]$/m);
    assert.doesNotMatch(text, /network/);
    // Untouched keys survive.
    assert.equal(c.identity.peer_id, readConfig(template.dir).identity.peer_id);
    assert.equal(c.server.admin.enabled, true);

    // A quoted TOML string works the same.
    const q = await merod(home, node, 'config', 'network.server.auth_mode="proxy"');
    assert.equal(q.code, 0, q.stderr);
    assert.equal(readConfig(dir).server.auth_mode, 'proxy');
  });

  test('a config.toml written with [network.server] is read and rewritten as [server]', async () => {
    const { home, node, dir } = await freshNode('legacy');
    const text = configText(dir).replace(/^\[server(\.|\])/gm, '[network.server$1');
    assert.match(text, /^\[network\.server\]$/m);
    writeFileSync(join(dir, 'config.toml'), text);
    const r = await merod(home, node, 'config', 'sync.interval_ms=2000');
    assert.equal(r.code, 0, r.stderr);
    const out = configText(dir);
    assert.match(out, /^\[server\]$/m);
    assert.doesNotMatch(out, /network/);
    const c = readConfig(dir);
    assert.equal(c.sync.interval_ms, 2000);
    assert.equal(c.server.auth_mode, 'proxy');
    assert.equal(c.server.jsonrpc.enabled, true);
  });

  test('an invalid value is refused, naming the key, and the file is left untouched', async () => {
    const { home, node, dir } = await freshNode('invalid');
    const before = configText(dir);
    const r1 = await merod(home, node, 'config', 'server.websocket.ping_interval_secs=3');
    assertFails(r1, /server\.websocket\.ping_interval_secs/);
    const r2 = await merod(home, node, 'config', 'network.server.auth_mode=sideways');
    assertFails(r2, /server\.auth_mode/);
    const r3 = await merod(home, node, 'config', 'server.listen=["not a multiaddr"]');
    assertFails(r3, /server\.listen/);
    assert.equal(configText(dir), before);
  });

  test('malformed pairs are refused', async () => {
    const { home, node, dir } = await freshNode('malformed');
    const before = configText(dir);
    assertFails(await merod(home, node, 'config', 'no-equals-sign'), /key=value/);
    assertFails(await merod(home, node, 'config', 'server..auth_mode=proxy'), /invalid key/);
    assertFails(await merod(home, node, 'config', 'mode.x=1'), /not a table/);
    assert.equal(configText(dir), before);
  });

  test('config on a missing node is an error', async () => {
    const home = tmpHome();
    assertFails(await merod(home, 'ghost', 'config', 'sync.timeout_ms=1'), /not initialized/);
  });
});

describe('merod errors', { concurrency: 3 }, () => {
  test('corrupt config.toml: the error gives the TOML line and column', async () => {
    const { home, node, dir } = await freshNode('corrupt');
    const lines = configText(dir).split('\n');
    const at = lines.findIndex((l) => l.startsWith('auth_mode = '));
    assert.ok(at >= 0);
    lines[at] = 'auth_mode = "proxy'; // unterminated string
    writeFileSync(join(dir, 'config.toml'), lines.join('\n'));
    const r = await merod(home, node, 'run');
    assertFails(r, /invalid TOML at line \d+, column \d+/);
    assert.match(r.stderr, new RegExp(`line ${at + 1},`), `the error is on line ${at + 1}: ${r.stderr}`);
    assert.match(r.stderr, /config\.toml/);
    // config edits refuse a corrupt file too, with the same position.
    const c = await merod(home, node, 'config', 'sync.timeout_ms=1');
    assertFails(c, new RegExp(`invalid TOML at line ${at + 1},`));
  });

  test('invalid config.toml values: the error names the key', async () => {
    const { home, node, dir } = await freshNode('badvalue');
    writeFileSync(join(dir, 'config.toml'), configText(dir).replace(/^auth_mode = .*$/m, 'auth_mode = "sideways"'));
    assertFails(await merod(home, node, 'run'), /server\.auth_mode/);
    writeFileSync(
      join(dir, 'config.toml'),
      configText(template.dir).replace(/^ping_interval_secs = .*$/m, 'ping_interval_secs = "often"'),
    );
    assertFails(await merod(home, node, 'run'), /server\.websocket\.ping_interval_secs/);
  });

  test('a config.toml missing a required key names it', async () => {
    const { home, node, dir } = await freshNode('nolisten');
    writeFileSync(join(dir, 'config.toml'), configText(dir).replace(/^\[server\]\nlisten = .*$/m, '[server]'));
    assertFails(await merod(home, node, 'run'), /server\.listen/);
  });

  test('running a missing node is an error', async () => {
    const home = tmpHome();
    const r = await merod(home, 'ghost', 'run');
    assertFails(r, /not initialized/);
    assert.match(r.stderr, /merod init/);
    assert.ok(!existsSync(join(home, 'ghost', 'config.toml')));
  });

  test('bad flags exit non-zero with a message on stderr', async () => {
    const home = tmpHome();
    const cases: Array<[string[], RegExp]> = [
      [['--home', home, '--node', 'x', 'init', '--bogus'], /unknown option '--bogus'/],
      [['--home', home, '--node', 'x', 'init', '--server-port', 'abc'], /--server-port.*invalid.*port/],
      [['--home', home, '--node', 'x', 'init', '--server-port', '70000'], /--server-port.*invalid/],
      [['--home', home, '--node', 'x', 'init', '--auth-mode', 'sideways'], /--auth-mode.*invalid.*proxy, embedded/],
      [['--home', home, '--node', 'x', 'init', '--auth-storage', 'disk'], /--auth-storage.*invalid.*persistent, memory/],
      [['--home', home, '--node', 'x', 'init', '--server-host', 'not-an-ip'], /invalid host `not-an-ip`/],
      [['--home', home, '--node', 'x', 'run', '--auth-mode', 'sideways'], /--auth-mode.*invalid/],
      [['--home', home, '--node', 'x', 'frobnicate'], /unknown command 'frobnicate'/],
      [['--home', home, 'init'], /required option '-n, --node <name>' not specified/],
      [['--home', home, '--node', 'x', 'config'], /missing required argument/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      const [args, re] = cases[i]!;
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.notEqual(r.code, null, `${args.join(' ')} should exit, not hang`);
      assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
    });
    assert.ok(!existsSync(join(home, 'x', 'config.toml')), 'no node was created by a failed init');
  });

  test('--help exits 0 and lists the commands', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const cmd of ['init', 'run', 'config']) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });
});

describe('merod run', () => {
  let node: TestNode;
  let blob: { id: string; bytes: Buffer };

  before(async () => {
    node = await startNode({ node: 'runner' });
  });

  test('prints the start banner with the listen URL and peer id', () => {
    const out = node.output();
    assert.match(out, new RegExp(`listening on\\s+${node.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(out, new RegExp(`peer id\\s+${readConfig(node.dir).identity.peer_id}`));
    assert.match(out, /auth mode\s+proxy/);
    // Proxy mode without [server.proxy_auth] enforces nothing itself: the banner says so.
    assert.match(out, /WARNING.*every route is open/);
  });

  test('a second node on the same port exits non-zero with "already in use"', async () => {
    const home = tmpHome();
    const init = await merod(home, 'clash', 'init', '--server-host', '127.0.0.1', '--server-port', String(node.port),
      '--swarm-port', String(await freePort()));
    assert.equal(init.code, 0, init.stderr);
    const r = await merod(home, 'clash', 'run');
    assertFails(r, /already in use/);
    assert.match(r.stderr, new RegExp(String(node.port)));
    assert.equal(r.timedOut, false);
    // The first node is unaffected.
    assert.equal((await api(node.url).get('/admin-api/health')).status, 200);
  });

  test('a swarm port that another process holds: run exits non-zero naming the address, instead of running unreachable', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen({ host: '0.0.0.0', port: 0 }, r));
    try {
      const swarmPort = (holder.address() as { port: number }).port;
      const home = tmpHome();
      const init = await merod(home, 'held', 'init', '--server-host', '127.0.0.1', '--server-port', String(await freePort()), '--swarm-port', String(swarmPort));
      assert.equal(init.code, 0, init.stderr);
      const r = await merod(home, 'held', 'run');
      assertFails(r, new RegExp(`cannot listen on the swarm address /ip4/0\\.0\\.0\\.0/tcp/${swarmPort} \\(EADDRINUSE\\)`));
      assert.equal(r.timedOut, false);
    } finally {
      holder.close();
    }
  });

  test('running the same node twice fails: its store is in use', async () => {
    const r = await merod(node.home, node.node, 'run');
    assertFails(r, /store .* is in use by another process/);
    assert.equal((await api(node.url).get('/admin-api/health')).status, 200);
  });

  test('SIGTERM shuts down cleanly and flushes data (write, SIGTERM, restart, read back)', async () => {
    const http = api(node.url);
    const bytes = Buffer.concat([Buffer.from('merod durability check\n'), randomBytes(256 * 1024)]);
    const put = await http.put('/admin-api/blobs', bytes, { 'content-type': 'application/octet-stream' });
    assert.equal(put.status, 200, `PUT /admin-api/blobs: ${put.status} ${put.text}`);
    assert.equal(put.json.data.size, bytes.length);
    assert.equal(typeof put.json.data.blob_id, 'string');
    blob = { id: put.json.data.blob_id, bytes };

    const code = await node.stop('SIGTERM');
    assert.equal(code, 0, `exit code after SIGTERM\n${node.output()}`);
    await node.restart();

    const got = await api(node.url).get(`/admin-api/blobs/${blob.id}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.bytes.length, bytes.length);
    assert.ok(got.bytes.equals(bytes), 'blob bytes read back after restart');
    assert.equal(got.headers.get('content-length'), String(bytes.length));
  });

  test('a write acknowledged before SIGKILL survives the crash', async () => {
    const bytes = randomBytes(64 * 1024);
    const put = await api(node.url).put('/admin-api/blobs', bytes);
    assert.equal(put.status, 200, `PUT /admin-api/blobs: ${put.status} ${put.text}`);
    const id: string = put.json.data.blob_id;
    await node.kill();
    await node.restart();
    const got = await api(node.url).get(`/admin-api/blobs/${id}`);
    assert.equal(got.status, 200, got.text);
    assert.ok(got.bytes.equals(bytes), 'blob bytes read back after SIGKILL + restart');
    const list = await api(node.url).get('/admin-api/blobs');
    assert.equal(list.status, 200, list.text);
    const ids = (list.json.data.blobs as Array<{ blob_id: string }>).map((b) => b.blob_id);
    assert.ok(ids.includes(id), 'listed after restart');
  });

  test('config edits apply on the next run (new port); data is still there', async () => {
    assert.equal(await node.stop('SIGINT'), 0, 'exit code after SIGINT');
    const port = await freePort();
    const r = await merod(node.home, node.node, 'config', `server.listen=["/ip4/127.0.0.1/tcp/${port}"]`);
    assert.equal(r.code, 0, r.stderr);
    node = await startNode({ home: node.home, node: node.node });
    assert.equal(node.port, port);
    assert.equal((await api(node.url).get('/admin-api/health')).status, 200);
    if (blob) {
      const got = await api(node.url).get(`/admin-api/blobs/${blob.id}`);
      assert.equal(got.status, 200, got.text);
      assert.ok(got.bytes.equals(blob.bytes));
    }
  });

  test('run --auth-mode embedded overrides the configured mode', async () => {
    await node.stop();
    node = await startNode({ home: node.home, node: node.node, runArgs: ['--auth-mode', 'embedded'] });
    assert.match(node.output(), /auth mode\s+embedded/);
    assert.equal((await api(node.url).get('/admin-api/health')).status, 200);
    assert.equal(readConfig(node.dir).server.auth_mode, 'proxy', 'the override is not written to config.toml');
    // The override is real: protected routes now need a token (401, empty body), public ones stay open.
    const denied = await api(node.url).get('/admin-api/blobs');
    assert.equal(denied.status, 401);
    assert.equal(denied.text, '');
    assert.equal(await node.stop(), 0);
  });
});

describe('embedded auth storage at a custom path', () => {
  test('the node runs with a custom --auth-storage-path', async (t) => {
    const home = tmpHome();
    const custom = join(tmpHome(), 'auth-store');
    const node = await startNode({
      home,
      node: 'custom-auth',
      initArgs: ['--auth-mode', 'embedded', '--auth-storage-path', custom],
      t,
    });
    assert.equal((await api(node.url).get('/admin-api/health')).status, 200);
    assert.deepEqual(readConfig(node.dir).server.embedded_auth.storage, { type: 'rocksdb', path: custom });
    // Embedded mero-auth is mounted, and its RocksDB store lives at the custom path, not at <node>/auth.
    const authHealth = await api(node.url).get('/auth/health');
    assert.equal(authHealth.status, 200, `GET /auth/health: ${authHealth.status} ${authHealth.text}`);
    assert.ok(existsSync(custom), `the auth store is created at ${custom}`);
    assert.ok(!existsSync(join(node.dir, 'auth')), 'and not at the default location');
    assert.equal(await node.stop(), 0);
  });
});

/** True unless binding host:port fails with EADDRINUSE (a missing address family counts as free). */
function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => res(err.code !== 'EADDRINUSE'));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => res(true)));
  });
}

describe('npm start (src/cli/start-default.ts)', () => {
  test('creates the node "default" in embedded mode on first run and listens on 127.0.0.1:2528', async (t) => {
    if (!(await portFree(2528, '127.0.0.1')) || !(await portFree(2528, '::1'))) {
      t.skip('port 2528 is in use on this machine');
      return;
    }
    const fakeHome = tmpHome();
    const entry = join(REPO_ROOT, 'src', 'cli', 'start-default.ts');
    const launch = (env: Record<string, string | undefined>) => {
      let out = '';
      const child = track(
        spawn(process.execPath, ['--import', 'tsx', entry], {
          cwd: REPO_ROOT,
          env: childEnv({ MEROD_NODE: undefined, ...env }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      return { child, output: () => out, exit };
    };
    const url = 'http://127.0.0.1:2528';

    // First run: HOME points at the temp dir, CALIMERO_HOME unset -> $HOME/.calimero/default.
    const first = launch({ HOME: fakeHome, CALIMERO_HOME: undefined });
    t.after(() => void first.child.kill('SIGKILL'));
    await waitHealthy(url, first.child, first.output);
    const dir = resolve(fakeHome, '.calimero', 'default');
    assert.match(first.output(), /Initialized a new node in/);
    const c = readConfig(dir);
    assert.equal(c.server.auth_mode, 'embedded');
    assert.deepEqual(c.server.embedded_auth.storage, { type: 'rocksdb', path: 'auth' });
    assert.deepEqual(c.server.listen, ['/ip4/127.0.0.1/tcp/2528', '/ip6/::1/tcp/2528']);
    assert.ok(existsSync(join(dir, 'auth')), 'the persistent auth store is created in the node folder');
    const health = await api(url).get('/admin-api/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { data: { status: 'alive' } });
    first.child.kill('SIGTERM');
    assert.equal(await first.exit, 0, `exit code after SIGTERM\n${first.output()}`);

    // Second run (CALIMERO_HOME set explicitly): the same node is reused, not re-initialized.
    const second = launch({ HOME: fakeHome, CALIMERO_HOME: join(fakeHome, '.calimero') });
    t.after(() => void second.child.kill('SIGKILL'));
    await waitHealthy(url, second.child, second.output);
    assert.doesNotMatch(second.output(), /Initialized/);
    assert.match(second.output(), new RegExp(`peer id\\s+${c.identity.peer_id}`));
    second.child.kill('SIGTERM');
    assert.equal(await second.exit, 0, `exit code after SIGTERM\n${second.output()}`);
  });
});
