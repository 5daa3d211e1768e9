/**
 * Crash safety (issue #7): a real `merod run` child process under concurrent mutations is SIGKILLed at random
 * moments, several rounds in a row. After each kill:
 *   - the store opens cleanly and is self-consistent (opened directly from this process: every context's
 *     stored state digest equals the digest of its state entries — no torn commit);
 *   - the node restarts, and every mutation the client saw acknowledged is there (`query get` and `entries`);
 *   - the app's own view is consistent (`len` = number of entries) and mutations keep working.
 * At the end a second kill/restart with no load must give the same root hashes and entries.
 *
 * The auth store gets the same treatment in embedded mode with persistent (RocksDB) auth storage: users
 * created, keys revoked, then SIGKILL during more user creation; after restart every acknowledged user logs
 * in, old tokens still work and the revoked key stays revoked.
 *
 * Randomness is seeded (CRASH_SEED to reproduce; the seed is printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startNode, type TestNode } from './helpers/node.ts';
import { appPath } from './helpers/inproc.ts';
import { Store } from '../src/store/store.ts';
import { addDigest, entryDigest, type ContextMeta } from '../src/node/contexts.ts';
import { encodeId } from '../src/util/ids.ts';
import { passwordTokenRequest } from './helpers/auth.ts';

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 2 ** 31);
console.log(`# crash.test seed: ${SEED} (CRASH_SEED=${SEED} to reproduce)`);

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);

// One keep-alive pool per test file; destroyed connections after a kill are replaced transparently.
const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });

async function http(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
    // @ts-expect-error undici's fetch accepts a dispatcher
    dispatcher: agent,
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

interface Ctx {
  contextId: string;
  member: string;
}

async function rpc(url: string, ctx: Ctx, mode: 'mutate' | 'query', method: string, args: unknown) {
  const r = await http(url, 'POST', '/jsonrpc', {
    jsonrpc: '2.0',
    id: 1,
    method: mode,
    params: { contextId: ctx.contextId, method, argsJson: args, executorPublicKey: ctx.member },
  });
  return r;
}

/** Opens the (dead) node's store directly and checks each context's digest against its state entries. */
async function checkStoreConsistent(node: TestNode): Promise<number> {
  const store = await Store.open(join(node.dir, 'data'));
  let contexts = 0;
  try {
    for await (const { key, value } of store.iterate('meta')) {
      contexts++;
      const meta = JSON.parse(value.toString('utf8')) as ContextMeta;
      let sum = '0';
      let size = 0;
      for await (const e of store.iterate('state', { prefix: key })) {
        const k = e.key.subarray(32);
        sum = addDigest(sum, entryDigest(k, e.value), 1);
        size += k.length + e.value.length;
      }
      const id = encodeId(key);
      assert.equal(BigInt('0x' + sum), BigInt('0x' + (meta.stateSum || '0')), `context ${id}: stored state digest disagrees with its entries (torn commit)`);
      assert.equal(size, meta.sizeInBytes, `context ${id}: stored size disagrees with its entries`);
    }
  } finally {
    await store.close();
  }
  return contexts;
}

