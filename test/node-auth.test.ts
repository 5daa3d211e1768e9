import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { startInProcNode, freePort, call, type InProcNode } from './helpers/inproc.ts';
import { createHash } from 'node:crypto';
import { nearPayloadHash } from '../src/auth/wallet.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

// The node's auth modes, through its public surfaces: embedded mero-auth, proxy mode with a real standalone
// mero-auth process, and the seed's wallet login with header authentication.


async function login(url: string): Promise<string> {
  const r = await call(url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'node-auth-test'));
  assert.equal(r.status, 200, r.text);
  return r.json.data.access_token;
}

function wsStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

async function sseStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const ac = new AbortController();
  const r = await fetch(url, { headers, signal: ac.signal });
  ac.abort();
  return r.status;
}

describe('embedded mode', () => {
  let n: InProcNode;
  let token: string;
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
  });
  after(() => n?.stop());

  test('/auth is mounted; public routes stay open', async () => {
    assert.equal((await call(n.url, 'GET', '/auth/health')).status, 200);
    assert.equal((await call(n.url, 'GET', '/auth/login')).status, 200);
    assert.deepEqual((await call(n.url, 'GET', '/admin-api/health')).json, { data: { status: 'alive' } });
    assert.equal((await call(n.url, 'GET', '/admin-api/certificate')).status, 200);
  });

  test('protected routes answer 401 with an empty body without a token, 200 with one', async () => {
    const r = await call(n.url, 'GET', '/admin-api/applications');
    assert.equal(r.status, 401);
    assert.equal(r.text, '');
    const rpc = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: {} });
    assert.equal(rpc.status, 401);
    const bad = await call(n.url, 'GET', '/admin-api/applications', undefined, { authorization: 'Bearer not.a.jwt' });
    assert.equal(bad.status, 401);
    token = await login(n.url);
    const ok = await call(n.url, 'GET', '/admin-api/applications', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { data: { apps: [] } });
  });

  test('is-authed: 401 in the auth proxy\'s shape without a valid token, 200 with one (issue #17)', async () => {
    const none = await call(n.url, 'GET', '/admin-api/is-authed');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('x-auth-error'), 'missing_token');
    assert.deepEqual(none.json, { data: null, error: 'No token provided' });
    const ok = await call(n.url, 'GET', '/admin-api/is-authed', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { data: { status: 'alive' } });
    // An expired access token is named as such, so upstream's clients refresh it instead of logging out.
    const keyId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub as string;
    const pair = await n.running.node.auth!.core.tokens.issuePair(keyId, ['admin'], null, { access: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await call(n.url, 'GET', '/admin-api/is-authed', undefined, { authorization: `Bearer ${pair.accessToken}` });
    assert.equal(expired.status, 401);
    assert.equal(expired.headers.get('x-auth-error'), 'token_expired');
  });

  test('WS and SSE refuse without a token and accept a bearer header or ?token=', async () => {
    const ws = n.url.replace('http', 'ws') + '/ws';
    assert.equal(await wsStatus(ws), 401);
    assert.equal(await wsStatus(ws, { authorization: `Bearer ${token}` }), 101);
    assert.equal(await wsStatus(`${ws}?token=${token}`), 101);
    assert.equal(await sseStatus(n.url + '/sse'), 401);
    assert.equal(await sseStatus(n.url + '/sse', { authorization: `Bearer ${token}` }), 200);
    assert.equal(await sseStatus(`${n.url}/sse?token=${token}`), 200);
  });

  test('install-application from the node\'s own blob URL reads the blob store (no token-less self-download)', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const wasm = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // an empty module
    const sha = base58.encode(createHash('sha256').update(wasm).digest());
    const up = await call(n.url, 'PUT', '/admin-api/blobs', wasm, auth);
    assert.equal(up.status, 200, up.text);
    const blobId = up.json.data.blob_id as string;
    const port = new URL(n.url).port;
    const install = (url: string, headers: Record<string, string> = auth, hash: string = sha) =>
      call(n.url, 'POST', '/admin-api/install-application', { url, hash, metadata: [] }, headers);

    const own = `${n.url}/admin-api/blobs/${blobId}`;
    assert.equal((await install(own, {})).status, 401); // the route itself stays protected
    const r = await install(own);
    assert.equal(r.status, 200, r.text);
    const app = await call(n.url, 'GET', `/admin-api/applications/${r.json.data.applicationId}`, undefined, auth);
    assert.equal(app.json.data.application.source, own); // as a download of that URL would record it
    assert.equal(app.json.data.application.blob.bytecode, blobId);
    // A loopback name with the node's port is this node too.
    assert.equal((await install(`http://localhost:${port}/admin-api/blobs/${blobId}`)).status, 200);
    // The hash is still checked; a blob this node does not have is 404.
    const wrong = await install(own, auth, base58.encode(new Uint8Array(32).fill(1)));
    assert.equal(wrong.status, 400, wrong.text);
    assert.match(wrong.text, /hash mismatch/);
    const missing = await install(`${n.url}/admin-api/blobs/${base58.encode(new Uint8Array(32).fill(9))}`);
    assert.equal(missing.status, 404, missing.text);
    assert.match(missing.text, /not found on this node/);
    // Another port is not this node: a download, and loopback downloads are refused by default (SSRF).
    const other = await install(`http://127.0.0.1:${await freePort()}/admin-api/blobs/${blobId}`);
    assert.equal(other.status, 400, other.text);
    assert.match(other.text, /destination is not allowed/);
  });

  test('the seed wallet login: add-client-key then header authentication', async () => {
    const wallet = ed25519.utils.randomSecretKey();
    const walletKey = `ed25519:${base58.encode(ed25519.getPublicKey(wallet))}`;
    const client = ed25519.utils.randomSecretKey();
    const clientKey = `ed25519:${base58.encode(ed25519.getPublicKey(client))}`;
    const ch = (await call(n.url, 'POST', '/admin-api/request-challenge', {})).json.data;
    const message = `calimero login ${ch.nonce}`;
    const hash = nearPayloadHash(message, Buffer.from(ch.nonce, 'base64'), 'calimero', 'http://localhost/');
    const body = {
      walletSignature: Buffer.from(ed25519.sign(hash, wallet)).toString('base64'),
      payload: {
        message: { contextId: null, nonce: ch.nonce, timestamp: ch.timestamp, nodeSignature: ch.nodeSignature, message, publicKey: clientKey },
        metadata: { recipient: 'calimero', callbackUrl: 'http://localhost/', nonce: ch.nonce },
      },
      walletMetadata: { wallet: { type: 'NEAR', networkId: 'testnet' }, verifyingKey: walletKey },
    };
    // The node has an administrator (user_password): a new wallet needs that administrator's token.
    const admin = { authorization: `Bearer ${await login(n.url)}` };
    const added = await call(n.url, 'POST', '/admin-api/add-client-key', body, admin);
    assert.deepEqual([added.status, added.json], [200, { data: 'Client key stored' }]);
    const replay = await call(n.url, 'POST', '/admin-api/add-client-key', body, admin);
    assert.equal(replay.status, 400);

    const fresh = (await call(n.url, 'POST', '/admin-api/request-challenge', {})).json.data;
    const challenge = Buffer.from(fresh.nonce, 'base64');
    const headers = {
      signing_key: clientKey,
      wallet_type: JSON.stringify({ type: 'NEAR', networkId: 'testnet' }),
      challenge: base58.encode(challenge),
      signature: base58.encode(ed25519.sign(challenge, client)),
    };
    const ok = await call(n.url, 'GET', '/admin-api/did', undefined, headers);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.data.did.root_keys[0].signing_key, walletKey);
    assert.equal(ok.json.data.did.client_keys[0].signingKey, clientKey);
    const forged = { ...headers, signature: base58.encode(ed25519.sign(challenge, ed25519.utils.randomSecretKey())) };
    assert.equal((await call(n.url, 'GET', '/admin-api/did', undefined, forged)).status, 401);
    const unknownChallenge = new Uint8Array(32).fill(4);
    const stale = { ...headers, challenge: base58.encode(unknownChallenge), signature: base58.encode(ed25519.sign(unknownChallenge, client)) };
    assert.equal((await call(n.url, 'GET', '/admin-api/did', undefined, stale)).status, 401);
  });
});

