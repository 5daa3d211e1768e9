import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { startInProcNode, freePort, call, appPath, type InProcNode } from './helpers/inproc.ts';
import { openSse } from './helpers/sse.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { nearPayloadHash } from '../src/auth/wallet.ts';

// Attacks on the node's access control through its public surfaces (HTTP, WS, SSE), in embedded mode and in
// proxy mode with a standalone mero-auth: wallet takeover, client-key scopes on every surface, `?token=` on REST
// routes, wallet header replay, and streams outliving their credential. Each test fails on the node before
// these fixes (see issue #12).

const PASSWORD = 'correct horse battery';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function login(url: string): Promise<string> {
  const r = await call(url, 'POST', '/auth/token', passwordTokenRequest('admin', PASSWORD, 'security-test'));
  assert.equal(r.status, 200, r.text);
  return r.json.data.access_token;
}

/** A client key minted by the administrator through `/admin/client-key` with exactly `permissions`. */
async function clientToken(url: string, admin: string, permissions: string[]): Promise<string> {
  const r = await call(url, 'POST', '/admin/client-key', { permissions }, bearer(admin));
  assert.equal(r.status, 200, r.text);
  return r.json.data.access_token;
}

interface Ctx {
  id: string;
  member: string;
}

async function setupContexts(url: string, admin: string): Promise<{ app: string; a: Ctx; b: Ctx; c: Ctx }> {
  const app = await call(url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] }, bearer(admin));
  assert.equal(app.status, 200, app.text);
  const appId = app.json.data.applicationId;
  const make = async (): Promise<Ctx> => {
    const r = await call(url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: appId, initializationParams: [] }, bearer(admin));
    assert.equal(r.status, 200, r.text);
    return { id: r.json.data.contextId, member: r.json.data.memberPublicKey };
  };
  return { app: appId, a: await make(), b: await make(), c: await make() };
}

const setCall = (ctx: Ctx, key: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'execute',
  params: { contextId: ctx.id, method: 'set', argsJson: { key, value: 'v' }, executorPublicKey: ctx.member },
});

/** Opens a WS, sends one subscribe, resolves with the answer frame and the socket. */
async function wsSubscribe(url: string, token: string, contextIds: string[]) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
  const frames: any[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ id: 7, method: 'subscribe', params: { contextIds } }));
  const deadline = Date.now() + 3000;
  while (!frames.some((f) => f.id === 7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { ws, answer: frames.find((f) => f.id === 7), frames };
}

function closed(ws: WebSocket): Promise<{ code: number; at: number }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: -1, at: Date.now() });
    ws.once('close', (code) => resolve({ code, at: Date.now() }));
  });
}

/** Signs a wallet add-client-key body for `walletSk` registering `clientKey`, over a fresh node challenge. */
async function walletBody(url: string, walletSk: Uint8Array, clientKey: string, contextId: string | null = null) {
  const ch = (await call(url, 'POST', '/admin-api/request-challenge', contextId ? { contextId } : {})).json.data;
  const message = `calimero login ${ch.nonce}`;
  const hash = nearPayloadHash(message, Buffer.from(ch.nonce, 'base64'), 'calimero', 'http://localhost/');
  return {
    walletSignature: Buffer.from(ed25519.sign(hash, walletSk)).toString('base64'),
    payload: {
      message: { contextId, nonce: ch.nonce, timestamp: ch.timestamp, nodeSignature: ch.nodeSignature, message, publicKey: clientKey },
      metadata: { recipient: 'calimero', callbackUrl: 'http://localhost/', nonce: ch.nonce },
    },
    walletMetadata: { wallet: { type: 'NEAR', networkId: 'testnet' }, verifyingKey: `ed25519:${base58.encode(ed25519.getPublicKey(walletSk))}` },
    ...(contextId ? { contextId } : {}),
  };
}