test('SIGKILL under concurrent mutations loses no acknowledged write', { timeout: 150_000 }, async (t) => {
  const node = await startNode({ t });
  const app = await http(node.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] });
  assert.equal(app.status, 200, app.text);
  const applicationId = app.json.data.applicationId;
  const contexts: Ctx[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await http(node.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId, initializationParams: [] });
    assert.equal(c.status, 200, c.text);
    contexts.push({ contextId: c.json.data.contextId, member: c.json.data.memberPublicKey });
  }

  /** key → value of every acknowledged `set`, per context. */
  const acked = contexts.map(() => new Map<string, string>());
  /** Everything we ever tried to write (acknowledged or not), to reject garbage. */
  const attempted = contexts.map(() => new Map<string, string>());
  const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 4);
  const CLIENTS = 12;
  let totalAcked = 0;
  let totalLost = 0;

  for (let round = 0; round < ROUNDS; round++) {
    let stop = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const ci = (c + i) % contexts.length;
        const key = `r${round}-c${c}-${i}`;
        const value = `v${round}.${c}.${i}.${Math.floor(rand() * 1e9)}`;
        attempted[ci]!.set(key, value);
        inFlight++;
        try {
          const r = await rpc(node.url, contexts[ci]!, 'mutate', 'set', { key, value });
          if (r.status === 200 && r.json?.result !== undefined) {
            acked[ci]!.set(key, value);
            totalAcked++;
          } else if (!stop) {
            assert.fail(`mutation refused before the kill: ${r.status} ${r.text}`);
          }
        } catch (err) {
          if (!stop) throw err; // a transport error is only expected once the node is killed
          totalLost++;
        } finally {
          inFlight--;
        }
      }
    });
    // Kill at a random point once the round is under way (a few acknowledged writes, so a slow machine still
    // kills mid-load): 0–750 ms later.
    const ackedAtStart = totalAcked;
    const t0 = Date.now();
    while (totalAcked - ackedAtStart < 5 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 10));
    const delay = Math.floor(rand() * 750);
    await new Promise((r) => setTimeout(r, delay));
    stop = true;
    inFlightAtKill = inFlight;
    await node.kill();
    await Promise.all(clients);
    t.diagnostic(`round ${round}: killed ${Date.now() - t0} ms into the load with ${inFlightAtKill} requests in flight; acked so far ${totalAcked}`);

    // The store of the dead process opens cleanly and no commit is torn.
    assert.equal(await checkStoreConsistent(node), contexts.length);

    await node.restart();
    for (let ci = 0; ci < contexts.length; ci++) {
      const ctx = contexts[ci]!;
      const entries = await rpc(node.url, ctx, 'query', 'entries', {});
      assert.equal(entries.status, 200, entries.text);
      const got = entries.json.result.output as Record<string, string>;
      for (const [k, v] of acked[ci]!) assert.equal(got[k], v, `round ${round}: acknowledged key ${k} lost or wrong`);
      // Keys present but not acknowledged were in flight at the kill: they must be ones we sent, intact.
      for (const [k, v] of Object.entries(got)) assert.equal(v, attempted[ci]!.get(k), `unexpected entry ${k}`);
      const len = await rpc(node.url, ctx, 'query', 'len', {});
      assert.equal(len.json.result.output, Object.keys(got).length, 'len disagrees with entries');
      // Spot-check point reads of a few acknowledged keys.
      const sample = [...acked[ci]!.keys()].slice(-3);
      for (const k of sample) {
        const g = await rpc(node.url, ctx, 'query', 'get', { key: k });
        assert.equal(g.json.result.output, acked[ci]!.get(k));
      }
      // Adopt in-flight writes that did land, so later rounds compare against them too.
      for (const [k, v] of Object.entries(got)) acked[ci]!.set(k, v);
    }
  }
  assert.ok(totalAcked >= ROUNDS * 5, `too few acknowledged mutations (${totalAcked}) for a meaningful test`);
  t.diagnostic(`acknowledged ${totalAcked} mutations over ${ROUNDS} kills; ${totalLost} requests cut by the kills`);

  // Meta is stable: with no load, kill and restart twice more; root hashes and entries do not move.
  const snapshot = async () => {
    const out: Array<{ root: string; entries: unknown }> = [];
    for (const ctx of contexts) {
      const g = await http(node.url, 'GET', `/admin-api/contexts/${ctx.contextId}`);
      assert.equal(g.status, 200, g.text);
      const e = await rpc(node.url, ctx, 'query', 'entries', {});
      out.push({ root: g.json.data.rootHash, entries: e.json.result.output });
    }
    return out;
  };
  const before = await snapshot();
  await node.kill();
  await node.restart();
  assert.deepEqual(await snapshot(), before);
  await node.kill();
  await node.restart();
  assert.deepEqual(await snapshot(), before);

  // And the node still mutates after all that.
  const ok = await rpc(node.url, contexts[0]!, 'mutate', 'set', { key: 'after', value: 'crashes' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await rpc(node.url, contexts[0]!, 'query', 'get', { key: 'after' })).json.result.output, 'crashes');
  await node.stop();
  assert.equal(await checkStoreConsistent(node), contexts.length);
});


