import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { base58 } from '@scure/base';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { MeroClient, NodeMeroClient, ApiError, RpcError, ResponseError, hashBytes, jsonBytes, bytesToJson, parseSse, type NodeEvent, type SseMessage } from '../src/client/node.ts';
import { subscribeSse, subscribeWs } from '../src/client/events.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

// The typed client (src/client) against a real in-process node: every admin route, JSON-RPC, WS and SSE
// subscriptions, error shapes, tokens. Execution tests use the kv-store app (npm run build:apps).

const tmp = mkdtempSync(join(tmpdir(), 'client-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A tiny valid WASM module; `tag` makes the bytes (and so the application id) differ. */
async function tinyWasm(tag = 0): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const wat = tag ? `(module (func (export "f${tag}")))` : '(module)';
  return new Uint8Array(wabt.parseWat('m.wat', wat).toBinary({}).buffer);
}

function writeTmp(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

/** Serves fixed files over HTTP (for URL installs). */
async function fileServer(files: Record<string, Uint8Array>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const isApiError = (status: number, body?: unknown) => (e: unknown) => {
  assert.ok(e instanceof ApiError, `expected ApiError, got ${e}`);
  assert.equal(e.status, status, e.message);
  if (body !== undefined) assert.deepEqual(e.body, body);
  return true;
};
const isRpcError = (type: string) => (e: unknown) => {
  assert.ok(e instanceof RpcError, `expected RpcError, got ${e}`);
  assert.equal(e.type, type, e.message);
  return true;
};

const MISSING = base58.encode(new Uint8Array(32).fill(7));

describe('client against a node (proxy mode)', () => {
  let n: InProcNode;
  let c: NodeMeroClient;

  before(async () => {
    // URL installs come from a loopback file server: allow non-public install URLs (refused by default).
    n = await startInProcNode({}, { config: ['server.admin.allow_private_install_urls=true'] });
    c = new NodeMeroClient({ url: n.url + '/' });
  });
  after(() => n?.stop());

  test('node: health, isAuthed, certificate, peers, node-info', async () => {
    assert.deepEqual(await c.health(), { status: 'alive' });
    assert.equal(await c.isAuthed(), true);
    assert.match(await c.certificate(), /^-----BEGIN CERTIFICATE-----/);
    assert.equal(typeof (await c.peers()), 'number');
    const info = await c.nodeInfo();
    assert.equal(info.authMode, 'proxy');
    assert.ok(info.listen.length > 0);
  });

  test('applications: install-dev, get, list, uninstall (any valid WASM, no execution)', async () => {
    const bytes = await tinyWasm(1);
    const path = writeTmp('tiny1.wasm', bytes);
    const id = await c.installDevApplication({ path, metadata: { name: 'tiny' } });
    const app = await c.getApplication(id);
    assert.ok(app);
    assert.equal(app.id, id);
    assert.equal(app.size, bytes.length);
    assert.equal(app.source, `file://${path}`);
    assert.deepEqual(bytesToJson(app.metadata), { name: 'tiny' });
    assert.ok((await c.listApplications()).some((a) => a.id === id));
    assert.deepEqual(await c.contextsForApplication(id), []);
    assert.deepEqual(await c.contextsWithExecutors(id), []);
    // Same bytes, same path, same metadata → same id; other metadata → another id.
    assert.equal(await c.installDevApplication({ path, metadata: { name: 'tiny' } }), id);
    const other = await c.installDevApplication({ path, metadata: [1, 2, 3] });
    assert.notEqual(other, id);
    assert.deepEqual((await c.getApplication(other))?.metadata, [1, 2, 3]);

    assert.equal(await c.uninstallApplication(id), id);
    assert.equal(await c.getApplication(id), null);
    // Uninstalling an unknown application answers 200 (upstream).
    assert.equal(await c.uninstallApplication(id), id);
    await c.uninstallApplication(other);

    // A missing file is an error in the node's words; a malformed id is 400 text.
    await assert.rejects(c.installDevApplication({ path: join(tmp, 'nope.wasm') }), (e: unknown) => e instanceof ApiError && e.status >= 400);
    await assert.rejects(c.getApplication('bad'), (e: unknown) => isApiError(400)(e) && typeof (e as ApiError).body === 'string');
  });

  test('applications: install from a URL with the file hash; a wrong hash fails', async () => {
    const bytes = await tinyWasm(2);
    const files = await fileServer({ '/app.wasm': bytes });
    try {
      const hash = await hashBytes(bytes);
      assert.equal(hash, base58.encode(createHash('sha256').update(bytes).digest()));
      const id = await c.installApplication({ url: `${files.url}/app.wasm`, hash, metadata: {} });
      assert.equal((await c.getApplication(id))?.source, `${files.url}/app.wasm`);
      assert.equal((await c.getApplication(id))?.size, bytes.length);
      await assert.rejects(
        c.installApplication({ url: `${files.url}/app.wasm`, hash: MISSING }),
        (e: unknown) => e instanceof ApiError && e.status >= 400 && /hash/i.test(e.message),
      );
      // The seed's /admin-api/dev/install-application and /dev/applications.
      assert.equal(await c.dev.installApplication({ url: `${files.url}/app.wasm`, metadata: {} }), id);
      assert.ok((await c.dev.listApplications()).some((a) => a.id === id));
      await c.uninstallApplication(id);
    } finally {
      await files.close();
    }
  });

  test('blobs: upload bytes and streams, list, download, HEAD, delete, error shapes', async () => {
    const small = new TextEncoder().encode('bytes!');
    const b = await c.uploadBlob(small, { hash: await hashBytes(small) });
    assert.equal(b.size, 6);
    assert.equal(new TextDecoder().decode(await c.downloadBlob(b.blob_id)), 'bytes!');
    const head = await c.blobInfo(b.blob_id);
    assert.equal(head?.size, 6);
    assert.equal(head?.blobId, b.blob_id);
    assert.equal(head?.hash, createHash('sha256').update(small).digest('hex'));
    assert.equal(head?.etag, `"${head?.hash}"`);
    assert.ok((await c.listBlobs()).some((x) => x.blob_id === b.blob_id));

    // 3 MiB streamed from a Node stream (several 1 MiB chunks on the node side), and from a web stream.
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff);
    const chunks = Array.from({ length: 13 }, (_, i) => big.subarray(i * 250_000, Math.min(big.length, (i + 1) * 250_000)));
    const streamed = await c.uploadBlob(Readable.from(chunks.filter((x) => x.length)));
    assert.equal(streamed.size, big.length);
    const web = await c.uploadBlob(new Blob([big]).stream());
    assert.equal(web.blob_id, streamed.blob_id);
    const opened = await c.openBlob(streamed.blob_id);
    assert.equal(opened.size, big.length);
    assert.deepEqual(new Uint8Array(await new Response(opened.body).arrayBuffer()), big);

    // Errors: a wrong hash, malformed ids, a missing blob.
    await assert.rejects(c.uploadBlob(small, { hash: MISSING }), isApiError(400));
    await assert.rejects(c.uploadBlob(small, { hash: 'not-base58!' }), isApiError(400, { error: 'The provided hash is not a valid format' }));
    await assert.rejects(c.downloadBlob('bad'), isApiError(400, { error: 'Invalid blob ID format' }));
    await assert.rejects(c.downloadBlob(MISSING), isApiError(404));

    assert.equal(await c.deleteBlob(b.blob_id), true);
    assert.equal(await c.blobInfo(b.blob_id), null);
    // Upstream answers 500 here; this node 404 (same message).
    await assert.rejects(c.deleteBlob(b.blob_id), (e: unknown) => e instanceof ApiError && e.errorText === 'Failed to delete blob: Blob not found');
    await c.deleteBlob(streamed.blob_id);
  });

  test('errors: ApiError for JSON, text and empty bodies; ResponseError for unexpected shapes', async () => {
    await assert.rejects(c.getContext(MISSING), isApiError(404, { error: 'Context not found' }));
    // method, path and the server's own words, for showing to a user.
    await assert.rejects(c.getContext(MISSING), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.deepEqual([e.method, e.path, e.status, e.serverMessage], ['GET', `/admin-api/contexts/${MISSING}`, 404, 'Context not found']);
      return true;
    });
    await assert.rejects(c.request('GET', '/admin-api/no-such-route'), (e: unknown) => e instanceof ApiError && e.serverMessage.length > 0);
    assert.equal(new ApiError(401, '', 'GET', '/x').serverMessage, 'Unauthorized');
    assert.equal(new ApiError(400, { error: { type: 'ParseError', data: 'bad' } }).serverMessage, 'ParseError: bad');
    assert.equal(new ApiError(401, { data: null, error: 'Invalid token' }).serverMessage, 'Invalid token');
    assert.equal(new ApiError(500, 'plain text').serverMessage, 'plain text');
    await assert.rejects(c.getContext('bad'), (e: unknown) => isApiError(400)(e) && /^Invalid URL/.test(String((e as ApiError).body)));
    assert.equal(await c.deleteContext(MISSING), false);
    await assert.rejects(c.identities(MISSING), isApiError(404, { error: 'Context not found' }));
    await assert.rejects(c.createContext({ applicationId: 'bad' }), (e: unknown) => isApiError(400)(e) && typeof (e as ApiError).errorText === 'string');
    await assert.rejects(c.createContext({ applicationId: MISSING, protocol: '' }), isApiError(400));
    await assert.rejects(c.request('GET', '/admin-api/no-such-route'), isApiError(404));
    await assert.rejects(c.request('POST', '/jsonrpc', 'not json'), (e: unknown) => e instanceof ApiError && e.status >= 400 && e.status < 500);

    // A node answering something else than the wire schema.
    const liar = new MeroClient({ url: n.url, fetch: async () => new Response('{"data":{"apps":"no"}}', { status: 200 }) });
    await assert.rejects(liar.listApplications(), (e: unknown) => {
      assert.ok(e instanceof ResponseError);
      assert.ok((e.body as { data: unknown }).data !== undefined);
      assert.deepEqual([e.method, e.path], ['GET', '/admin-api/applications']);
      assert.match(e.message, /^unexpected answer to GET \/admin-api\/applications at data\.apps: /);
      return true;
    });
  });

  test('token: sent as a bearer header, function tokens are called per request', async () => {
    const seen: Array<string | null> = [];
    let calls = 0;
    const spy = new MeroClient({
      url: n.url,
      token: async () => `t${++calls}`,
      fetch: (input, init) => {
        seen.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
    });
    await spy.health();
    await spy.listApplications();
    assert.deepEqual(seen, ['Bearer t1', 'Bearer t2']);
    const seen2: Array<string | null> = [];
    const none = new MeroClient({
      url: n.url,
      token: () => undefined,
      fetch: (input, init) => {
        seen2.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
    });
    await none.health();
    assert.deepEqual(seen2, [null]);
  });

  test('the seed wallet routes: did, delete all wallet keys', async () => {
    const did = await c.did();
    assert.equal(did.id, 'did:cali');
    assert.deepEqual([did.root_keys, did.client_keys], [[], []]);
    await c.deleteWalletKeys();
  });

  test('install from the node\'s own blob URL (upload, then install-application with blobUrl and hash)', async () => {
    const bytes = await tinyWasm(5);
    const blob = await c.uploadBlob(bytes);
    assert.equal(c.blobUrl(blob.blob_id), `${n.url}/admin-api/blobs/${blob.blob_id}`);
    const id = await c.installApplication({ url: c.blobUrl(blob.blob_id), hash: await hashBytes(bytes), metadata: { name: 'up' } });
    const app = await c.getApplication(id);
    assert.equal(app?.source, c.blobUrl(blob.blob_id));
    assert.equal(app?.blob.bytecode, blob.blob_id);
    await c.uninstallApplication(id);
  });

  test('urlOf: /sse, /auth and /admin under rootUrl, the rest under url', () => {
    const p = new MeroClient({ url: 'http://h:1/node1/', rootUrl: 'http://h:1/' });
    assert.equal(p.urlOf('/admin-api/health'), 'http://h:1/node1/admin-api/health');
    assert.equal(p.urlOf('/jsonrpc'), 'http://h:1/node1/jsonrpc');
    assert.equal(p.urlOf('/sse'), 'http://h:1/sse');
    assert.equal(p.urlOf('/sse/subscription'), 'http://h:1/sse/subscription');
    assert.equal(p.urlOf('/auth/refresh'), 'http://h:1/auth/refresh');
    assert.equal(p.urlOf('/admin/keys'), 'http://h:1/admin/keys');
    assert.equal(p.urlOf('/admin-api/blobs/x'), 'http://h:1/node1/admin-api/blobs/x');
    assert.equal(new MeroClient({ url: 'http://h:1/' }).urlOf('/sse'), 'http://h:1/sse');
  });

  test('aliases (applications) and generated identities', async () => {
    const id = await c.installDevApplication({ path: writeTmp('tiny3.wasm', await tinyWasm(3)) });
    await c.createAlias('application', 'tiny', id);
    assert.equal(await c.lookupAlias('application', 'tiny'), id);
    assert.deepEqual(await c.listAliases('application'), { tiny: id });
    await assert.rejects(c.createAlias('application', 'tiny', id), (e: unknown) => e instanceof ApiError && /already exists/.test(String(e.body)));
    await c.deleteAlias('application', 'tiny');
    await c.deleteAlias('application', 'tiny'); // missing: still fine
    assert.equal(await c.lookupAlias('application', 'tiny'), null);
    await assert.rejects(c.lookupAlias('identity', 'x'), /identity aliases need a context id/);
    const pk = await c.generateContextIdentity();
    assert.equal(base58.decode(pk).length, 32);
    await c.uninstallApplication(id);
  });

  test('the REST client bundles for browsers (no Node built-ins)', async () => {
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: ['src/client/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0]!.text;
    assert.doesNotMatch(code, /from\s*["']node:|require\(["'](ws|node:)|\bBuffer\./);
    assert.match(code, /MeroClient = class/);
  });

  describe('with the kv-store app (execution)', () => {
    let appId: string;
    let contextId: string;
    let member: string;

    before(async () => {
      appId = await c.installDevApplication({ path: appPath('kv-store'), metadata: { name: 'kv' } });
      ({ contextId, memberPublicKey: member } = await c.createContext({ applicationId: appId, initializationParams: {} }));
    });

    test('contexts: get, list, identities, storage, for-application, users, dev routes', async () => {
      const ctx = await c.getContext(contextId);
      assert.equal(ctx.id, contextId);
      assert.equal(ctx.applicationId, appId);
      assert.ok((await c.listContexts()).some((x) => x.id === contextId));
      assert.deepEqual(await c.identities(contextId), [member]);
      assert.deepEqual(await c.identitiesOwned(contextId), [member]);
      assert.equal(typeof (await c.contextStorage(contextId)), 'number');
      assert.deepEqual((await c.contextsForApplication(appId)).map((x) => x.id), [contextId]);
      assert.deepEqual(await c.contextsWithExecutors(appId), [{ id: contextId, application_id: appId, root_hash: ctx.rootHash, executors: [member] }]);
      assert.deepEqual((await c.contextUsers(contextId)).map((u) => u.userId), [member]);
      assert.ok((await c.dev.listContexts()).some((x) => x.id === contextId));
      const viaDev = await c.dev.createContext({ applicationId: appId });
      assert.equal(await c.deleteContext(viaDev.contextId), true);
    });

    test('JSON-RPC: execute, query, mutate, substitute; RpcError types', async () => {
      assert.equal(await c.execute(contextId, 'set', { key: 'a', value: '1' }, member), null);
      assert.equal(await c.mutate(contextId, 'set', { key: 'b', value: '2' }, member), null);
      assert.equal(await c.query(contextId, 'get', { key: 'a' }, member), '1');
      assert.deepEqual(await c.query(contextId, 'entries', {}, member), { a: '1', b: '2' });
      assert.equal(await c.query<number>(contextId, 'len', undefined, member), 2);
      // {alias} in the args becomes the aliased member key.
      await c.createAlias('identity', 'me', member, contextId);
      assert.deepEqual(await c.listAliases('identity', contextId), { me: member });
      await c.execute(contextId, 'set', { key: 'owner', value: '{me}' }, member, { substitute: ['me'] });
      assert.equal(await c.query(contextId, 'get', { key: 'owner' }, member), member);
      assert.equal(await c.execute(contextId, 'remove', { key: 'owner' }, member), member);

      await assert.rejects(c.execute(contextId, 'nope', {}, member), isRpcError('FunctionCallError'));
      await assert.rejects(c.execute(MISSING, 'get', { key: 'a' }, member), isRpcError('ContextNotFound'));
      const stranger = await c.generateContextIdentity();
      await assert.rejects(c.execute(contextId, 'get', { key: 'a' }, stranger), (e: unknown) => {
        isRpcError('Unauthorized')(e);
        assert.deepEqual((e as RpcError).data, { context_id: contextId, public_key: stranger });
        return true;
      });
      await assert.rejects(c.execute(contextId, '', {}, member), isRpcError('ParseError'));
      await assert.rejects(c.execute(contextId, 'set', { key: 'x', value: '{ghost}' }, member, { substitute: ['ghost'] }), isRpcError('AliasResolutionFailed'));
    });

    test('update a context to another application', async () => {
      const other = await c.installDevApplication({ path: appPath('kv-store'), metadata: { name: 'kv', v: 2 } });
      const created = await c.createContext({ applicationId: appId });
      await c.updateContextApplication(created.contextId, { applicationId: other, executorPublicKey: created.memberPublicKey });
      assert.equal((await c.getContext(created.contextId)).applicationId, other);
      await c.deleteContext(created.contextId);
    });

    test('WebSocket: events, unsubscribe, resubscribe, close; the free function too', async () => {
      const events: NodeEvent[] = [];
      const ws = await c.subscribeWs([contextId], (e) => events.push(e));
      assert.deepEqual([...ws.contextIds], [contextId]);
      await c.execute(contextId, 'set', { key: 'w', value: '1' }, member);
      await until(() => events.length === 1);
      assert.equal(events[0]!.contextId, contextId);
      assert.equal(events[0]!.type, 'StateMutation');
      assert.equal(events[0]!.data.events[0]!.kind, 'Inserted');
      assert.deepEqual(bytesToJson(events[0]!.data.events[0]!.data), { key: 'w', value: '1' });

      assert.deepEqual(await ws.unsubscribe(), [contextId]);
      await c.execute(contextId, 'set', { key: 'w', value: '2' }, member);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(events.length, 1);
      await ws.subscribe([contextId]);
      await c.execute(contextId, 'set', { key: 'w', value: '3' }, member);
      await until(() => events.length === 2);
      await assert.rejects(ws.subscribe(['bad']), isRpcError('ParseError'));
      ws.close();
      assert.equal((await ws.closed).code, 1000);
      await assert.rejects(ws.subscribe([contextId]), /closed/);

      const more: NodeEvent[] = [];
      const free = await subscribeWs(new MeroClient({ url: n.url }), [contextId], (e) => more.push(e));
      await c.execute(contextId, 'set', { key: 'w', value: '4' }, member);
      await until(() => more.length === 1);
      free.close();
    });

    test('SSE: events with ids, unsubscribe, resume with lastEventId replays missed events', async () => {
      const events: Array<{ e: NodeEvent; id: string }> = [];
      const sse = await c.subscribeSse([contextId], (e, m) => events.push({ e, id: m.id }), { reconnect: false });
      assert.match(sse.sessionId, /^\d+$/);
      const info = await c.sseSession(sse.sessionId);
      assert.deepEqual(info.subscriptions, [contextId]);
      assert.equal(info.status, 'active');
      await c.execute(contextId, 'set', { key: 's', value: '1' }, member);
      await until(() => events.length === 1);
      assert.ok(events[0]!.id.startsWith(`${sse.sessionId}-`));
      assert.equal(sse.lastEventId, events[0]!.id);
      assert.deepEqual(bytesToJson(events[0]!.e.data.events[0]!.data), { key: 's', value: '1' });

      // Missed while disconnected → replayed on resume.
      const last = sse.lastEventId!;
      sse.close();
      await sse.closed;
      await c.execute(contextId, 'set', { key: 's', value: '2' }, member);
      await new Promise((r) => setTimeout(r, 100));
      const resumed: Array<{ e: NodeEvent; id: string }> = [];
      const again = await c.subscribeSse([contextId], (e, m) => resumed.push({ e, id: m.id }), { lastEventId: last, reconnect: false });
      assert.equal(again.sessionId, sse.sessionId);
      await until(() => resumed.length === 1);
      assert.deepEqual(bytesToJson(resumed[0]!.e.data.events[0]!.data), { key: 's', value: '2' });

      assert.deepEqual(await again.unsubscribe(), [contextId]);
      await c.execute(contextId, 'set', { key: 's', value: '3' }, member);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(resumed.length, 1);
      again.close();

      const viaFree: NodeEvent[] = [];
      const free = await subscribeSse(c, [contextId], (e) => viaFree.push(e));
      await c.execute(contextId, 'set', { key: 's', value: '4' }, member);
      await until(() => viaFree.length === 1);
      free.close();
    });

    test('SSE reconnects by itself across a node restart', async () => {
      const events: NodeEvent[] = [];
      const errors: Error[] = [];
      let reconnects = 0;
      const sse = await c.subscribeSse([contextId], (e) => events.push(e), {
        retryMs: 100,
        onError: (e) => errors.push(e),
        onReconnect: () => reconnects++,
      });
      await n.restart();
      await until(() => reconnects === 1, 15_000);
      await c.execute(contextId, 'set', { key: 'r', value: '1' }, member);
      await until(() => events.length === 1);
      assert.ok(errors.length >= 1);
      sse.close();
    });
  });
});

describe('client against a node with embedded auth', () => {
  let n: InProcNode;
  let token: string;

  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
    const r = await call(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'client-test'));
    assert.equal(r.status, 200, r.text);
    token = r.json.data.access_token;
  });
  after(() => n?.stop());

  test('no token: 401 with an empty body; isAuthed false; WS and SSE refused', async () => {
    const anon = new NodeMeroClient({ url: n.url });
    assert.deepEqual(await anon.health(), { status: 'alive' });
    assert.equal(await anon.isAuthed(), false);
    await assert.rejects(anon.listApplications(), isApiError(401, ''));
    await assert.rejects(anon.subscribeWs([MISSING], () => undefined), isApiError(401));
    await assert.rejects(anon.subscribeSse([MISSING], () => undefined), isApiError(401));
  });

  test('with a token: REST, JSON-RPC, WS and SSE work', async () => {
    const authed = new NodeMeroClient({ url: n.url, token: async () => token });
    assert.equal(await authed.isAuthed(), true);
    const appId = await authed.installDevApplication({ path: appPath('kv-store') });
    const { contextId, memberPublicKey } = await authed.createContext({ applicationId: appId });
    const ws: NodeEvent[] = [];
    const sse: NodeEvent[] = [];
    const w = await authed.subscribeWs([contextId], (e) => ws.push(e));
    const s = await authed.subscribeSse([contextId], (e) => sse.push(e));
    await authed.execute(contextId, 'set', { key: 'k', value: 'v' }, memberPublicKey);
    await until(() => ws.length === 1 && sse.length === 1);
    assert.deepEqual(ws[0], sse[0]);
    w.close();
    s.close();
  });

  test('SSE with tokenInQuery: false sends the token only as a header', async () => {
    const urls: string[] = [];
    const auths: Array<string | null> = [];
    const spy = new NodeMeroClient({
      url: n.url,
      token: token,
      fetch: (input, init) => {
        urls.push(String(input));
        auths.push(new Headers(init?.headers).get('authorization'));
        return fetch(input, init);
      },
    });
    const s = await spy.subscribeSse([], () => undefined, { tokenInQuery: false, reconnect: false });
    s.close();
    assert.equal(urls[0], `${n.url}/sse`);
    assert.equal(auths[0], `Bearer ${token}`);
  });

  test('onUnauthorized: refresh the token on a 401 and retry once', async () => {
    const keyId = (await new NodeMeroClient({ url: n.url, token }).listRootKeys())[0]!.key_id;
    // A pair whose access token lives one second (mero-auth refreshes only expired access tokens).
    const issued = await n.running.node.auth!.core.tokens.issuePair(keyId, ['admin'], null, { access: 1 });
    let pair = { accessToken: issued.accessToken, refreshToken: issued.refreshToken };
    await new Promise((r) => setTimeout(r, 1100));
    const seen: boolean[] = [];
    const c = new NodeMeroClient({
      url: n.url,
      token: () => pair.accessToken,
      async onUnauthorized({ method, path, retried }) {
        seen.push(retried);
        assert.deepEqual([method, path], ['GET', '/admin-api/applications']);
        if (retried) return false;
        pair = await c.refreshToken(pair);
        return true;
      },
    });
    assert.ok(Array.isArray(await c.listApplications()));
    assert.deepEqual(seen, [false]);
    assert.notEqual(pair.accessToken, issued.accessToken);
    // The old refresh token is single use.
    await assert.rejects(c.refreshToken({ accessToken: issued.accessToken, refreshToken: issued.refreshToken }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 401);
      assert.deepEqual([e.method, e.path], ['POST', '/auth/refresh']);
      assert.match(e.serverMessage, /Invalid (access|refresh) token/);
      return true;
    });

    // A retry that is refused again: called a second time with retried=true, then the 401 is thrown.
    const calls: boolean[] = [];
    const stuck = new NodeMeroClient({ url: n.url, token: 'not-a-token', onUnauthorized: ({ retried }) => (calls.push(retried), true) });
    await assert.rejects(stuck.listContexts(), isApiError(401, ''));
    assert.deepEqual(calls, [false, true]);
    // A streamed upload cannot be sent twice: no retry.
    calls.length = 0;
    await assert.rejects(stuck.uploadBlob(Readable.from([Buffer.from('x')])), isApiError(401));
    assert.deepEqual(calls, [false]);
    // Bytes can: retried.
    calls.length = 0;
    await assert.rejects(stuck.uploadBlob(new Uint8Array([1])), isApiError(401));
    assert.deepEqual(calls, [false, true]);
  });

  test('mero-auth keys: root keys, client keys, revoke, the last root key is kept', async () => {
    const c = new NodeMeroClient({ url: n.url, token });
    const roots = await c.listRootKeys();
    assert.equal(roots.length, 1);
    assert.equal(roots[0]!.public_key, 'admin');
    assert.equal(roots[0]!.revoked_at, null);
    await assert.rejects(c.deleteRootKey(roots[0]!.key_id), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.serverMessage, 'Cannot delete the last active root key');
      assert.deepEqual([e.method, e.path], ['DELETE', `/admin/keys/${roots[0]!.key_id}`]);
      return true;
    });
    const before = await c.listClientKeys();
    const made = await call(n.url, 'POST', '/admin/client-key', { permissions: [] }, { authorization: `Bearer ${token}` });
    assert.equal(made.status, 200, made.text);
    const clients = await c.listClientKeys();
    assert.equal(clients.length, before.length + 1);
    const fresh = clients.find((k) => !before.some((b) => b.client_id === k.client_id))!;
    assert.equal(fresh.root_key_id, roots[0]!.key_id);
    await c.revokeClientKey(fresh.root_key_id, fresh.client_id);
    assert.ok((await c.listClientKeys()).find((k) => k.client_id === fresh.client_id)?.revoked_at);
    await assert.rejects(c.revokeClientKey(roots[0]!.key_id, 'nope'), (e: unknown) => isApiError(404)(e) && (e as ApiError).serverMessage === 'Client key not found');
  });

  test('install from the node\'s own blob URL works with auth (the node reads its blob store)', async () => {
    const c = new NodeMeroClient({ url: n.url, token });
    const bytes = await tinyWasm(6);
    const blob = await c.uploadBlob(bytes);
    const id = await c.installApplication({ url: c.blobUrl(blob.blob_id), hash: await hashBytes(bytes) });
    assert.equal((await c.getApplication(id))?.source, c.blobUrl(blob.blob_id));
  });
});

