import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { encodeId } from '../src/util/ids.ts';
import { openSse } from './helpers/sse.ts';

// End-to-end through HTTP, WebSocket and SSE against a real node with the kv-store test app.

let n: InProcNode;
let appId: string;
let ctx: string;
let member: string;

const rpc = (method: string, params: Record<string, unknown>, id: unknown = 1) =>
  call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id, method, params });
const exec = (m: string, args: unknown, o: { mode?: string; as?: string; context?: string } = {}) =>
  rpc(o.mode ?? 'execute', { contextId: o.context ?? ctx, method: m, argsJson: args, executorPublicKey: o.as ?? member });

before(async () => {
  n = await startInProcNode();
});
after(async () => {
  await n?.stop();
});

test('install the kv-store app from a path and read it back', async () => {
  const r = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [1, 2, 3] });
  assert.equal(r.status, 200, r.text);
  appId = r.json.data.applicationId;
  const got = await call(n.url, 'GET', `/admin-api/applications/${appId}`);
  assert.equal(got.json.data.application.id, appId);
  assert.deepEqual(got.json.data.application.metadata, [1, 2, 3]);
  assert.match(got.json.data.application.source, /^file:\/\/\/.*\.wasm$/);
  assert.equal(got.json.data.application.blob.compiled, '11111111111111111111111111111111');
  const list = await call(n.url, 'GET', '/admin-api/applications');
  assert.ok(list.json.data.apps.some((a: { id: string }) => a.id === appId));
  // Same bytes, same source, same metadata: same id.
  const again = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [1, 2, 3] });
  assert.equal(again.json.data.applicationId, appId);
});

test('create a context: runs init, the creator is an owned member', async () => {
  const r = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: appId, initializationParams: [] });
  assert.equal(r.status, 200, r.text);
  ctx = r.json.data.contextId;
  member = r.json.data.memberPublicKey;
  const c = await call(n.url, 'GET', `/admin-api/contexts/${ctx}`);
  assert.equal(c.json.data.id, ctx);
  assert.equal(c.json.data.applicationId, appId);
  assert.notEqual(c.json.data.rootHash, '11111111111111111111111111111111');
  const ids = await call(n.url, 'GET', `/admin-api/contexts/${ctx}/identities-owned`);
  assert.deepEqual(ids.json.data.identities, [member]);
  const users = await call(n.url, 'GET', `/admin-api/contexts/${ctx}/users`);
  assert.equal(users.json.data.contextUsers[0].userId, member);
  const forApp = await call(n.url, 'GET', `/admin-api/contexts/for-application/${appId}`);
  assert.ok(forApp.json.data.contexts.some((x: { id: string }) => x.id === ctx));
});

test('mutate and query; events reach a WS and an SSE subscriber', async () => {
  // WebSocket subscriber.
  const ws = new WebSocket(n.url.replace('http', 'ws') + '/ws');
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const wsFrames: any[] = [];
  ws.on('message', (d) => wsFrames.push(JSON.parse(String(d))));
  ws.send(JSON.stringify({ id: 7, method: 'subscribe', params: { contextIds: [ctx] } }));
  await waitFor(() => wsFrames.some((f) => f.id === 7));
  assert.deepEqual(wsFrames.find((f) => f.id === 7), { id: 7, result: { contextIds: [ctx] } });

  // SSE subscriber.
  const sse = await openSse(n.url + '/sse');
  assert.equal(sse.headers.get('content-type')?.split(';')[0], 'text/event-stream');
  const sseEvents = () => sse.messages.filter((m) => m.data).map((m) => JSON.parse(m.data));
  await sse.waitFor(1);
  assert.equal(sseEvents()[0].type, 'connect');
  const session = sseEvents()[0].session_id;
  const sub = await call(n.url, 'POST', '/sse/subscription', { id: String(session), method: 'subscribe', params: { contextIds: [ctx] } });
  assert.equal(sub.status, 200, sub.text);

  const set = await exec('set', { key: 'a', value: '1' });
  assert.deepEqual(set.json, { jsonrpc: '2.0', id: 1, result: { output: null } });
  const get = await exec('get', { key: 'a' }, { mode: 'query' });
  assert.deepEqual(get.json.result, { output: '1' });

  await waitFor(() => wsFrames.some((f) => f.id === null) && sseEvents().some((e) => e.result));
  const pushed = wsFrames.find((f) => f.id === null).result;
  assert.equal(pushed.contextId, ctx);
  assert.equal(pushed.type, 'StateMutation');
  assert.equal(pushed.data.events[0].kind, 'Inserted');
  assert.deepEqual(JSON.parse(Buffer.from(pushed.data.events[0].data).toString()), { key: 'a', value: '1' });
  assert.equal(pushed.data.events[0].handler, null);
  const root = (await call(n.url, 'GET', `/admin-api/contexts/${ctx}`)).json.data.rootHash;
  assert.equal(pushed.data.newRoot, root);
  assert.deepEqual(sseEvents().find((e) => e.result).result, pushed);

  ws.close();
  sse.close();
});

