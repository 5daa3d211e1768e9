/**
 * The documented limits (docs/reliability.md): each one is hit on purpose with small values in config.toml,
 * and the node's answer is checked (status, shape, message), then that the node keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';

let n: InProcNode;
before(async () => {
  n = await startInProcNode({}, {
    config: [
      'server.limits.body_limit_bytes=4096',
      'server.limits.blob_limit_bytes=8192',
      'server.limits.max_applications=2',
      'server.limits.max_contexts=3',
      'server.limits.max_ws_connections=2',
      'server.limits.max_sse_sessions=2',
      'server.limits.max_subscriptions_per_client=2',
    ],
  });
});
after(() => n?.stop());

const CTX = (i: number) => '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLK' + 'ijk'[i];

test('body_limit_bytes: 413 text on plain-JSON routes, upstream ValidatedJson 400 on admin routes', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'query', params: { pad: 'x'.repeat(5000) } });
  const rpc = await call(n.url, 'POST', '/jsonrpc', big);
  assert.equal(rpc.status, 413);
  assert.match(rpc.headers.get('content-type') ?? '', /text\/plain/);
  assert.equal(rpc.text, 'Failed to buffer the request body: length limit exceeded');
  const admin = await call(n.url, 'POST', '/admin-api/contexts', JSON.stringify({ protocol: 'x'.repeat(5000) }));
  assert.equal(admin.status, 400);
  assert.deepEqual(admin.json, { error: 'Failed to read request body: length limit exceeded' });
  const blob = await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(9000));
  assert.equal(blob.status, 413);
  assert.match(blob.json.error, /Failed to store blob/);
  assert.equal((await call(n.url, 'PUT', '/admin-api/blobs', new Uint8Array(8000))).status, 200);
});

test('max_applications: 429 {"error":"… limit …"} past the cap; room again after an uninstall', async () => {
  const install = (m: number) => call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [m] });
  const a = await install(1);
  const b = await install(2);
  assert.equal(a.status, 200, a.text);
  assert.equal(b.status, 200, b.text);
  const c = await install(3);
  assert.equal(c.status, 429);
  assert.match(c.headers.get('content-type') ?? '', /application\/json/);
  assert.match(c.json.error, /application limit reached: this node keeps at most 2 \(config \[server\.limits\] max_applications\)/);
  // The seed's alias of the install route shares the limit.
  assert.equal((await call(n.url, 'POST', '/admin-api/install-application', { url: `file://${appPath('kv-store')}`, metadata: [4] })).status, 429);
  assert.equal((await call(n.url, 'DELETE', `/admin-api/applications/${b.json.data.applicationId}`)).status, 200);
  assert.equal((await install(5)).status, 200);
});

test('max_contexts: 429 past the cap, concurrent creations never overshoot it', async () => {
  const apps = (await call(n.url, 'GET', '/admin-api/applications')).json.data.apps as Array<{ id: string }>;
  const create = () => call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: apps[0]!.id, initializationParams: [] });
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await create();
    assert.equal(r.status, 200, r.text);
    made.push(r.json.data.contextId);
  }
  const refused = await create();
  assert.equal(refused.status, 429);
  assert.match(refused.json.error, /context limit reached: this node keeps at most 3 \(config \[server\.limits\] max_contexts\)/);
  assert.equal((await call(n.url, 'POST', '/admin-api/dev/contexts', { protocol: 'near', applicationId: apps[0]!.id, initializationParams: [] })).status, 429);
  // Free one slot, then race 6 creations for it: exactly one wins.
  assert.equal((await call(n.url, 'DELETE', `/admin-api/contexts/${made[0]}`)).status, 200);
  const race = await Promise.all(Array.from({ length: 6 }, create));
  assert.deepEqual(race.map((r) => r.status).sort(), [200, 429, 429, 429, 429, 429]);
  assert.equal((await call(n.url, 'GET', '/admin-api/contexts')).json.data.contexts.length, 3);
});

function openWs(): Promise<{ ws?: WebSocket; status: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(n.url.replace('http', 'ws') + '/ws');
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function nextFrame(ws: WebSocket): Promise<any> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
}

test('max_ws_connections and max_subscriptions_per_client over WebSocket', async () => {
  const a = await openWs();
  const b = await openWs();
  assert.equal(a.status, 101);
  assert.equal(b.status, 101);
  const c = await openWs();
  assert.equal(c.status, 429);
  assert.equal(c.body, 'too many WebSocket connections (limit 2)');
  a.ws!.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [CTX(0), CTX(1), CTX(2)] } }));
  const frame = await nextFrame(a.ws!);
  assert.deepEqual(frame, { id: 1, error: { type: 'ParseError', data: 'subscription limit reached: at most 2 contexts per connection' } });
  a.ws!.send(JSON.stringify({ id: 2, method: 'subscribe', params: { contextIds: [CTX(0), CTX(1)] } }));
  assert.deepEqual(await nextFrame(a.ws!), { id: 2, result: { contextIds: [CTX(0), CTX(1)] } });
  a.ws!.close();
  b.ws!.close();
  await new Promise((r) => setTimeout(r, 100));
  const d = await openWs();
  assert.equal(d.status, 101, 'a slot frees when a connection closes');
  d.ws!.close();
});

test('max_sse_sessions and max_subscriptions_per_client over SSE', async () => {
  const streams: AbortController[] = [];
  const open = async () => {
    const ac = new AbortController();
    const r = await fetch(n.url + '/sse', { signal: ac.signal });
    streams.push(ac);
    return r;
  };
  const first = await open();
  assert.equal(first.status, 200);
  assert.equal((await open()).status, 200);
  const third = await open();
  assert.equal(third.status, 429);
  assert.equal(await third.text(), 'too many SSE sessions (limit 2)');
  const sid = first.headers.get('x-sse-session-id')!;
  const sub = (ids: string[]) => call(n.url, 'POST', '/sse/subscription', { id: sid, method: 'subscribe', params: { contextIds: ids } });
  const over = await sub([CTX(0), CTX(1), CTX(2)]);
  assert.equal(over.status, 429);
  assert.deepEqual(over.json, { error: 'subscription limit reached: at most 2 contexts per session' });
  assert.equal((await sub([CTX(0), CTX(1)])).status, 200);
  for (const ac of streams) ac.abort();
});

test('the node still serves after every limit was hit', async () => {
  assert.deepEqual((await call(n.url, 'GET', '/admin-api/health')).json, { data: { status: 'alive' } });
});