test('SIGKILL under many concurrent mutations on several contexts: every acknowledged one is durable, in order', { timeout: 150_000 }, async (t) => {
  // Group commit (one WAL sync for every mutation ready at once, src/store/store.ts): many clients on several
  // contexts commit at once, so most commits share a sync. Each client writes, in one mutation, its own new key
  // `c<client>-<i>` and its `last-c<client>` = i; so after the kill, a client's `last` must be its last
  // acknowledged i or the one it had in flight (a later write never undone by an earlier one), and every key
  // up to it must be there.
  const node = await startNode({ t });
  const app = await http(node.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] });
  assert.equal(app.status, 200, app.text);
  const contexts: Ctx[] = [];
  for (let i = 0; i < 6; i++) {
    const c = await http(node.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app.json.data.applicationId, initializationParams: [] });
    assert.equal(c.status, 200, c.text);
    contexts.push({ contextId: c.json.data.contextId, member: c.json.data.memberPublicKey });
  }
  const CLIENTS = 24;
  /** Per client: the last acknowledged i (-1: none) and the one in flight at the kill (or null). */
  const lastAcked = new Array<number>(CLIENTS).fill(-1);
  const inFlight = new Array<number | null>(CLIENTS).fill(null);
  let acked = 0;
  let stop = false;
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const ctx = contexts[c % contexts.length]!;
    for (let i = 0; !stop; i++) {
      inFlight[c] = i;
      try {
        const r = await rpc(node.url, ctx, 'mutate', 'set_many', { keys: `c${c}-${i},last-c${c}`, value: String(i) });
        if (r.status === 200 && r.json?.result !== undefined) {
          lastAcked[c] = i;
          inFlight[c] = null;
          acked++;
        } else if (!stop) assert.fail(`mutation refused before the kill: ${r.status} ${r.text}`);
      } catch (err) {
        if (!stop) throw err;
      }
    }
  });
  const t0 = Date.now();
  while (acked < CLIENTS * 3 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, Math.floor(rand() * 500)));
  stop = true;
  await node.kill();
  await Promise.all(clients);
  t.diagnostic(`killed ${Date.now() - t0} ms into the load; ${acked} mutations acknowledged`);
  assert.ok(acked >= CLIENTS * 3, `too few acknowledged mutations (${acked}) for a meaningful test`);
  assert.equal(await checkStoreConsistent(node), contexts.length);

  await node.restart();
  const entries = new Map<Ctx, Record<string, string>>();
  for (const ctx of contexts) {
    const e = await rpc(node.url, ctx, 'query', 'entries', {});
    assert.equal(e.status, 200, e.text);
    entries.set(ctx, e.json.result.output as Record<string, string>);
  }
  for (let c = 0; c < CLIENTS; c++) {
    const got = entries.get(contexts[c % contexts.length]!)!;
    const last = got[`last-c${c}`] === undefined ? -1 : Number(got[`last-c${c}`]);
    const allowed = [lastAcked[c]!, ...(inFlight[c] === null ? [] : [inFlight[c]!])];
    assert.ok(allowed.includes(last), `client ${c}: last = ${last} after the kill, acknowledged up to ${lastAcked[c]}, in flight ${inFlight[c]}`);
    for (let i = 0; i <= last; i++) assert.equal(got[`c${c}-${i}`], String(i), `client ${c}: write ${i} lost`);
    assert.equal(got[`c${c}-${last + 1}`], undefined, `client ${c}: a write after ${last} landed without its last-c${c}`);
  }
  await node.stop();
});