test('a query never persists writes', async () => {
  const r = await exec('set', { key: 'q', value: 'x' }, { mode: 'query' });
  assert.deepEqual(r.json.result, { output: null });
  const get = await exec('get', { key: 'q' }, { mode: 'query' });
  assert.deepEqual(get.json.result, { output: null });
});

test('100 concurrent set calls on one context all persist', async () => {
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => exec('set', { key: `k${i}`, value: `v${i}` }, { mode: 'mutate' })));
  for (const r of results) assert.deepEqual(r.json.result, { output: null }, r.text);
  const entries = (await exec('entries', {}, { mode: 'query' })).json.result.output;
  for (let i = 0; i < 100; i++) assert.equal(entries[`k${i}`], `v${i}`);
  const len = (await exec('len', {}, { mode: 'query' })).json.result.output;
  assert.equal(len, 101);
  const size = await call(n.url, 'GET', `/admin-api/contexts/${ctx}/storage`);
  assert.ok(size.json.data.sizeInBytes > 100 * 4, `storage size ${size.text}`);
});

test('queries see every committed mutation (workers carry reads over a commit only without the keys it wrote)', async () => {
  for (let i = 0; i < 20; i++) {
    assert.deepEqual((await exec('get', { key: 'cache' }, { mode: 'query' })).json.result, { output: i === 0 ? null : String(i - 1) });
    assert.deepEqual((await exec('get', { key: 'cache' }, { mode: 'query' })).json.result, { output: i === 0 ? null : String(i - 1) });
    assert.equal((await exec('set', { key: 'cache', value: String(i) })).status, 200);
  }
  assert.deepEqual((await exec('get', { key: 'cache' }, { mode: 'query' })).json.result, { output: '19' });
  // Keys read but not written by the commits in between are served from the carried reads, and stay right.
  assert.equal((await exec('set_many', { keys: 'other-1,other-2', value: 'ab' })).status, 200);
  for (let i = 0; i < 10; i++) {
    assert.equal((await exec('set', { key: `fresh-${i}`, value: String(i) })).status, 200);
    const got = await Promise.all(['other-1', 'other-2', `fresh-${i}`, 'cache'].map(async (key) => (await exec('get', { key })).json.result.output));
    assert.deepEqual(got, ['ab', 'ab', String(i), '19']);
  }
});

test('JSON-RPC error types (docs/wire.md, JSON-RPC)', async () => {
  const unknownCtx = encodeId(new Uint8Array(32).fill(9));
  assert.deepEqual((await exec('get', { key: 'a' }, { context: unknownCtx })).json.error, { type: 'ContextNotFound' });
  const stranger = encodeId(new Uint8Array(32).fill(3));
  assert.deepEqual((await exec('get', { key: 'a' }, { as: stranger })).json.error, {
    type: 'Unauthorized',
    data: { context_id: ctx, public_key: stranger },
  });
  const nf = (await exec('no_such_method', {})).json.error;
  assert.equal(nf.type, 'FunctionCallError');
  assert.match(nf.data, /method "no_such_method" not found/);
  const bad = await rpc('frobnicate', { contextId: ctx });
  assert.equal(bad.status, 200);
  assert.equal(bad.json.error.type, 'ParseError');
  assert.match(bad.json.error.data, /unknown variant `frobnicate`/);
  const badId = await rpc('execute', { contextId: 'not-base58!', method: 'get', argsJson: {}, executorPublicKey: member });
  assert.equal(badId.json.error.type, 'ParseError');
  const empty = await rpc('execute', { contextId: ctx, method: '', argsJson: {}, executorPublicKey: member });
  assert.deepEqual(empty.json.error, { type: 'ParseError', data: "Field 'method' is required but was empty" });
  const appErr = (await exec('get_result', { key: 'missing' })).json.error;
  assert.equal(appErr.type, 'FunctionCallError');
  assert.match(appErr.data, /^the method call returned an error: \[/);
  // The id is echoed with its JSON type.
  assert.equal((await rpc('execute', { contextId: ctx, method: 'len', argsJson: {}, executorPublicKey: member }, 'abc')).json.id, 'abc');
});

test('JSON-RPC envelope errors are HTTP 4xx text', async () => {
  const noCt = await fetch(n.url + '/jsonrpc', { method: 'POST', body: '{}' });
  assert.equal(noCt.status, 415);
  const syntax = await call(n.url, 'POST', '/jsonrpc', '{"jsonrpc":', { 'content-type': 'application/json' });
  assert.equal(syntax.status, 400);
  assert.match(syntax.text, /^Failed to parse the request body as JSON/);
  const version = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '1.0', id: 1, method: 'execute', params: {} });
  assert.equal(version.status, 422);
  const noId = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', method: 'execute', params: {} });
  assert.equal(noId.status, 422);
  const huge = await call(n.url, 'POST', '/jsonrpc', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'execute', params: { pad: 'x'.repeat(3 * 1024 * 1024) } }), { 'content-type': 'application/json' });
  assert.equal(huge.status, 413);
});

