import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { encodeId } from '../src/util/ids.ts';

// Upstream 0.10.0 admin routes added for parity (issue #16): packages and versions, context sync, the TEE
// routes and specialized-node invitations (answered as not available here), through HTTP on a real node.

const MISSING = encodeId(new Uint8Array(32).fill(7));
const NONCE = 'ab'.repeat(32);

describe('upstream parity routes', () => {
  let n: InProcNode;
  const get = (path: string) => call(n.url, 'GET', path);
  const post = (path: string, body?: unknown) => call(n.url, 'POST', path, body);
  const install = async (metadata: number[], pkg?: string, version?: string) => {
    const r = await post('/admin-api/install-dev-application', { path: appPath('kv-store'), metadata, ...(pkg ? { package: pkg } : {}), ...(version ? { version } : {}) });
    assert.equal(r.status, 200, r.text);
    return r.json.data.applicationId as string;
  };

  before(async () => {
    n = await startInProcNode();
  });
  after(() => n?.stop());

  test('packages, versions and the latest version (no data wrapper; semver rules; defaults for plain installs)', async () => {
    assert.deepEqual((await get('/admin-api/packages')).json, { packages: [] });
    assert.deepEqual((await get('/admin-api/packages/com.x/latest')).json, { applicationId: null, version: null });
    const plain = await install([0]);
    const v1 = await install([1], 'com.x', '1.2.0');
    const v2 = await install([2], 'com.x', '1.10.0');
    await install([3], 'com.x', '1.10.0-rc.1');
    await install([4], 'com.x', 'nightly');
    const other = await install([5], 'org.y', '0.1.0');
    const pkgs = await get('/admin-api/packages');
    assert.equal(pkgs.status, 200);
    assert.deepEqual([...pkgs.json.packages].sort(), ['com.x', 'org.y', 'unknown']);
    assert.deepEqual([...(await get('/admin-api/packages/com.x/versions')).json.versions].sort(), ['1.10.0', '1.10.0-rc.1', '1.2.0', 'nightly']);
    assert.deepEqual((await get('/admin-api/packages/unknown/versions')).json, { versions: ['0.0.0'] });
    assert.deepEqual((await get('/admin-api/packages/nope/versions')).json, { versions: [] });
    assert.deepEqual((await get('/admin-api/packages/com.x/latest')).json, { applicationId: v2, version: '1.10.0' });
    assert.deepEqual((await get('/admin-api/packages/org.y/latest')).json, { applicationId: other, version: '0.1.0' });
    assert.deepEqual((await get('/admin-api/packages/unknown/latest')).json, { applicationId: plain, version: '0.0.0' });
    // Uninstalling the newest makes the next one the latest.
    await call(n.url, 'DELETE', `/admin-api/applications/${v2}`);
    const next = (await get('/admin-api/packages/com.x/latest')).json;
    assert.equal(next.version, '1.10.0-rc.1');
    assert.notEqual(next.applicationId, v1);
  });

  test('context sync: all, one, malformed id (= all), unknown id; {"data":null} at once', async () => {
    const app = await install([9]);
    const ctx = (await post('/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data.contextId;
    for (const path of ['/admin-api/contexts/sync', `/admin-api/contexts/sync/${ctx}`, '/admin-api/contexts/sync/not-an-id', `/admin-api/contexts/sync/${MISSING}`]) {
      const r = await post(path);
      assert.deepEqual([r.status, r.json], [200, { data: null }], path);
    }
    // The context is unchanged and still served.
    assert.equal((await get(`/admin-api/contexts/${ctx}`)).json.data.id, ctx);
  });

  test('invite-specialized-node: upstream body and inviter checks, then 501', async () => {
    const bad = await post('/admin-api/contexts/invite-specialized-node', {});
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /^Invalid JSON data: /);
    const none = await post('/admin-api/contexts/invite-specialized-node', { contextId: MISSING });
    assert.deepEqual([none.status, none.json], [400, { error: 'No owned identities found for context' }]);
    const r = await post('/admin-api/contexts/invite-specialized-node', { contextId: MISSING, inviterId: MISSING });
    assert.equal(r.status, 501);
    assert.match(r.json.error, /not available on this node: it cannot verify TDX attestation/);
  });

  test('TEE routes: upstream validation texts, then upstream error shape saying attestation is unavailable', async () => {
    const info = await get('/admin-api/tee/info');
    assert.equal(info.status, 501);
    assert.match(info.json.error, /^Failed to get TEE info: /);
    const short = await post('/admin-api/tee/attest', { nonce: 'abc' });
    assert.deepEqual([short.status, short.json], [400, { error: "Field 'nonce' must be exactly 64 characters (got 3)" }]);
    const notHex = await post('/admin-api/tee/attest', { nonce: 'zz'.repeat(32) });
    assert.deepEqual(notHex.json, { error: "Field 'nonce' contains invalid hex encoding: contains non-hexadecimal characters" });
    const noApp = await post('/admin-api/tee/attest', { nonce: NONCE, applicationId: MISSING });
    assert.deepEqual([noApp.status, noApp.json], [404, { error: `Application '${MISSING}' not found` }]);
    const attest = await post('/admin-api/tee/attest', { nonce: NONCE });
    assert.deepEqual([attest.status, attest.json], [501, { error: 'TDX attestation generation is only supported on Linux with TDX hardware' }]);
    const two = await post('/admin-api/tee/verify-quote', { quoteB64: 'AAAA', nonce: 'x', expectedApplicationHash: 'y' });
    assert.deepEqual(two.json, {
      error: "Validation errors: Field 'nonce' must be exactly 64 characters (got 1); Field 'expected_application_hash' must be exactly 64 characters (got 1)",
    });
    const b64 = await post('/admin-api/tee/verify-quote', { quoteB64: 'AA!A', nonce: NONCE });
    assert.deepEqual([b64.status, b64.json], [400, { error: 'Invalid base64 quote: Invalid symbol 33, offset 2.' }]);
    const verify = await post('/admin-api/tee/verify-quote', { quoteB64: 'AAAA', nonce: NONCE });
    assert.equal(verify.status, 501);
    assert.match(verify.json.error, /not available on this node/);
  });

  test("JSON-RPC ParseError texts are serde's, as upstream (issue #14 item 7)", async () => {
    const app = await install([10]);
    const created = (await post('/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
    const ctx: string = created.contextId;
    const member: string = created.memberPublicKey;
    const rpc = async (body: Record<string, unknown>) => {
      const r = await post('/jsonrpc', { jsonrpc: '2.0', id: 7, ...body });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const parseError = async (body: Record<string, unknown>) => {
      const r = await rpc(body);
      assert.equal(r.error?.type, 'ParseError', JSON.stringify(r));
      return r.error.data as string;
    };
    const params = { contextId: ctx, method: 'get', argsJson: { key: 'a' }, executorPublicKey: member };
    assert.equal(await parseError({ method: 'foo', params }), 'unknown variant `foo`, expected `execute`');
    assert.equal(await parseError({ params }), 'missing field `method`');
    assert.equal(await parseError({ method: 'execute' }), 'missing field `params`');
    assert.equal(await parseError({ method: 'execute', params: { contextId: ctx, method: 'get', executorPublicKey: member } }), 'missing field `argsJson`');
    assert.equal(await parseError({ method: 'execute', params: { ...params, method: 'm'.repeat(300) } }), "Field 'method' exceeds maximum length of 256 characters (got 300)");
    assert.equal(
      await parseError({ method: 'execute', params: { ...params, method: 'get\u0007' } }),
      "Field 'method' has invalid format: contains control character '\\u{7}' which is not allowed",
    );
    // argsJson null is a value (the app gets `null`), and our query/mutate stay accepted.
    assert.deepEqual((await rpc({ method: 'execute', params: { ...params, method: 'len', argsJson: null } })).result, { output: 0 });
    assert.deepEqual((await rpc({ method: 'query', params: { ...params, method: 'len', argsJson: {} } })).result, { output: 0 });
  });

  test('the OpenAPI document lists the new routes', async () => {
    const doc = (await get('/admin-api/openapi.json')).json;
    for (const path of ['/admin-api/packages', '/admin-api/packages/{package}/latest', '/admin-api/contexts/sync', '/admin-api/contexts/sync/{context_id}', '/admin-api/tee/attest', '/admin-api/contexts/invite-specialized-node']) {
      assert.ok(doc.paths[path], path);
    }
  });
});

describe('upstream parity routes with embedded auth', () => {
  let n: InProcNode;
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
  });
  after(() => n?.stop());

  test('packages and sync need a token (empty 401); TEE routes are public', async () => {
    for (const [method, path] of [['GET', '/admin-api/packages'], ['GET', '/admin-api/packages/x/latest'], ['POST', '/admin-api/contexts/sync'], ['POST', '/admin-api/contexts/invite-specialized-node']] as const) {
      const r = await call(n.url, method, path);
      assert.deepEqual([r.status, r.text], [401, ''], `${method} ${path}`);
    }
    assert.equal((await call(n.url, 'POST', '/admin-api/tee/attest', { nonce: NONCE })).status, 501);
    const token = (await call(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'parity-test'))).json.data.access_token;
    const auth = { authorization: `Bearer ${token}` };
    assert.deepEqual((await call(n.url, 'GET', '/admin-api/packages', undefined, auth)).json, { packages: [] });
    assert.deepEqual((await call(n.url, 'POST', '/admin-api/contexts/sync', undefined, auth)).json, { data: null });
  });
});
