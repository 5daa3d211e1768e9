import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { base58 } from '@scure/base';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

// meroctl (bin/meroctl.js) as a child process against a real in-process node.

const tmp = mkdtempSync(join(tmpdir(), 'meroctl-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const MISSING = base58.encode(new Uint8Array(32).fill(7));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function meroctl(url: string | null, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const argv = url ? ['bin/meroctl.js', '--node-url', url, ...args] : ['bin/meroctl.js', ...args];
    const p = spawn(process.execPath, argv, { stdio: 'pipe', env: { ...process.env, MEROCTL_NODE_URL: '', MEROCTL_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    // 'close', not 'exit': 'exit' may come before the last of stdout/stderr has been read.
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function ok(r: Run): Run {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

function failed(r: Run, message: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure, got: ${r.stdout}`);
  assert.match(r.stderr, message);
}

async function tinyWasm(tag: number): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  return new Uint8Array(wabt.parseWat('m.wat', `(module (func (export "m${tag}")))`).toBinary({}).buffer);
}

describe('meroctl', () => {
  let n: InProcNode;
  const run = (...args: string[]) => meroctl(n.url, args);
  const runJson = async (...args: string[]) => JSON.parse(ok(await meroctl(n.url, ['--output', 'json', ...args])).stdout);

  before(async () => {
    // `app install <url>` downloads from a loopback server: allow non-public install URLs (refused by default).
    n = await startInProcNode({}, { config: ['server.admin.allow_private_install_urls=true'] });
  });
  after(() => n?.stop());

  test('health, --version, usage errors, unreachable node, env MEROCTL_NODE_URL', async () => {
    // Independent invocations run concurrently (each meroctl process starts tsx).
    const [human, asJson, version, viaEnv, usage, badOutput, unreachable] = await Promise.all([
      run('health'),
      runJson('health'),
      run('--version'),
      meroctl(null, ['health'], { MEROCTL_NODE_URL: n.url }),
      run('frobnicate'),
      run('--output', 'xml', 'health'),
      meroctl('http://127.0.0.1:9', ['health']),
    ]);
    assert.equal(ok(human).stdout, 'alive\n');
    assert.deepEqual(asJson, { status: 'alive' });
    assert.match(ok(version).stdout, /^\d+\.\d+\.\d+/);
    assert.equal(ok(viaEnv).stdout, 'alive\n');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown command/);
    assert.equal(badOutput.code, 2);
    failed(unreachable, /cannot reach the node at http:\/\/127\.0\.0\.1:9/);
  });

  test('app install (path and URL), ls, get, uninstall; errors', async () => {
    const bytes = await tinyWasm(1);
    const file = join(tmp, 'tiny.wasm');
    writeFileSync(file, bytes);
    const { applicationId } = await runJson('app', 'install', file, '--metadata', '{"name":"tiny"}');
    const [app, lsHuman, lsJson, missing, badMeta, badId] = await Promise.all([
      runJson('app', 'get', applicationId),
      run('app', 'ls'),
      runJson('app', 'ls'),
      run('app', 'install', join(tmp, 'missing.wasm')),
      run('app', 'install', file, '--metadata', '{oops'),
      run('app', 'get', 'bad'),
    ]);
    assert.equal(app.source, `file://${file}`);
    assert.deepEqual(app.metadata, [...new TextEncoder().encode('{"name":"tiny"}')]);
    assert.match(ok(lsHuman).stdout, new RegExp(`${applicationId}  ${bytes.length} B  file://`));
    assert.ok(lsJson.some((a: { id: string }) => a.id === applicationId));
    failed(missing, /no such file/);
    failed(badMeta, /--metadata is not valid JSON/);
    failed(badId, /HTTP 400: Invalid URL/);
    assert.match(ok(await run('app', 'uninstall', applicationId)).stdout, /uninstalled/);
    failed(await run('app', 'get', applicationId), /is not installed/);

    const server = createServer((_req, res) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/app.wasm`;
      const hash = base58.encode(createHash('sha256').update(bytes).digest());
      const viaUrl = await runJson('app', 'install', url, '--hash', hash);
      assert.equal((await runJson('app', 'get', viaUrl.applicationId)).source, url);
      failed(await run('app', 'install', url, '--hash', MISSING), /HTTP \d+: .*hash/i);
    } finally {
      server.close();
    }
  });

  test('app list-packages, list-versions, get-latest-version; install --package/--version; context sync', async () => {
    const file = appPath('kv-store');
    const v1 = (await runJson('app', 'install', file, '--metadata', '1', '--package', 'com.meroctl', '--version', '1.9.0')).applicationId;
    const v2 = (await runJson('app', 'install', file, '--metadata', '2', '--package', 'com.meroctl', '--package-version', '1.10.0')).applicationId;
    assert.notEqual(v1, v2);
    assert.ok((await runJson('app', 'list-packages')).packages.includes('com.meroctl'));
    assert.match(ok(await run('app', 'list-packages')).stdout, /^com\.meroctl$/m);
    assert.deepEqual([...(await runJson('app', 'list-versions', 'com.meroctl')).versions].sort(), ['1.10.0', '1.9.0']);
    assert.deepEqual(await runJson('app', 'get-latest-version', 'com.meroctl'), { applicationId: v2, version: '1.10.0' });
    assert.equal(ok(await run('app', 'get-latest-version', 'com.meroctl')).stdout, `1.10.0  ${v2}\n`);
    assert.deepEqual(await runJson('app', 'get-latest-version', 'com.none'), { applicationId: null, version: null });
    assert.equal(ok(await run('app', 'list-versions', 'com.none')).stdout, '(none)\n');

    const { contextId } = await runJson('context', 'create', v2, '--params', '{}');
    assert.deepEqual(await runJson('context', 'sync', '--context', contextId), { data: null });
    assert.deepEqual(await runJson('context', 'sync', '--all'), { data: null });
    assert.match(ok(await run('context', 'sync', '-c', contextId)).stdout, new RegExp(`sync requested for ${contextId}`));
    ok(await run('alias', 'create', 'context', 'default', contextId));
    assert.match(ok(await run('context', 'sync')).stdout, new RegExp(`sync requested for ${contextId}`));
    failed(await run('context', 'sync', '-c', 'nosuchalias'), /unable to resolve context alias nosuchalias/);

    // A context only this node is in: one member, no peers, nothing failed; by id or alias, JSON or text.
    const st = await runJson('context', 'sync-status', contextId);
    assert.equal(st.contextId, contextId);
    assert.deepEqual(st.members, { total: 1, owned: 1 });
    assert.deepEqual([st.reachablePeers, st.knownPeers, st.lastSync, st.isolatedSince, st.pending, st.failed, st.peers], [0, 0, null, null, 0, [], []]);
    assert.equal(st.heads.length, 1);
    const text = ok(await run('context', 'sync-status', 'default')).stdout;
    assert.match(text, new RegExp(`^context {8}${contextId}$`, 'm'));
    assert.match(text, /^last sync {6}never \(since the node started\)$/m);
    assert.match(text, /^failed {9}0$/m);
    failed(await run('context', 'sync-status', '11111111111111111111111111111112'), /Context not found/);
  });

  test('blob upload, ls, get (stdout and -o), rm; errors', async () => {
    const content = new Uint8Array(2 * 1024 * 1024 + 5).map((_, i) => (i * 7) & 0xff);
    const file = join(tmp, 'blob.bin');
    writeFileSync(file, content);
    const up = await runJson('blob', 'upload', file);
    assert.equal(up.size, content.length);
    const out = join(tmp, 'out.bin');
    const small = join(tmp, 'small.txt');
    writeFileSync(small, 'hello blob');
    const [ls, got, s, badId, badHash] = await Promise.all([
      run('blob', 'ls'),
      run('blob', 'get', up.blob_id, '-o', out),
      runJson('blob', 'upload', small),
      run('blob', 'get', 'bad'),
      run('blob', 'upload', small, '--hash', MISSING),
    ]);
    assert.match(ok(ls).stdout, new RegExp(`${up.blob_id}  ${content.length} B`));
    ok(got);
    assert.deepEqual(new Uint8Array(readFileSync(out)), content);
    failed(badId, /Invalid blob ID format/);
    failed(badHash, /HTTP 400/);
    assert.equal(ok(await run('blob', 'get', s.blob_id)).stdout, 'hello blob');
    assert.match(ok(await run('blob', 'rm', up.blob_id)).stdout, /deleted/);
    failed(await run('blob', 'rm', up.blob_id), /Failed to delete blob: Blob not found/);
  });

  test('context create, ls, get, identities, call, watch (WS and SSE), delete', async () => {
    const { applicationId } = await runJson('app', 'install', appPath('kv-store'));
    const created = await runJson('context', 'create', applicationId, '--params', '{}');
    const { contextId, memberPublicKey } = created;
    const [ls, got, all, owned] = await Promise.all([
      run('context', 'ls'),
      runJson('context', 'get', contextId),
      runJson('context', 'identities', contextId),
      run('context', 'identities', contextId, '--owned'),
    ]);
    assert.match(ok(ls).stdout, new RegExp(`${contextId}  app ${applicationId}`));
    assert.equal(got.id, contextId);
    assert.deepEqual(all, [memberPublicKey]);
    assert.equal(ok(owned).stdout, `${memberPublicKey}\n`);

    const watchers = [false, true].map((sse) => {
      const p = spawn(process.execPath, ['bin/meroctl.js', '--node-url', n.url, 'watch', contextId, ...(sse ? ['--sse'] : [])], { stdio: 'pipe' });
      const w = { p, out: '', err: '', ready: new Promise<void>((r) => p.stderr.once('data', () => r())) };
      p.stdout.on('data', (d) => (w.out += d));
      p.stderr.on('data', (d) => (w.err += d));
      return w;
    });
    await Promise.all(watchers.map((w) => w.ready));

    // Default executor: the first owned identity; --as explicit; --query read-only.
    assert.equal(ok(await run('call', contextId, 'set', '--args', '{"key":"a","value":"b"}')).stdout, 'null\n');
    assert.equal(JSON.parse(ok(await run('call', contextId, 'get', '--args', '{"key":"a"}', '--query')).stdout), 'b');
    const [entries, nope, badArgs, noCtx, noCtxDefault] = await Promise.all([
      runJson('call', contextId, 'entries', '--as', memberPublicKey),
      run('call', contextId, 'nope'),
      run('call', contextId, 'get', '--args', 'nope'),
      run('call', MISSING, 'get', '--as', memberPublicKey),
      run('call', MISSING, 'get'),
    ]);
    assert.deepEqual(entries, { a: 'b' });
    failed(nope, /FunctionCallError/);
    failed(badArgs, /--args is not valid JSON/);
    failed(noCtx, /ContextNotFound/);
    failed(noCtxDefault, /HTTP 404: Context not found/);

    for (const w of watchers) {
      for (let i = 0; i < 500 && !w.out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 10));
      w.p.kill('SIGINT');
      const code = await new Promise((r) => w.p.on('exit', r));
      assert.equal(code, 0, w.err);
      const first = JSON.parse(w.out.split('\n')[0]!);
      assert.equal(first.contextId, contextId);
      assert.equal(first.data.events[0].kind, 'Inserted');
    }

    assert.match(ok(await run('context', 'delete', contextId)).stdout, /deleted/);
    failed(await run('context', 'delete', contextId), /no such context/);
    failed(await run('context', 'get', contextId), /HTTP 404: Context not found/);
  });

  test('alias create, lookup, ls, rm; peers', async () => {
    const { applicationId } = await runJson('app', 'install', appPath('kv-store'));
    ok(await run('alias', 'create', 'application', 'kv', applicationId));
    assert.equal(ok(await run('alias', 'lookup', 'application', 'kv')).stdout, `${applicationId}\n`);
    assert.deepEqual(await runJson('alias', 'ls', 'application'), { kv: applicationId });
    failed(await run('alias', 'create', 'application', 'kv', applicationId), /already exists/);
    ok(await run('alias', 'rm', 'application', 'kv'));
    failed(await run('alias', 'lookup', 'application', 'kv'), /no application alias kv/);
    failed(await run('alias', 'ls', 'planet'), /alias kind must be one of/);
    assert.match(ok(await run('peers')).stdout, /^\d+\n$/);
  });
});

describe('meroctl with embedded auth', () => {
  let n: InProcNode;
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
  });
  after(() => n?.stop());

  test('--token / MEROCTL_TOKEN; 401 without one', async () => {
    failed(await meroctl(n.url, ['app', 'ls']), /HTTP 401: unauthorized \(pass --token or set MEROCTL_TOKEN\)/);
    const r = await call(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'meroctl-test'));
    assert.equal(r.status, 200, r.text);
    const token: string = r.json.data.access_token;
    assert.equal(ok(await meroctl(n.url, ['--token', token, 'app', 'ls'])).stdout, '(none)\n');
    assert.equal(ok(await meroctl(n.url, ['--output', 'json', 'app', 'ls'], { MEROCTL_TOKEN: token })).stdout, '[]\n');
  });
});

describe('meroctl: sharing a context between two nodes', () => {
  let a: InProcNode;
  let b: InProcNode;
  before(async () => {
    [a, b] = await Promise.all([startInProcNode(), startInProcNode()]);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));
  const onA = async (...args: string[]) => JSON.parse(ok(await meroctl(a.url, ['--output', 'json', ...args])).stdout);
  const onB = async (...args: string[]) => JSON.parse(ok(await meroctl(b.url, ['--output', 'json', ...args])).stdout);

  test('identity generate, invite, join, call across nodes, grant/revoke, update, leave', async () => {
    const { applicationId } = await onA('app', 'install', appPath('kv-store'));
    const { contextId, memberPublicKey } = await onA('context', 'create', applicationId);
    const { publicKey } = await onB('context', 'identity', 'new');
    const { invitationPayload } = await onA('context', 'invite', contextId, publicKey);
    assert.deepEqual(await onB('context', 'join', invitationPayload), { contextId, memberPublicKey: publicKey });
    await onA('call', contextId, 'set', '--args', '{"key":"k","value":"from A"}');
    let seen: unknown;
    for (let i = 0; i < 100 && seen !== 'from A'; i++) {
      seen = await onB('call', contextId, 'get', '--args', '{"key":"k"}', '--query');
      if (seen !== 'from A') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen, 'from A');
    assert.deepEqual(new Set(await onB('context', 'identities', contextId)), new Set([memberPublicKey, publicKey]));

    // B may not invite until A grants ManageMembers (kebab-case names work too).
    const { publicKey: third } = await onA('context', 'identity', 'generate');
    failed(await meroctl(b.url, ['context', 'invite', contextId, third]), /not allowed to manage members/);
    await onA('context', 'grant', contextId, publicKey, 'manage-members');
    assert.match((await onB('context', 'invite', contextId, third)).invitationPayload, /^[1-9A-HJ-NP-Za-km-z]+$/);
    // A generated `third`, so once B's invitation adds it, A owns it too (a pool key taken into the context): the
    // revoke names its signer, as the first owned identity may now be `third`, which may not manage members.
    await onA('context', 'revoke', contextId, publicKey, 'ManageMembers', '--as', memberPublicKey);
    failed(await meroctl(a.url, ['context', 'grant', contextId, publicKey, 'admin']), /unknown capability admin/);

    // The same app under other metadata: a new application id the context switches to, on both nodes.
    const { applicationId: v2 } = await onA('app', 'install', appPath('kv-store'), '--metadata', '{"v":2}');
    failed(await meroctl(b.url, ['context', 'update', contextId, v2]), /application not found|not allowed/);
    await onA('context', 'update', contextId, v2, '--as', memberPublicKey);
    let app = '';
    for (let i = 0; i < 100 && app !== v2; i++) {
      app = (await onB('context', 'get', contextId)).applicationId;
      if (app !== v2) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(app, v2);

    assert.deepEqual(await onB('context', 'leave', contextId), { isDeleted: true });
    assert.ok(!(await onB('context', 'ls')).some((c: { id: string }) => c.id === contextId));
    for (let i = 0; i < 100; i++) {
      if (!(await onA('context', 'identities', contextId)).includes(publicKey)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // B is gone from A's member list; the member B invited stays.
    assert.deepEqual(new Set(await onA('context', 'identities', contextId)), new Set([memberPublicKey, third]));
    failed(await meroctl(b.url, ['context', 'invite', 'nope', third]), /HTTP 400/);
  });

  test('open invitations, identity list, identity aliases and use', async () => {
    const { applicationId } = await onA('app', 'install', appPath('kv-store'));
    const { contextId, memberPublicKey } = await onA('context', 'create', applicationId);
    ok(await meroctl(a.url, ['alias', 'create', 'context', 'default', contextId]));
    // -c default (the context alias), --as default (no identity alias: the first owned identity).
    const { data: invitation } = await onA('context', 'invite-by-open-invitation', '--valid-for-blocks', '120');
    assert.equal(invitation.invitation.expiration_height - Math.floor(Date.now() / 1000) <= 120, true);
    const human = ok(await meroctl(a.url, ['context', 'invite-open', '-c', contextId, '--as', memberPublicKey])).stdout;
    assert.deepEqual(Object.keys(JSON.parse(human)), ['invitation', 'inviter_signature']);

    const { publicKey } = await onB('context', 'identity', 'new');
    failed(await meroctl(b.url, ['context', 'join-open', '{"nope":1}', '--as', publicKey]), /not a SignedOpenInvitation/);
    const tampered = { ...invitation, invitation: { ...invitation.invitation, expiration_height: invitation.invitation.expiration_height + 1 } };
    failed(await meroctl(b.url, ['context', 'join-open', JSON.stringify(tampered), '--as', publicKey]), /HTTP 400: invalid open invitation: the inviter's signature does not match/);
    assert.deepEqual(await onB('context', 'join-by-open-invitation', JSON.stringify({ data: invitation }), '--as', publicKey, '--name', 'shared'), {
      data: { contextId, memberPublicKey: publicKey },
    });
    assert.deepEqual(new Set((await onB('context', 'identity', 'ls', '-c', 'shared')).identities), new Set([memberPublicKey, publicKey]));
    assert.deepEqual((await onB('context', 'identity', 'list', '-c', 'shared', '--owned')).identities, [publicKey]);

    // Identity aliases, as upstream: add (refusing to overwrite without --force), get, list, remove; use = alias default.
    ok(await meroctl(b.url, ['context', 'identity', 'alias', 'add', 'me', publicKey, '-c', 'shared']));
    failed(await meroctl(b.url, ['context', 'identity', 'alias', 'add', 'me', memberPublicKey, '-c', 'shared']), /Alias 'me' already exists and points to '.+'. Use --force to overwrite./);
    ok(await meroctl(b.url, ['context', 'identity', 'alias', 'create', 'me', memberPublicKey, '-c', 'shared', '--force']));
    assert.deepEqual(await onB('context', 'identity', 'alias', 'get', 'me', '-c', 'shared'), { value: memberPublicKey });
    failed(await meroctl(b.url, ['context', 'identity', 'alias', 'add', 'x', MISSING, '-c', 'shared']), /Identity '.+' does not exist in context/);
    ok(await meroctl(b.url, ['context', 'identity', 'use', publicKey, '-c', 'shared']));
    assert.deepEqual(await onB('context', 'identity', 'alias', 'ls', '-c', 'shared'), { default: publicKey, me: memberPublicKey });
    // The default identity alias is who acts when --as is not given.
    assert.equal(await onB('call', contextId, 'set', '--args', '{"key":"by","value":"B"}'), null);
    ok(await meroctl(b.url, ['context', 'identity', 'alias', 'rm', 'me', '-c', 'shared']));
    failed(await meroctl(b.url, ['context', 'identity', 'alias', 'get', 'me', '-c', 'shared']), /no identity alias me/);
  });
});

/** A copy of a built app in `dir` that can be rebuilt (a custom section appended: valid WASM, new bytes). */
function devCopy(dir: string, name: string): { path: string; rebuild(tag: string): void } {
  const path = join(dir, name);
  writeFileSync(path, readFileSync(appPath('kv-store')));
  return {
    path,
    rebuild(tag: string) {
      const label = Buffer.from('merod-dev');
      const payload = Buffer.concat([Buffer.of(label.length), label, Buffer.from(tag)]);
      writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.of(0, payload.length), payload]));
    },
  };
}

describe('meroctl: app watch, context update --path, node profiles', () => {
  let n: InProcNode;
  const cfg = mkdtempSync(join(tmpdir(), 'meroctl-cfg-'));
  const env = { XDG_CONFIG_HOME: cfg };
  const runJson = async (...args: string[]) => JSON.parse(ok(await meroctl(n.url, ['--output', 'json', ...args], env)).stdout);
  before(async () => {
    n = await startInProcNode();
  });
  after(async () => {
    await n?.stop();
    rmSync(cfg, { recursive: true, force: true });
  });

  test('app watch: each change is installed and the contexts using the app move to it', async () => {
    const dev = devCopy(tmp, 'watched.wasm');
    const { applicationId } = await runJson('app', 'install', dev.path);
    const { contextId } = await runJson('context', 'create', applicationId);
    failed(await meroctl(n.url, ['app', 'watch', '--path', join(tmp, 'nope.wasm')]), /no such file/);

    const p = spawn(process.execPath, ['bin/meroctl.js', '--node-url', n.url, '--output', 'json', 'app', 'watch', '-p', dev.path, '--version', '0.0.0'], { stdio: 'pipe' });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const waitFor = async (what: () => boolean, label: string) => {
      for (let i = 0; i < 600 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(what(), `${label}; stdout: ${out}; stderr: ${err}`);
    };
    await waitFor(() => err.includes('Watching for changes'), 'watching');
    assert.match(err, new RegExp(`Found 1 context\\(s\\) using application ${applicationId}: ${contextId}`));
    dev.rebuild('1');
    await waitFor(() => out.includes('"event":"updated"'), 'first update');
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    const installed = lines.find((l) => l.event === 'installed').applicationId;
    assert.notEqual(installed, applicationId);
    assert.deepEqual(lines.find((l) => l.event === 'updated'), { event: 'updated', contextId, applicationId: installed });
    assert.equal((await runJson('context', 'get', contextId)).applicationId, installed);
    // The next change moves the context on from the build it now runs.
    out = '';
    dev.rebuild('2');
    await waitFor(() => out.includes('"event":"updated"'), 'second update');
    const second = JSON.parse(out.trim().split('\n').at(-1)!).applicationId;
    assert.notEqual(second, installed);
    assert.equal((await runJson('context', 'get', contextId)).applicationId, second);
    p.kill('SIGINT');
    assert.equal(await new Promise((r) => p.on('exit', r)), 0, err);
  });

  test('context update: -c alias with --path installs and switches; get info|storage', async () => {
    const dev = devCopy(tmp, 'updated.wasm');
    const { applicationId } = await runJson('app', 'install', dev.path);
    const { contextId } = await runJson('context', 'create', applicationId);
    ok(await meroctl(n.url, ['alias', 'create', 'context', 'upd', contextId]));
    dev.rebuild('x');
    const { applicationId: next } = await runJson('context', 'update', '-c', 'upd', '--path', dev.path);
    assert.notEqual(next, applicationId);
    assert.equal((await runJson('context', 'get', 'info', 'upd')).applicationId, next);
    assert.equal(typeof (await runJson('context', 'get', 'storage', 'upd')).sizeInBytes, 'number');
    failed(await meroctl(n.url, ['context', 'update', '-c', 'upd', '-a', applicationId, '--path', dev.path]), /either an application id or --path/);
    failed(await meroctl(n.url, ['context', 'update', '-c', 'upd', '--watch']), /--watch needs --path/);
  });

  test('node add|use|list|remove: profiles in <config dir>/calimero/meroctl/nodes.toml', async () => {
    const noUrl = (...args: string[]) => meroctl(null, args, env);
    const file = join(cfg, 'calimero', 'meroctl', 'nodes.toml');
    assert.deepEqual(JSON.parse(ok(await noUrl('--output', 'json', 'node', 'ls')).stdout), []);
    ok(await noUrl('node', 'add', 'remote', n.url));
    failed(await noUrl('node', 'add', 'remote', n.url), /node with name 'remote' already exists, to update it, remove it first/);
    failed(await noUrl('node', 'use', 'ghost'), /Node 'ghost' does not exist. Add it first with 'meroctl node add'/);
    failed(await noUrl('node', 'add', 'bad name', n.url), /invalid node name/);
    // A local node: its directory, the URL read from its config.toml.
    ok(await noUrl('node', 'connect', 'local', n.dir));
    assert.equal(ok(await noUrl('--node', 'local', 'health')).stdout, 'alive\n');
    failed(await noUrl('--node', 'ghost', 'health'), /node 'ghost' is not configured/);
    ok(await noUrl('node', 'use', 'remote'));
    // The active node is every command's default.
    assert.equal(ok(await noUrl('health')).stdout, 'alive\n');
    assert.deepEqual(JSON.parse(ok(await noUrl('--output', 'json', 'node', 'list')).stdout), [
      { name: 'local', type: 'Local', location: n.dir, active: false, authenticated: false },
      { name: 'remote', type: 'Remote', location: n.url, active: true, authenticated: false },
    ]);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^active_node = "remote"$/m);
    assert.match(text, /^\[nodes\.remote\]$/m);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    ok(await noUrl('node', 'rm', 'remote'));
    assert.doesNotMatch(readFileSync(file, 'utf8'), /active_node|remote/);
    failed(await meroctl(n.url, ['--node', 'local', 'health'], env), /either --node-url or --node/);
  });
});

describe('meroctl: a node profile with a token (embedded auth)', () => {
  let n: InProcNode;
  const cfg = mkdtempSync(join(tmpdir(), 'meroctl-cfg-'));
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
  });
  after(async () => {
    await n?.stop();
    rmSync(cfg, { recursive: true, force: true });
  });

  test('node add --access-token: commands through the profile are authenticated', async () => {
    const r = await call(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'meroctl-profile'));
    assert.equal(r.status, 200, r.text);
    const env = { XDG_CONFIG_HOME: cfg };
    ok(await meroctl(null, ['node', 'add', 'secure', n.url, '--access-token', r.json.data.access_token, '--refresh-token', r.json.data.refresh_token], env));
    failed(await meroctl(null, ['node', 'add', 'half', n.url, '--refresh-token', 'x'], env), /--refresh-token needs --access-token/);
    failed(await meroctl(n.url, ['app', 'ls'], env), /HTTP 401/);
    assert.equal(ok(await meroctl(null, ['--node', 'secure', 'app', 'ls'], env)).stdout, '(none)\n');
    assert.match(readFileSync(join(cfg, 'calimero', 'meroctl', 'nodes.toml'), 'utf8'), /access_token = "/);
  });
});