test('admin error shapes: bad ids, unknown contexts, malformed bodies', async () => {
  const badPath = await call(n.url, 'GET', '/admin-api/contexts/xyz');
  assert.equal(badPath.status, 400);
  assert.match(badPath.text, /^Invalid URL: /);
  const unknown = await call(n.url, 'GET', `/admin-api/contexts/${encodeId(new Uint8Array(32).fill(7))}`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.json, { error: 'Context not found' });
  const del = await call(n.url, 'DELETE', `/admin-api/contexts/${encodeId(new Uint8Array(32).fill(7))}`);
  assert.deepEqual(del.json, { data: { isDeleted: false } });
  const delBad = await call(n.url, 'DELETE', '/admin-api/contexts/0OIl');
  assert.deepEqual([delBad.status, delBad.json], [400, { error: 'Invalid context id' }]);
  const noProto = await call(n.url, 'POST', '/admin-api/contexts', { protocol: '', applicationId: appId, initializationParams: [] });
  assert.deepEqual([noProto.status, noProto.json], [400, { error: "Field 'protocol' is required but was empty" }]);
  const syntax = await call(n.url, 'POST', '/admin-api/contexts', '{', { 'content-type': 'application/json' });
  assert.equal(syntax.status, 400);
  assert.match(syntax.json.error, /^JSON syntax error: /);
  const missing = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near' });
  assert.equal(missing.status, 400);
  assert.match(missing.json.error, /^Invalid JSON data: /);
  const noApp = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: encodeId(new Uint8Array(32)), initializationParams: [] });
  assert.equal(noApp.status, 404);
  const notWasm = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: '/etc/hostname', metadata: [] });
  assert.equal(notWasm.status, 400);
  assert.match(notWasm.text, /not a WebAssembly module/);
  const noFile = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: '/nope/x.wasm', metadata: [] });
  assert.equal(noFile.status, 404);
  const missingApp = await call(n.url, 'GET', `/admin-api/applications/${encodeId(new Uint8Array(32).fill(5))}`);
  assert.deepEqual(missingApp.json, { data: { application: null } });
});

test('aliases: create, lookup, substitute in JSON-RPC, list, delete', async () => {
  assert.equal((await call(n.url, 'POST', '/admin-api/alias/create/context', { alias: 'main', contextId: ctx })).status, 200);
  const dup = await call(n.url, 'POST', '/admin-api/alias/create/context', { alias: 'main', contextId: ctx });
  assert.equal(dup.status, 409);
  assert.deepEqual((await call(n.url, 'POST', '/admin-api/alias/lookup/context/main')).json, { data: { value: ctx } });
  assert.deepEqual((await call(n.url, 'POST', '/admin-api/alias/lookup/context/none')).json, { data: { value: null } });
  assert.deepEqual((await call(n.url, 'GET', '/admin-api/alias/list/context')).json, { data: { main: ctx } });
  assert.equal((await call(n.url, 'POST', `/admin-api/alias/create/identity/${ctx}`, { alias: 'me', identity: member })).status, 200);
  const sub = await rpc('execute', { contextId: ctx, method: 'set', argsJson: { key: 'owner', value: '{me}' }, executorPublicKey: member, substitute: ['me'] });
  assert.deepEqual(sub.json.result, { output: null });
  assert.equal((await exec('get', { key: 'owner' }, { mode: 'query' })).json.result.output, member);
  const unresolved = await rpc('execute', { contextId: ctx, method: 'get', argsJson: { key: '{ghost}' }, executorPublicKey: member, substitute: ['ghost'] });
  assert.deepEqual(unresolved.json.error, { type: 'AliasResolutionFailed', data: { alias: 'ghost' } });
  await call(n.url, 'POST', '/admin-api/alias/delete/context/main');
  assert.deepEqual((await call(n.url, 'POST', '/admin-api/alias/lookup/context/main')).json, { data: { value: null } });
  const wrongCt = await fetch(n.url + '/admin-api/alias/create/application', { method: 'POST', body: '{}' });
  assert.equal(wrongCt.status, 415);
});

