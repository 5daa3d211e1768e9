import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import {
  createAuthService,
  MemoryAuthStorage,
  StoreAuthStorage,
  type AuthStorage,
  type AuthService,
} from '../src/auth/index.ts';

// Storage backends of the auth service: the memory and RocksDB implementations behave alike, and with
// RocksDB users, keys, revocations, the signing secret and used refresh tokens survive a reopen.

async function exerciseStorage(s: AuthStorage) {
  assert.equal(await s.get('a'), null);
  assert.equal(await s.exists('a'), false);
  await s.set('root_key:1', 'one');
  await s.set('root_key:2', new Uint8Array([1, 2, 3]));
  await s.set('client_key:1', '{}');
  assert.equal(Buffer.from((await s.get('root_key:1'))!).toString(), 'one');
  assert.deepEqual([...(await s.get('root_key:2'))!], [1, 2, 3]);
  assert.equal(await s.exists('root_key:1'), true);
  assert.deepEqual(await s.listKeys('root_key:'), ['root_key:1', 'root_key:2']);
  assert.deepEqual(await s.listKeys('client_key:'), ['client_key:1']);
  assert.deepEqual(await s.listKeys('nothing:'), []);
  await s.delete('root_key:1');
  assert.deepEqual(await s.listKeys('root_key:'), ['root_key:2']);
}

async function withApp<T>(svc: AuthService, fn: (inject: (o: any) => Promise<any>) => Promise<T>): Promise<T> {
  const app = Fastify();
  await app.register(svc.plugin);
  try {
    return await fn(async (o) => {
      const r = await app.inject(o);
      return { status: r.statusCode, json: JSON.parse(r.body || 'null'), headers: r.headers };
    });
  } finally {
    await app.close();
  }
}

const tokenBody = (username: string, password: string) => ({
  auth_method: 'user_password',
  public_key: username,
  client_name: 'persist-test',
  timestamp: 1,
  provider_data: { username, password },
});

