import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAuthService, type AuthService, TokenResponseSchema, envelopeSchema } from '../src/auth/index.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58 } from '@scure/base';
import { nearPayloadHash } from '../src/auth/wallet.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { call as http, startInProcNode } from './helpers/inproc.ts';

/**
 * mero-auth requests that race on one key record (RocksDB storage, plain concurrent requests through HTTP):
 * a revocation is never undone by a change that read the key before it, and the last active root key stays.
 */
describe('mero-auth: concurrent changes of one key', () => {
  let dir: string;
  let svc: AuthService;
  let app: FastifyInstance;
  let admin: string;

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, token = admin) => {
    const r = await app.inject({ method, url, payload: body as never, headers: token ? { authorization: `Bearer ${token}` } : {} });
    let json: any = null;
    try {
      json = JSON.parse(r.body);
    } catch {
      /* not JSON */
    }
    return { status: r.statusCode, body: r.body, json };
  };
  const login = async (username: string, password: string) => {
    const r = await call('POST', '/auth/token', passwordTokenRequest(username, password), '');
    assert.equal(r.status, 200, r.body);
    return envelopeSchema(TokenResponseSchema).parse(r.json).data!;
  };
  const clientKeys = async () => (await call('GET', '/admin/keys/clients')).json.data as Array<{ client_id: string; root_key_id: string; is_valid: boolean }>;
  const clientKey = async () => {
    const before = new Set((await clientKeys()).map((k) => k.client_id));
    const r = await call('POST', '/admin/client-key', { context_id: 'ctx1', context_identity: 'alice', permissions: [] });
    assert.equal(r.status, 200, r.body);
    const made = (await clientKeys()).find((k) => !before.has(k.client_id))!;
    return { id: made.client_id, root: made.root_key_id, access: r.json.data.access_token as string };
  };
  const valid = async (token: string) => (await call('GET', '/auth/validate', undefined, token)).status === 200;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-races-'));
    svc = await createAuthService({ storage: { type: 'rocksdb', path: 'authdb' } }, { basePath: dir });
    app = Fastify();
    await app.register(svc.plugin);
    await app.ready();
    admin = (await login('admin', 'correct horse')).access_token;
  });
  after(async () => {
    await app.close();
    await svc.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a permission change racing a revocation never makes the key valid again', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await clientKey();
      const [changed, revoked] = await Promise.all([
        call('PUT', `/admin/keys/${c.id}/permissions`, { add: ['context:list'] }),
        call('DELETE', `/admin/keys/${c.root}/clients/${c.id}`),
      ]);
      assert.equal(revoked.status, 200, revoked.body);
      assert.ok(changed.status === 200 || (changed.status === 400 && changed.json.error === 'Key is revoked'), changed.body);
      assert.equal(await valid(c.access), false, `trial ${i}: the revoked key's token still passes`);
    }
  });

  test('concurrent permission changes of one key are all kept', async () => {
    for (let i = 0; i < 10; i++) {
      const c = await clientKey();
      const adds = ['context:list', 'application:list', 'blob:list'];
      const results = await Promise.all(adds.map((p) => call('PUT', `/admin/keys/${c.id}/permissions`, { add: [p] })));
      for (const r of results) assert.equal(r.status, 200, r.body);
      const now = (await call('GET', `/admin/keys/${c.id}/permissions`)).json.data.permissions as string[];
      for (const p of adds) assert.ok(now.includes(p), `trial ${i}: ${p} lost (${now.join(', ')})`);
    }
  });

  test('a client key refreshed while it is revoked: the refresh gives nothing usable', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await clientKey();
      const others = new Set((await clientKeys()).filter((k) => k.client_id !== c.id).map((k) => k.client_id));
      const pair = await svc.core.tokens.issuePair(c.id, ['context[ctx1,alice]'], null, { access: -10 });
      const refreshing = call('POST', '/auth/refresh', { access_token: pair.accessToken, refresh_token: pair.refreshToken }, '');
      for (let k = 0; k < i % 10; k++) await new Promise((r) => setImmediate(r));
      const [refreshed, revoked] = await Promise.all([refreshing, call('DELETE', `/admin/keys/${c.root}/clients/${c.id}`)]);
      assert.ok(revoked.status === 200 || revoked.status === 404, revoked.body);
      if (revoked.status === 404) {
        // The refresh moved the key first: revoking its new id is what the client of the list does next.
        assert.equal(refreshed.status, 200, refreshed.body);
        const moved = (await clientKeys()).find((k) => k.is_valid && !others.has(k.client_id))!;
        assert.equal((await call('DELETE', `/admin/keys/${c.root}/clients/${moved.client_id}`)).status, 200);
      }
      if (refreshed.status === 200) assert.equal(await valid(refreshed.json.data.access_token), false, `trial ${i}: the refreshed token of a revoked key passes`);
      const live = (await clientKeys()).filter((k) => k.is_valid && !others.has(k.client_id));
      assert.deepEqual(live, [], `trial ${i}: a client key is valid after its revocation`);
    }
  });

  test('two root keys revoked at once: one is, the last active one stays, and its user still logs in', async () => {
    type Root = { key_id: string; public_key: string; revoked_at: number | null };
    const active = async () => ((await call('GET', '/admin/keys')).json.data as Root[]).filter((k) => k.revoked_at === null);
    const passwords: Record<string, string> = { admin: 'correct horse' };
    for (let i = 0; i < 5; i++) {
      const user = `user${i}`;
      passwords[user] = `password of ${user}`;
      const created = await call('POST', '/admin/keys', { public_key: user, auth_method: 'user_password', provider_data: { username: user, password: passwords[user] } });
      assert.equal(created.status, 200, created.body);
      const roots = await active();
      assert.equal(roots.length, 2);
      const results = await Promise.all(roots.map((k) => call('DELETE', `/admin/keys/${k.key_id}`)));
      const kept = results.findIndex((r) => r.json.data?.status === false);
      assert.ok(kept >= 0 && results.filter((r) => r.json.data?.status === false).length === 1, results.map((r) => r.body).join(' | '));
      // The survivor's user logs in and administers the node (the other's token died with its key).
      const survivor = roots[kept]!;
      admin = (await login(survivor.public_key, passwords[survivor.public_key]!)).access_token;
      assert.deepEqual((await active()).map((k) => k.key_id), [survivor.key_id]);
    }
  });
});