describe('proxy mode with a standalone mero-auth', () => {
  let n: InProcNode;
  let auth: ChildProcess;
  let authUrl: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mero-auth-'));
    const port = await freePort();
    authUrl = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'auth.toml'), `listen_addr = "127.0.0.1:${port}"\n[storage]\ntype = "memory"\n`);
    auth = spawn(process.execPath, ['bin/mero-auth.js', '--config', join(dir, 'auth.toml')], { stdio: 'pipe' });
    for (let i = 0; i < 200; i++) {
      const up = await fetch(authUrl + '/auth/health').then((r) => r.ok, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    n = await startInProcNode({ authUrl });
  });
  after(async () => {
    await n?.stop();
    auth?.kill('SIGTERM');
  });

  test('/auth is forwarded; protected routes need a token mero-auth accepts', async () => {
    assert.equal((await call(n.url, 'GET', '/auth/health')).status, 200);
    assert.equal((await call(n.url, 'GET', '/admin-api/applications')).status, 401);
    const token = await login(n.url); // through the node's forwarding
    const ok = await call(n.url, 'GET', '/admin-api/applications', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
    const ws = n.url.replace('http', 'ws') + '/ws';
    assert.equal(await wsStatus(ws), 401);
    assert.equal(await wsStatus(`${ws}?token=${token}`), 101);
    assert.equal(await sseStatus(n.url + '/sse'), 401);
    assert.equal(await sseStatus(n.url + '/sse', { authorization: `Bearer ${token}` }), 200);
    // is-authed asks the auth service as well: 401 without a token, 200 with one.
    const probe = await call(n.url, 'GET', '/admin-api/is-authed');
    assert.equal(probe.status, 401);
    assert.equal(probe.headers.get('x-auth-error'), 'missing_token');
    assert.equal((await call(n.url, 'GET', '/admin-api/is-authed', undefined, { authorization: `Bearer ${token}` })).status, 200);
    // The admin API of mero-auth is reachable through the node too.
    const keys = await call(n.url, 'GET', '/admin/keys', undefined, { authorization: `Bearer ${token}` });
    assert.equal(keys.status, 200, keys.text);
  });

  test('a dead auth service fails closed with 503', async () => {
    auth.kill('SIGTERM');
    await new Promise((r) => auth.once('exit', r));
    const r = await call(n.url, 'GET', '/admin-api/contexts', undefined, { authorization: 'Bearer x' });
    assert.equal(r.status, 503);
  });
});