/** Wallet headers over a fresh node challenge, signed by `clientSk`. */
async function walletHeaders(url: string, clientSk: Uint8Array): Promise<Record<string, string>> {
  const ch = (await call(url, 'POST', '/admin-api/request-challenge', {})).json.data;
  const challenge = Buffer.from(ch.nonce, 'base64');
  return {
    signing_key: `ed25519:${base58.encode(ed25519.getPublicKey(clientSk))}`,
    wallet_type: JSON.stringify({ type: 'NEAR', networkId: 'testnet' }),
    challenge: base58.encode(challenge),
    signature: base58.encode(ed25519.sign(challenge, clientSk)),
  };
}

const newKey = () => {
  const sk = ed25519.utils.randomSecretKey();
  return { sk, pub: `ed25519:${base58.encode(ed25519.getPublicKey(sk))}` };
};

function scopeSuite(mode: 'embedded' | 'proxy') {
  describe(`${mode} mode: client-key scopes on every surface`, () => {
    let n: InProcNode;
    let auth: ChildProcess | undefined;
    let admin: string;
    let scoped: string;
    let ctx: Awaited<ReturnType<typeof setupContexts>>;

    before(async () => {
      if (mode === 'embedded') {
        n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'mero-auth-sec-'));
        const port = await freePort();
        const authUrl = `http://127.0.0.1:${port}`;
        writeFileSync(join(dir, 'auth.toml'), `listen_addr = "127.0.0.1:${port}"\n[storage]\ntype = "memory"\n`);
        auth = spawn(process.execPath, ['bin/mero-auth.js', '--config', join(dir, 'auth.toml')], { stdio: 'ignore' });
        for (let i = 0; i < 200; i++) {
          if (await fetch(authUrl + '/auth/health').then((r) => r.ok, () => false)) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        n = await startInProcNode({ authUrl });
      }
      admin = await login(n.url);
      ctx = await setupContexts(n.url, admin);
      scoped = await clientToken(n.url, admin, [`context[${ctx.a.id}]`, `context:execute[${ctx.a.id}]`]);
    });
    after(async () => {
      await n?.stop();
      auth?.kill('SIGTERM');
    });

    test('admin API: a context-scoped key lists, installs and deletes nothing', async () => {
      const h = bearer(scoped);
      const apps = await call(n.url, 'GET', '/admin-api/applications', undefined, h);
      assert.equal(apps.status, 403, apps.text);
      assert.equal(apps.headers.get('x-auth-error'), 'permission_denied');
      assert.equal((await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] }, h)).status, 403);
      assert.equal((await call(n.url, 'POST', '/admin-api/install-application', { url: 'http://example.invalid/a.wasm', metadata: [] }, h)).status, 403);
      assert.equal((await call(n.url, 'GET', '/admin-api/contexts', undefined, h)).status, 403);
      const del = await call(n.url, 'DELETE', `/admin-api/contexts/${ctx.c.id}`, undefined, h);
      assert.equal(del.status, 403, del.text);
      assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${ctx.c.id}`, undefined, bearer(admin))).status, 200);
      assert.equal((await call(n.url, 'GET', '/admin-api/peers', undefined, h)).status, 403);
      assert.equal((await call(n.url, 'GET', '/admin/keys', undefined, h)).status, 403);
      // The administrator still does all of it.
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, bearer(admin))).status, 200);
    });

    test('admin API: a key with exactly the route permission gets that route only', async () => {
      const lister = await clientToken(n.url, admin, ['application:list', `context:list[${ctx.b.id}]`]);
      const h = bearer(lister);
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, h)).status, 200);
      assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${ctx.b.id}`, undefined, h)).status, 200);
      assert.equal((await call(n.url, 'GET', `/admin-api/contexts/${ctx.c.id}`, undefined, h)).status, 403);
      assert.equal((await call(n.url, 'DELETE', `/admin-api/applications/${ctx.app}`, undefined, h)).status, 403);
    });

    test('JSON-RPC: execute only in the permitted context, as the permitted identity', async () => {
      const h = bearer(scoped);
      const own = await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'mine'), h);
      assert.equal(own.status, 200, own.text);
      assert.ok(own.json.result, own.text);
      const other = await call(n.url, 'POST', '/jsonrpc', setCall(ctx.b, 'theirs'), h);
      assert.equal(other.status, 403, other.text);
      assert.match(other.json.error, /context:execute\[/);
      // B was not changed.
      const get = { ...setCall(ctx.b, 'theirs'), params: { ...setCall(ctx.b, 'theirs').params, method: 'get', argsJson: { key: 'theirs' } } };
      assert.equal((await call(n.url, 'POST', '/jsonrpc', get, bearer(admin))).json.result.output, null);
      // A method-scoped key runs that method only.
      const getter = await clientToken(n.url, admin, [`context:execute[${ctx.a.id},,get]`]);
      assert.equal((await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'x'), bearer(getter))).status, 403);
      const okGet = { ...setCall(ctx.a, 'mine'), params: { ...setCall(ctx.a, 'mine').params, method: 'get', argsJson: { key: 'mine' } } };
      assert.equal((await call(n.url, 'POST', '/jsonrpc', okGet, bearer(getter))).status, 200);
    });

    test('WebSocket: no subscription to, and no events of, a context outside the key', async () => {
      const { ws, answer, frames } = await wsSubscribe(n.url, scoped, [ctx.b.id]);
      assert.equal(answer?.error?.type, 'PermissionDenied', JSON.stringify(answer));
      await call(n.url, 'POST', '/jsonrpc', setCall(ctx.b, 'k1'), bearer(admin));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(frames.filter((f) => f.id === null).length, 0, 'no event of B reaches the scoped socket');
      ws.send(JSON.stringify({ id: 8, method: 'subscribe', params: { contextIds: [ctx.a.id] } }));
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(frames.find((f) => f.id === 8)?.result, JSON.stringify(frames));
      await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'k2'), bearer(admin));
      const deadline = Date.now() + 3000;
      while (!frames.some((f) => f.id === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(frames.some((f) => f.id === null), 'the event of A arrives');
      ws.close();
    });

    test('SSE: subscriptions only to permitted contexts; sessions stay with their credential', async () => {
      const s = await openSse(`${n.url}/sse`, bearer(scoped));
      assert.equal(s.status, 200);
      const [connect] = await s.waitFor(1);
      const session = JSON.parse(connect!.data).session_id;
      const sub = (ids: string[], token: string) =>
        call(n.url, 'POST', '/sse/subscription', { id: session, method: 'subscribe', params: { contextIds: ids } }, bearer(token));
      const denied = await sub([ctx.b.id], scoped);
      assert.equal(denied.status, 403, denied.text);
      assert.equal((await sub([ctx.a.id], scoped)).status, 200);
      // Another key holder cannot add contexts to this session, nor read it.
      const other = await clientToken(n.url, admin, [`context[${ctx.b.id}]`]);
      assert.equal((await sub([ctx.b.id], other)).status, 403);
      assert.equal((await call(n.url, 'GET', `/sse/session/${session}`, undefined, bearer(other))).status, 403);
      s.close();
    });

    test('?token= is refused on REST routes (only WS and SSE take it)', async () => {
      const r = await call(n.url, 'GET', `/admin-api/applications?token=${admin}`);
      assert.equal(r.status, 401);
      const rpc = await call(n.url, 'POST', `/jsonrpc?token=${admin}`, setCall(ctx.a, 'q'));
      assert.equal(rpc.status, 401);
      const s = await openSse(`${n.url}/sse?token=${encodeURIComponent(admin)}`);
      assert.equal(s.status, 200);
      s.close();
    });

    test('wallet takeover: a fresh wallet gets nothing on a node that has an administrator', async () => {
      const attacker = newKey();
      const device = newKey();
      const added = await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, attacker.sk, device.pub));
      assert.equal(added.status, 403, added.text);
      for (const path of ['/admin-api/applications', '/admin-api/contexts', '/admin-api/did']) {
        assert.equal((await call(n.url, 'GET', path, undefined, await walletHeaders(n.url, device.sk))).status, 401, path);
      }
      const rpc = await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'w'), await walletHeaders(n.url, device.sk));
      assert.equal(rpc.status, 401);
      // A bad token with the request is not an authorisation either.
      assert.equal((await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, attacker.sk, device.pub), bearer('x.y.z'))).status, 401);
      assert.equal((await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, attacker.sk, device.pub), bearer(scoped))).status, 403);
    });

    test("wallet login for the node's administrator; headers carry the wallet key's permissions and are single use", async () => {
      const wallet = newKey();
      const device = newKey();
      const added = await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, wallet.sk, device.pub), bearer(admin));
      assert.equal(added.status, 200, added.text);
      const headers = await walletHeaders(n.url, device.sk);
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, headers)).status, 200);
      // Replay of the same signed headers.
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, headers)).status, 401);
      // A device registered for context A by that root wallet gets A only.
      const scopedDevice = newKey();
      const forA = await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, wallet.sk, scopedDevice.pub, ctx.a.id));
      assert.equal(forA.status, 200, forA.text);
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, await walletHeaders(n.url, scopedDevice.sk))).status, 403);
      assert.equal((await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'd'), await walletHeaders(n.url, scopedDevice.sk))).status, 200);
      assert.equal((await call(n.url, 'POST', '/jsonrpc', setCall(ctx.b, 'd'), await walletHeaders(n.url, scopedDevice.sk))).status, 403);
    });

    test('revoking a client key closes its open WebSocket and SSE stream within a second', async () => {
      const minted = await call(n.url, 'POST', '/admin/client-key', { permissions: [`context[${ctx.a.id}]`] }, bearer(admin));
      const token = minted.json.data.access_token;
      const { ws, answer } = await wsSubscribe(n.url, token, [ctx.a.id]);
      assert.ok(answer?.result, JSON.stringify(answer));
      const s = await openSse(`${n.url}/sse`, bearer(token));
      await s.waitFor(1);
      const wsClosed = closed(ws);
      const sseEnded = s.done.then(() => Date.now());
      // The token's subject is the client key's id.
      const clientId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;
      const clients = (await call(n.url, 'GET', '/admin/keys/clients', undefined, bearer(admin))).json.data as Array<{ client_id: string; root_key_id: string }>;
      const root = clients.find((c) => c.client_id === clientId)!.root_key_id;
      const started = Date.now();
      const r = await call(n.url, 'DELETE', `/admin/keys/${root}/clients/${clientId}`, undefined, bearer(admin));
      assert.equal(r.status, 200, r.text);
      const { code, at } = await wsClosed;
      assert.equal(code, 1008);
      assert.ok(at - started < 1000, `closed after ${at - started} ms`);
      const ended = await Promise.race([sseEnded, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
      assert.ok(ended !== -1 && ended - started < 1000, `SSE stream ended after ${ended - started} ms`);
      assert.ok([401, 403].includes((await call(n.url, 'POST', '/jsonrpc', setCall(ctx.a, 'z'), bearer(token))).status));
    });
  });
}