/** A signed seed-wallet `add-client-key` body for a fresh NEAR wallet, over a challenge of `url`'s node. */
async function walletRegistration(url: string) {
  const wallet = ed25519.utils.randomSecretKey();
  const clientKey = `ed25519:${base58.encode(ed25519.getPublicKey(ed25519.utils.randomSecretKey()))}`;
  const ch = (await http(url, 'POST', '/admin-api/request-challenge', {})).json.data;
  const message = `calimero login ${ch.nonce}`;
  const hash = nearPayloadHash(message, Buffer.from(ch.nonce, 'base64'), 'calimero', 'http://localhost/');
  return {
    walletSignature: Buffer.from(ed25519.sign(hash, wallet)).toString('base64'),
    payload: {
      message: { contextId: null, nonce: ch.nonce, timestamp: ch.timestamp, nodeSignature: ch.nodeSignature, message, publicKey: clientKey },
      metadata: { recipient: 'calimero', callbackUrl: 'http://localhost/', nonce: ch.nonce },
    },
    walletMetadata: { wallet: { type: 'NEAR', networkId: 'testnet' }, verifyingKey: `ed25519:${base58.encode(ed25519.getPublicKey(wallet))}` },
  };
}

test('a fresh embedded node: a first password login and a wallet registration at once make one administrator', async () => {
  for (let i = 0; i < 5; i++) {
    const n = await startInProcNode({}, { authMode: 'embedded' });
    try {
      const body = await walletRegistration(n.url);
      const [login, wallet] = await Promise.all([
        http(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse')),
        http(n.url, 'POST', '/admin-api/add-client-key', body),
      ]);
      const admins = [login.status === 200, wallet.status === 200].filter(Boolean).length;
      assert.equal(admins, 1, `login ${login.status} ${login.text} / wallet ${wallet.status} ${wallet.text}`);
      if (wallet.status !== 200) assert.match(wallet.text, /already has an administrator/);
    } finally {
      await n.stop();
    }
  }
});