test('SIGKILL keeps the auth store: users, keys and revocations survive', { timeout: 120_000 }, async (t) => {
  const node = await startNode({ t, initArgs: ['--auth-mode', 'embedded', '--auth-storage', 'persistent'] });
  const login = async (user: string, password: string) => http(node.url, 'POST', '/auth/token', passwordTokenRequest(user, password, 'crash-test'));

  const admin = await login('admin', 'admin-password-1');
  assert.equal(admin.status, 200, admin.text);
  const adminToken: string = admin.json.data.access_token;
  const auth = { authorization: `Bearer ${adminToken}` };

  // Users created before the kill (all acknowledged).
  const users = new Map<string, string>();
  for (let i = 0; i < 4; i++) {
    const name = `user${i}`;
    const pw = `password-${i}-${Math.floor(rand() * 1e6)}`;
    const r = await http(node.url, 'POST', '/admin/keys', { public_key: name, auth_method: 'user_password', provider_data: { username: name, password: pw } }, auth);
    assert.equal(r.status, 200, r.text);
    users.set(name, pw);
  }
  const tokens = new Map<string, string>();
  for (const [name, pw] of users) {
    const r = await login(name, pw);
    assert.equal(r.status, 200, r.text);
    tokens.set(name, r.json.data.access_token);
  }
  // A client key minted by the admin.
  const client = await http(node.url, 'POST', '/admin/client-key', { permissions: ['application:list'] }, auth);
  assert.equal(client.status, 200, client.text);
  const clientToken: string = client.json.data.access_token;

  // Revoke user1's root key.
  const keys = await http(node.url, 'GET', '/admin/keys', undefined, auth);
  assert.equal(keys.status, 200, keys.text);
  const user1Key = (keys.json.data as Array<{ key_id: string; public_key: string }>).find((k) => k.public_key === 'user1');
  assert.ok(user1Key, keys.text);
  const revoked = await http(node.url, 'DELETE', `/admin/keys/${user1Key.key_id}`, undefined, auth);
  assert.equal(revoked.status, 200, revoked.text);
  const revokedToken = tokens.get('user1')!;
  assert.equal((await http(node.url, 'GET', '/admin-api/applications', undefined, { authorization: `Bearer ${revokedToken}` })).status, 401);

  // More users created concurrently while the node is killed at a random point.
  let stop = false;
  const extra = new Map<string, string>();
  const creators = Array.from({ length: 4 }, async (_, c) => {
    for (let i = 0; !stop; i++) {
      const name = `late-${c}-${i}`;
      const pw = `late-password-${c}-${i}`;
      try {
        const r = await http(node.url, 'POST', '/admin/keys', { public_key: name, auth_method: 'user_password', provider_data: { username: name, password: pw } }, auth);
        if (r.status === 200) extra.set(name, pw);
      } catch {
        if (!stop) throw new Error(`request failed before the kill`);
      }
    }
  });
  await new Promise((r) => setTimeout(r, 200 + Math.floor(rand() * 600)));
  stop = true;
  await node.kill();
  await Promise.all(creators);
  t.diagnostic(`${extra.size} users acknowledged during the killed load`);

  await node.restart();
  // Tokens issued before the crash still verify (the JWT secret persisted), except the revoked one.
  const ok = (tok: string) => http(node.url, 'GET', '/admin-api/applications', undefined, { authorization: `Bearer ${tok}` });
  assert.equal((await ok(adminToken)).status, 200);
  assert.equal((await ok(clientToken)).status, 200);
  for (const [name, tok] of tokens) assert.equal((await ok(tok)).status, name === 'user1' ? 401 : 200, name);
  // Every acknowledged user logs in; the revoked one does not.
  for (const [name, pw] of [...users, ...extra]) {
    const r = await login(name, pw);
    assert.equal(r.status, name === 'user1' ? 401 : 200, `${name}: ${r.text}`);
  }
  const after = await http(node.url, 'GET', '/admin/keys', undefined, auth);
  const again = (after.json.data as Array<{ key_id: string; revoked_at: number | null }>).find((k) => k.key_id === user1Key.key_id);
  assert.ok(again?.revoked_at, 'the revocation survived');
  const clients = await http(node.url, 'GET', '/admin/keys/clients', undefined, auth);
  assert.equal(clients.status, 200);
  assert.ok((clients.json.data as unknown[]).length >= 1, 'the client key survived');
  await node.stop();
});