test('jsonBytes: bytes as given, other values as JSON text', () => {
  assert.deepEqual(jsonBytes(undefined), []);
  assert.deepEqual(jsonBytes([1, 2, 255]), [1, 2, 255]);
  assert.deepEqual(jsonBytes(new Uint8Array([9])), [9]);
  assert.deepEqual(jsonBytes({}), [123, 125]);
  assert.deepEqual(jsonBytes('hi'), [34, 104, 105, 34]);
  assert.deepEqual(jsonBytes([1, 300]), [...new TextEncoder().encode('[1,300]')]);
  assert.deepEqual(bytesToJson([123, 125]), {});
  assert.equal(bytesToJson([0xff]), undefined);
});

describe('parseSse (fetch streaming; Node and browsers)', () => {
  const read = async (chunks: Array<string | Uint8Array>): Promise<SseMessage[]> => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (const x of chunks) ctl.enqueue(typeof x === 'string' ? enc.encode(x) : x);
        ctl.close();
      },
    });
    const out: SseMessage[] = [];
    for await (const m of parseSse(body)) out.push(m);
    return out;
  };

  test('upstream framing: event:message, id, retry, data without a space; keep-alive comments', async () => {
    const msgs = await read([
      'event:message\nid:42-0\nretry:3000\ndata:{"type":"connect","session_id":"42","reconnect":false}\n\n',
      ':\n\n',
      'event:message\nid:42-1\ndata:{"result":{}}\n\n',
    ]);
    assert.deepEqual(msgs, [
      { event: 'message', id: '42-0', retry: '3000', data: '{"type":"connect","session_id":"42","reconnect":false}' },
      { data: '', comment: true },
      { event: 'message', id: '42-1', data: '{"result":{}}' },
    ]);
  });

  test('CRLF and CR line ends, chunks split anywhere (also inside CRLF and UTF-8), multi-line data', async () => {
    const text = 'data: a\r\ndata:  b\r\n\r\nid: 7\rdata:é€\r\rdata:last\n\n';
    const expected = [{ data: 'a\n b' }, { id: '7', data: 'é€' }, { data: 'last' }];
    assert.deepEqual(await read([text]), expected);
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(await read([bytes.slice(0, cut), bytes.slice(cut)]), expected, `split at byte ${cut}`);
    }
    // A CR as the very last byte still ends the line.
    assert.deepEqual(await read(['data:x\r', '\r']), [{ data: 'x' }]);
  });

  test('an unfinished message at the end of the stream is dropped', async () => {
    assert.deepEqual(await read(['data:complete\n\ndata:half']), [{ data: 'complete' }]);
  });
});