scopeSuite('embedded');
scopeSuite('proxy');

describe('streams end when their token expires', () => {
  let n: InProcNode;
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' }, { config: ['server.embedded_auth.jwt.access_token_expiry=2'] });
  });
  after(() => n?.stop());

  test('a WebSocket opened with a 2-second token is closed when it expires', async () => {
    const admin = await login(n.url);
    const ws = new WebSocket(`${n.url.replace('http', 'ws')}/ws?token=${encodeURIComponent(admin)}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const s = await openSse(`${n.url}/sse`, bearer(admin));
    const { code } = await closed(ws);
    assert.equal(code, 1008);
    await Promise.race([s.done, new Promise((_, rej) => setTimeout(() => rej(new Error('SSE stream still open')), 3000))]);
  });
});

describe('one administrator across providers', () => {
  test('after a first wallet became the administrator, a first password login creates no second one', async () => {
    const n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
    try {
      const wallet = newKey();
      const device = newKey();
      const first = await call(n.url, 'POST', '/admin-api/add-client-key', await walletBody(n.url, wallet.sk, device.pub));
      assert.equal(first.status, 200, first.text);
      const r = await call(n.url, 'POST', '/auth/token', passwordTokenRequest('intruder', PASSWORD, 'security-test'));
      assert.equal(r.status, 401, r.text);
      assert.equal((await call(n.url, 'GET', '/admin-api/applications', undefined, await walletHeaders(n.url, device.sk))).status, 200);
    } finally {
      await n.stop();
    }
  });
});
