import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { encodeId } from '../src/util/ids.ts';

// Admin API routes beyond the main flow: URL installs, application update, identities, the seed's routes.

let n: InProcNode;
let files: Server;
let filesUrl: string;
const kv = readFileSync(appPath('kv-store'));

before(async () => {
  // The file server is on loopback: allow non-public install URLs (refused by default, test/security-ssrf.test.ts).
  n = await startInProcNode({}, { config: ['server.admin.allow_private_install_urls=true'] });
  files = createServer((req, res) => {
    if (req.url === '/kv.wasm') return res.end(kv);
    if (req.url === '/text') return res.end('hello, not wasm');
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
});
after(async () => {
  await n?.stop();
  files?.close();
});

test('install from a URL with and without the expected hash; failures are 4xx text', async () => {
  const hash = encodeId(sha256(kv));
  const ok = await call(n.url, 'POST', '/admin-api/install-application', { url: `${filesUrl}/kv.wasm`, hash, metadata: [] });
  assert.equal(ok.status, 200, ok.text);
  const app = (await call(n.url, 'GET', `/admin-api/applications/${ok.json.data.applicationId}`)).json.data.application;
  assert.equal(app.source, `${filesUrl}/kv.wasm`);
  assert.equal(app.size, kv.length);
  const wrongHash = await call(n.url, 'POST', '/admin-api/install-application', { url: `${filesUrl}/kv.wasm`, hash: encodeId(new Uint8Array(32).fill(1)), metadata: [] });
  assert.equal(wrongHash.status, 400);
  assert.match(wrongHash.text, /hash mismatch/);
  const notWasm = await call(n.url, 'POST', '/admin-api/install-application', { url: `${filesUrl}/text`, metadata: [] });
  assert.equal(notWasm.status, 400);
  const missing = await call(n.url, 'POST', '/admin-api/install-application', { url: `${filesUrl}/nope`, metadata: [] });
  assert.equal(missing.status, 502);
  const badUrl = await call(n.url, 'POST', '/admin-api/install-application', { url: 'not a url', metadata: [] });
  assert.equal(badUrl.status, 400);
  const noMeta = await call(n.url, 'POST', '/admin-api/install-application', { url: `${filesUrl}/kv.wasm` });
  assert.equal(noMeta.status, 400);
  assert.match(noMeta.json.error, /^Invalid JSON data: /);
  // The seed's route name installs the same way.
  const legacy = await call(n.url, 'POST', '/admin-api/dev/install-application', { url: `${filesUrl}/kv.wasm`, hash, metadata: [] });
  assert.equal(legacy.json.data.applicationId, ok.json.data.applicationId);
  assert.ok((await call(n.url, 'GET', '/admin-api/dev/applications')).json.data.apps.length >= 1);
});

test('application update with a migration; identities; with-executors; seed context routes', async () => {
  const a1 = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [1] })).json.data.applicationId;
  const a2 = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [2] })).json.data.applicationId;
  assert.notEqual(a1, a2);
  const created = await call(n.url, 'POST', '/admin-api/dev/contexts', { protocol: 'near', applicationId: a1, initializationParams: [] });
  const { contextId, memberPublicKey } = created.json.data;
  const rpc = (method: string, args: unknown) =>
    call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId, method, argsJson: args, executorPublicKey: memberPublicKey } });
  await rpc('set', { key: 'k', value: 'v' });

  const upd = await call(n.url, 'POST', `/admin-api/contexts/${contextId}/application`, { applicationId: a2, executorPublicKey: memberPublicKey, migrateMethod: 'len' });
  assert.deepEqual([upd.status, upd.json], [200, { data: null }]);
  assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${contextId}`)).json.data.applicationId, a2);
  assert.deepEqual((await rpc('get', { key: 'k' })).json.result, { output: 'v' });
  const failed = await call(n.url, 'POST', `/admin-api/contexts/${contextId}/application`, { applicationId: a1, executorPublicKey: memberPublicKey, migrateMethod: 'no_such' });
  assert.equal(failed.status, 400);
  assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${contextId}`)).json.data.applicationId, a2, 'a failed migration keeps the application');
  const stranger = encodeId(new Uint8Array(32).fill(8));
  assert.equal((await call(n.url, 'POST', `/admin-api/contexts/${contextId}/application`, { applicationId: a1, executorPublicKey: stranger })).status, 403);

  const pool = await call(n.url, 'POST', '/admin-api/identity/context');
  assert.match(pool.json.data.publicKey, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
  assert.deepEqual((await call(n.url, 'GET', `/admin-api/contexts/${contextId}/identities`)).json, { data: { identities: [memberPublicKey] } });

  const withExec = await call(n.url, 'GET', `/admin-api/contexts/with-executors/for-application/${a2}`);
  assert.deepEqual(withExec.json.contexts.find((c: { id: string }) => c.id === contextId), {
    id: contextId,
    application_id: a2,
    root_hash: (await call(n.url, 'GET', `/admin-api/contexts/${contextId}`)).json.data.rootHash,
    executors: [memberPublicKey],
  });
  assert.ok((await call(n.url, 'GET', '/admin-api/dev/contexts')).json.data.contexts.some((c: { id: string }) => c.id === contextId));
  assert.deepEqual((await call(n.url, 'GET', `/admin-api/contexts/${contextId}/client-keys`)).json, { data: { clientKeys: [] } });
  assert.deepEqual((await call(n.url, 'GET', '/admin-api/peers')).json, { count: 0 });
  const info = (await call(n.url, 'GET', '/admin-api/node-info')).json.data;
  assert.equal(info.authMode, 'proxy');
  assert.match(info.peerId, /^12D3KooW/);
});

test('a second identity of the node joins a context held here at once (no peer to wait for)', async () => {
  const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [3] })).json.data.applicationId;
  const created = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  const { contextId, memberPublicKey } = created.json.data;
  const second = (await call(n.url, 'POST', '/admin-api/identity/context')).json.data.publicKey;
  const inv = await call(n.url, 'POST', '/admin-api/contexts/invite', { contextId, inviterId: memberPublicKey, inviteeId: second });
  assert.equal(inv.status, 200, inv.text);
  const started = Date.now();
  const joined = await call(n.url, 'POST', '/admin-api/contexts/join', { invitationPayload: inv.json.data });
  assert.deepEqual([joined.status, joined.json], [200, { data: { contextId, memberPublicKey: second } }]);
  // The bounded wait for peers is 20 s; there are none, and the membership here already admits the invitee.
  assert.ok(Date.now() - started < 5_000, `join took ${Date.now() - started} ms`);
  const set = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId, method: 'set', argsJson: { key: 'k', value: 'by the second identity' }, executorPublicKey: second } });
  assert.deepEqual(set.json.result, { output: null });
});