describe('storage backends', () => {
  test('memory storage', async () => {
    const s = new MemoryAuthStorage();
    await exerciseStorage(s);
    await s.close();
  });

  test('RocksDB storage (column auth)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-kv-'));
    try {
      const s = await StoreAuthStorage.open(join(dir, 'db'));
      await exerciseStorage(s);
      await s.close();
      const again = await StoreAuthStorage.open(join(dir, 'db'));
      assert.deepEqual(await again.listKeys('root_key:'), ['root_key:2']);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('memory storage forgets everything on a new service', async () => {
    const a = await createAuthService({ storage: { type: 'memory' } });
    await withApp(a, async (inject) => {
      const r = await inject({ method: 'POST', url: '/auth/token', payload: tokenBody('admin', 'password-1') });
      assert.equal(r.status, 200);
    });
    await a.close();
    const b = await createAuthService({ storage: { type: 'memory' } });
    await withApp(b, async (inject) => {
      const p = await inject({ method: 'GET', url: '/auth/providers' });
      assert.equal(p.json.data.providers[0].configured, false);
    });
    await b.close();
  });

  test('RocksDB: users, keys, revocations, secrets and used refresh tokens survive a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-persist-'));
    const config = { storage: { type: 'rocksdb', path: 'authdb' } };
    try {
      // --- first run
      const svc1 = await createAuthService(config, { basePath: dir });
      assert.equal(svc1.config.storage.type === 'rocksdb' && svc1.config.storage.path, join(dir, 'authdb'));
      const state = await withApp(svc1, async (inject) => {
        const login = await inject({ method: 'POST', url: '/auth/token', payload: tokenBody('admin', 'password-1') });
        assert.equal(login.status, 200);
        const root = login.json.data;
        const auth = { authorization: `Bearer ${root.access_token}` };
        const kept = await inject({ method: 'POST', url: '/admin/client-key', headers: auth, payload: { context_id: 'k', context_identity: 'i' } });
        const gone = await inject({ method: 'POST', url: '/admin/client-key', headers: auth, payload: { context_id: 'g', context_identity: 'i' } });
        const goneId = (await inject({ method: 'GET', url: '/auth/validate', headers: { authorization: `Bearer ${gone.json.data.access_token}` } }))
          .headers['x-auth-user'];
        const rev = await inject({ method: 'POST', url: '/admin/revoke', headers: auth, payload: { client_id: goneId } });
        assert.equal(rev.status, 200);
        const keys = await inject({ method: 'GET', url: '/admin/keys', headers: auth });
        // use one refresh token before the restart
        const r = await svc1.verifyRequest(auth);
        assert.ok(r.ok);
        const expired = (await svc1.core.tokens.issuePair(r.keyId, ['admin'], null, { access: -10 })).accessToken;
        const used = await inject({ method: 'POST', url: '/auth/refresh', payload: { access_token: expired, refresh_token: root.refresh_token } });
        assert.equal(used.status, 200);
        return {
          rootAccess: root.access_token as string,
          usedRefresh: root.refresh_token as string,
          freshRefresh: used.json.data.refresh_token as string,
          expired,
          keptAccess: kept.json.data.access_token as string,
          goneAccess: gone.json.data.access_token as string,
          rootKeys: keys.json.data,
        };
      });
      await svc1.close();

      // --- second run on the same directory
      const svc2 = await createAuthService(config, { basePath: dir });
      await withApp(svc2, async (inject) => {
        const v = (t: string) => inject({ method: 'GET', url: '/auth/validate', headers: { authorization: `Bearer ${t}` } });
        assert.equal((await v(state.rootAccess)).status, 200, 'signing secret persisted');
        assert.equal((await v(state.keptAccess)).status, 200, 'client key persisted');
        const gone = await v(state.goneAccess);
        assert.equal(gone.status, 403, 'revocation persisted');
        assert.equal(gone.headers['x-auth-error'], 'token_revoked');
        const keys = await inject({ method: 'GET', url: '/admin/keys', headers: { authorization: `Bearer ${state.rootAccess}` } });
        assert.deepEqual(keys.json.data, state.rootKeys);
        const prov = await inject({ method: 'GET', url: '/auth/providers' });
        assert.equal(prov.json.data.providers[0].configured, true);
        // no second bootstrap: another user is refused, the right password still works
        const other = await inject({ method: 'POST', url: '/auth/token', payload: tokenBody('mallory', 'password-2') });
        assert.equal(other.status, 401);
        const wrong = await inject({ method: 'POST', url: '/auth/token', payload: tokenBody('admin', 'password-2') });
        assert.equal(wrong.status, 401);
        const ok = await inject({ method: 'POST', url: '/auth/token', payload: tokenBody('admin', 'password-1') });
        assert.equal(ok.status, 200);
        // the refresh token it produced before the restart works once; the one used before the restart stays
        // used, and replaying it revokes the family (the pair just issued with it)
        const fresh = await inject({ method: 'POST', url: '/auth/refresh', payload: { access_token: state.expired, refresh_token: state.freshRefresh } });
        assert.equal(fresh.status, 200);
        const reuse = await inject({ method: 'POST', url: '/auth/refresh', payload: { access_token: state.expired, refresh_token: state.usedRefresh } });
        assert.equal(reuse.status, 401);
        const killed = await inject({ method: 'GET', url: '/auth/validate', headers: { authorization: `Bearer ${fresh.json.data.access_token}` } });
        assert.equal(killed.status, 403);
      });
      await svc2.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a second service cannot open a RocksDB path that is in use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'auth-lock-'));
    try {
      const a = await createAuthService({ storage: { type: 'rocksdb', path: join(dir, 'db') } });
      await assert.rejects(createAuthService({ storage: { type: 'rocksdb', path: join(dir, 'db') } }), /in use|lock/i);
      await a.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