test('blobs: upload, list, download with headers, HEAD, delete', async () => {
  const bytes = Buffer.from('hello blob');
  const up = await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(bytes));
  assert.equal(up.status, 200, up.text);
  const id = up.json.data.blob_id;
  assert.equal(up.json.data.size, bytes.length);
  const list = await call(n.url, 'GET', '/admin-api/blobs');
  assert.ok(list.json.data.blobs.some((b: { blob_id: string }) => b.blob_id === id));
  const dl = await fetch(`${n.url}/admin-api/blobs/${id}`);
  assert.equal(Buffer.from(await dl.arrayBuffer()).toString(), 'hello blob');
  assert.equal(dl.headers.get('x-blob-id'), id);
  assert.equal(dl.headers.get('content-length'), String(bytes.length));
  const head = await fetch(`${n.url}/admin-api/blobs/${id}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('x-blob-id'), id);
  const del = await call(n.url, 'DELETE', `/admin-api/blobs/${id}`);
  assert.deepEqual(del.json, { blob_id: id, deleted: true });
  assert.equal((await fetch(`${n.url}/admin-api/blobs/${id}`)).status, 404);
  assert.equal((await call(n.url, 'PUT', '/admin-api/blobs?hash=zz', new Uint8Array(bytes))).status, 400);
});

test('every call starts from the state of a fresh instance, also in a reused one', async () => {
  const mis = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('misbehaving'), metadata: [] })).json.data.applicationId;
  const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: mis, initializationParams: [] })).json.data;
  const reused = async () => Number(/^merod_runtime_reused_instances_total (\d+)$/m.exec(await (await fetch(`${n.url}/metrics`)).text())?.[1]);
  const before = await reused();
  for (const method of ['count_calls', 'count_calls', 'panic', 'count_calls', 'grow_memory', 'count_calls', 'count_calls']) {
    const r = (await exec(method, {}, { context: c.contextId, as: c.memberPublicKey })).json;
    if (method === 'count_calls') assert.deepEqual(r.result, { output: '1/1' });
  }
  // The misbehaving app can be reset (no passive segments, numeric globals): later calls ran in a reused instance.
  assert.ok((await reused()) - before >= 2);
});

test('guest faults end only their call: panic, timeout, bad output, missing application', async () => {
  const mis = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('misbehaving'), metadata: [] })).json.data.applicationId;
  const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: mis, initializationParams: [] })).json.data;
  const run = (m: string) => exec(m, {}, { context: c.contextId, as: c.memberPublicKey });
  const panic = (await run('panic')).json.error;
  assert.equal(panic.type, 'FunctionCallError');
  assert.match(panic.data, /deliberate panic/);
  assert.deepEqual((await run('ok')).json.result, { output: 'fine' });
  const serde = (await run('not_json')).json.error;
  assert.equal(serde.type, 'SerdeError');
  assert.match(serde.data.message, /invalid JSON/);
  // Each value is allowed, but 9 MiB in one call makes a sync entry peers could never fetch: refused, nothing kept.
  const size = async () => (await call(n.url, 'GET', `/admin-api/contexts/${c.contextId}/storage`)).json.data.sizeInBytes;
  const before = await size();
  assert.equal(typeof before, 'number');
  const big = (await run('big_writes')).json.error;
  assert.equal(big.type, 'FunctionCallError');
  assert.match(big.data, /-byte sync entry; members exchange entries of at most \d+ bytes/);
  assert.equal(await size(), before);
  // The kv-store context next to it is untouched by all of this.
  assert.deepEqual((await exec('get', { key: 'a' }, { mode: 'query' })).json.result, { output: '1' });
  await call(n.url, 'DELETE', `/admin-api/applications/${mis}`);
  assert.deepEqual((await run('ok')).json.error, { type: 'ApplicationNotInstalled', data: { application_id: mis } });
});

test('state survives a node restart; deleting the context removes it', async () => {
  await n.restart();
  const get = await exec('get', { key: 'k42' }, { mode: 'query' });
  assert.deepEqual(get.json.result, { output: 'v42' });
  const del = await call(n.url, 'DELETE', `/admin-api/contexts/${ctx}`);
  assert.deepEqual(del.json, { data: { isDeleted: true } });
  assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${ctx}`)).status, 404);
  assert.deepEqual((await exec('get', { key: 'a' })).json.error, { type: 'ContextNotFound' });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
