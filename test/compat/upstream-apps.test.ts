/**
 * Upstream-built apps (the compatibility corpus) across three real nodes: kv_store and sync_test installed on
 * A, contexts shared with B and C by invitation, then writes from every node readable on the others
 * (sync_test's user-owned storage needs the executor's signature on its actions), a delta whose user action
 * is tampered is not merged by the receivers while the context keeps replicating, and a restarted node
 * catches up.
 *
 * The tampered delta is crafted here and gossiped over the wire: a test identity is invited as a member, its
 * own copy of sync_test (our runtime, an in-memory store) makes a `user_set_simple` artifact, which is signed
 * as the node would sign it and then altered, and sent as a correctly signed DAG entry whose parents are A's
 * heads. The corpus is read from ../shared/compat/upstream-apps (or $CALIMERO_COMPAT_APPS), never copied.
 */
import '../../src/polyfills.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { startNode, type TestNode, swarmAddressOf } from '../helpers/node.ts';
import { api } from '../helpers/http.ts';
import { until } from '../helpers/until.ts';
import { CORPUS, requireCorpus } from './corpus.ts';
import { createContext, joinByInvitation } from '../helpers/share.ts';
import { Network } from '../../src/network/index.ts';
import { Runtime } from '../../src/runtime/index.ts';
import { createHash } from 'node:crypto';
import { concat, decodeId, encodeId } from '../../src/util/ids.ts';
import { addDigest, entryDigest, newKeypair } from '../../src/node/contexts.ts';
import { Store } from '../../src/store/store.ts';
import { encodeDelta, encodeGossip, Hlc, makeDelta } from '../../src/node/sync/codec.ts';
import { decodeArtifact, encodeArtifact, signArtifact } from '../../src/calimero/index.ts';

const APPS = ['kv_store', 'sync_test'] as const;
type App = (typeof APPS)[number];

let A: TestNode, B: TestNode, C: TestNode;
const ctx = {} as Record<App, string>;
/** Member public key per node name, per context. */
const members = {} as Record<App, Record<string, string>>;

async function rpc(n: TestNode, app: App, method: string, args: unknown): Promise<unknown> {
  const r = await api(n.url).post('/jsonrpc', {
    jsonrpc: '2.0',
    id: 1,
    method: 'execute',
    params: { contextId: ctx[app], method, argsJson: args, executorPublicKey: members[app][n.node] },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.error, undefined, `${n.node} ${app}.${method}: ${r.text}`);
  return r.json.result.output;
}

/** Waits until `method(args)` answers `expected` on every node in `nodes`. */
async function everywhere(nodes: TestNode[], app: App, method: string, args: unknown, expected: unknown, what: string): Promise<void> {
  for (const n of nodes) {
    await until(`${what} on ${n.node}`, async () => JSON.stringify(await rpc(n, app, method, args)) === JSON.stringify(expected));
  }
}

/** A node's root hash and heads of an app's context (heads joined, base58). */
async function rootOf(n: TestNode, app: App): Promise<{ root: string; heads: string }> {
  const data = (await api(n.url).get(`/admin-api/contexts/${ctx[app]}`)).json.data;
  return { root: data.rootHash, heads: (data.dagHeads as number[][]).map((h) => encodeId(Uint8Array.from(h))).join(',') };
}

/** Waits until every node in `nodes` has the same heads of the app's context; returns their roots. */
async function settled(nodes: TestNode[], app: App): Promise<string[]> {
  return until(`${app}: equal heads on ${nodes.map((n) => n.node).join(', ')}`, async () => {
    const views = await Promise.all(nodes.map((n) => rootOf(n, app)));
    return views.every((v) => v.heads === views[0]!.heads) && views.map((v) => v.root);
  }, 60_000);
}

/** A counter of /metrics (0 when absent). */
async function metric(n: TestNode, line: string): Promise<number> {
  const text = (await api(n.url).get('/metrics')).text;
  const m = new RegExp(`^${line.replace(/[{}]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

before(async () => {
  requireCorpus(APPS);
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'] });
  const boot = swarmAddressOf(A);
  [B, C] = await Promise.all([
    startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
    startNode({ node: 'c', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
  ]);
  await until('A sees B and C', async () => (await api(A.url).get('/admin-api/peers')).json.count === 2);
  for (const app of APPS) {
    const created = await createContext(A, join(CORPUS, `${app}.wasm`), [...Buffer.from('{}')]);
    ctx[app] = created.ctx;
    members[app] = { a: created.member };
    await joinByInvitation(A, ctx[app], members[app], [B, C]);
  }
});

test('kv_store: a value set on each node is readable on the others', async () => {
  for (const n of [A, B, C]) await rpc(n, 'kv_store', 'set', { key: `from-${n.node}`, value: `value of ${n.node}` });
  for (const n of [A, B, C]) await everywhere([A, B, C], 'kv_store', 'get', { key: `from-${n.node}` }, `value of ${n.node}`, `kv_store ${n.node}'s key`);
  const entries = await Promise.all([A, B, C].map((n) => rpc(n, 'kv_store', 'entries', {})));
  assert.deepEqual(entries[1], entries[0]);
  assert.deepEqual(entries[2], entries[0]);
  // Different keys written concurrently on three nodes: at equal heads the roots are equal too.
  const roots = await settled([A, B, C], 'kv_store');
  assert.deepEqual(roots, [roots[0], roots[0], roots[0]], 'kv_store roots at equal heads');
});

test('sync_test: user-owned storage written on each node is readable on the others', async () => {
  for (const n of [A, B, C]) await rpc(n, 'sync_test', 'user_set_simple', { value: `mine, says ${n.node}` });
  for (const n of [A, B, C]) {
    await everywhere([A, B, C], 'sync_test', 'user_get_simple_for', { user_key: members.sync_test[n.node] }, `mine, says ${n.node}`, `${n.node}'s user value`);
  }
  // A later write of the same user entity (an Update with a fresh nonce) replicates too.
  await rpc(B, 'sync_test', 'user_set_simple', { value: 'changed by b' });
  await everywhere([A, C], 'sync_test', 'user_get_simple_for', { user_key: members.sync_test.b }, 'changed by b', "b's second user value");
  // sync_test's roots differ at equal heads (calimero-storage leaves entities born in replays, docs/network.md):
  // the nodes note it as the inherent case and repair nothing.
  const roots = await settled([A, B, C], 'sync_test');
  assert.notEqual(new Set(roots).size, 1, 'sync_test roots are expected to differ');
  await until('a node judged the difference inherent', async () => {
    for (const n of [A, B, C]) if ((await metric(n, 'merod_sync_root_differences_inherent_total')) > 0) return true;
    return false;
  }, 60_000);
  for (const n of [A, B, C]) assert.equal(await metric(n, 'merod_sync_repairs_total{outcome="repaired"}'), 0, `${n.node} repaired an inherent difference`);
});

test('a delta whose user action is tampered is not merged by the receivers; the context keeps replicating', async () => {
  const app: App = 'sync_test';
  const contextId = decodeId(ctx[app]);
  const mallory = newKeypair();
  const inv = await api(A.url).post('/admin-api/contexts/invite', { contextId: ctx[app], inviterId: members[app].a, inviteeId: encodeId(mallory.publicKey) });
  assert.equal(inv.status, 200, inv.text);

  // Mallory's own copy of sync_test makes a user_set_simple artifact; the node's signing, then one byte changed.
  const runtime = new Runtime({ workers: 1, timeoutMs: 30_000 });
  const state = new Map<string, Uint8Array>();
  const call = async (method: string, args: unknown) => {
    const o = await runtime.call({
      moduleId: 'compat:mallory',
      wasm: async () => readFileSync(join(CORPUS, `${app}.wasm`)),
      method,
      input: Buffer.from(JSON.stringify(args)),
      contextId,
      executorId: mallory.publicKey,
      host: { storageRead: async (k) => state.get(Buffer.from(k).toString('hex')) ?? null },
      timeoutMs: 30_000,
    });
    assert.equal(o.error, null, o.error?.message);
    for (const w of o.writes.values()) {
      if (w.value) state.set(Buffer.from(w.key).toString('hex'), w.value);
      else state.delete(Buffer.from(w.key).toString('hex'));
    }
    return o.artifact;
  };
  let artifact: Uint8Array;
  try {
    await call('init', {});
    const signed = signArtifact(await call('user_set_simple', { value: 'forged' }), mallory.secret);
    assert.equal(signed.signed, 1);
    const decoded = decodeArtifact(signed.artifact, { layouts: [signed.layout!] });
    assert.equal(decoded.delta.kind, 'Actions');
    const victim = decoded.delta.kind === 'Actions' ? decoded.delta.actions.find((x) => (x.kind === 'Add' || x.kind === 'Update') && x.metadata.storageType.kind === 'User') : undefined;
    assert.ok(victim && (victim.kind === 'Add' || victim.kind === 'Update'));
    victim.data[victim.data.length - 1]! ^= 1;
    artifact = encodeArtifact(decoded);
  } finally {
    await runtime.close();
  }

  const net = await Network.start({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [swarmAddressOf(A)], mdns: false, logger: pino({ level: 'silent' }) });
  try {
    net.subscribe(ctx[app]);
    await until('the sender in the topic', async () => net.topicPeers(ctx[app]).length > 0);
    await new Promise((r) => setTimeout(r, 1500)); // mesh
    // Mallory's membership entry is applied everywhere before its delta arrives (its parents include it).
    await until('A has applied the invitation', async () => (await api(A.url).get(`/admin-api/contexts/${ctx[app]}/identities`)).json.data.identities.includes(encodeId(mallory.publicKey)));
    const meta = (await api(A.url).get(`/admin-api/contexts/${ctx[app]}`)).json.data;
    const parents = (meta.dagHeads as number[][]).map((h) => Uint8Array.from(h));
    const forged = makeDelta(
      { contextId, parents, hlc: new Hlc().now(), author: mallory.publicKey, payload: { type: 'state', ops: { kind: 'artifact', artifact } }, events: null },
      mallory.secret,
    );
    await net.publish(ctx[app], encodeGossip({ type: 'delta', delta: encodeDelta(forged) }));
    const failedOn = async (n: TestNode) => Number(/^merod_sync_entries_total\{event="failed"\} (\d+)$/m.exec((await api(n.url).get('/metrics')).text)?.[1] ?? 0);
    for (const n of [A, B, C]) {
      await until(`${n.node} records the failed merge`, async () => (await failedOn(n)) >= 1).catch(async (err: Error) => {
        const log = n.output().split('\n').slice(-12).join('\n');
        const m = (await api(n.url).get('/metrics')).text.split('\n').filter((l) => l.startsWith('merod_sync')).join('\n');
        const probe = await rpc(n, app, 'user_get_simple_for', { user_key: encodeId(mallory.publicKey) }).catch((e: Error) => e.message);
        throw new Error(`${err.message}\n${log}\n${m}\nprobe=${JSON.stringify(probe)} forged=${encodeId(forged.id)} heads=${JSON.stringify((await api(n.url).get(`/admin-api/contexts/${ctx[app]}`)).json.data.dagHeads.map((h: number[]) => encodeId(Uint8Array.from(h))))}`);
      });
      await until(`${n.node} logs the failed merge`, async () => /"level":50.*a delta was applied without its state changes/.test(n.output()), 10_000);
      assert.equal(await rpc(n, app, 'user_get_simple_for', { user_key: encodeId(mallory.publicKey) }), null, `${n.node} merged the tampered action`);
    }
    // The forged entry is in every node's DAG, so what comes after it (its descendants) still applies.
    await rpc(A, app, 'user_set_simple', { value: 'after the forgery' });
    await everywhere([B, C], app, 'user_get_simple_for', { user_key: members[app].a }, 'after the forgery', "A's value written after the forged delta");
  } finally {
    await net.stop();
  }
});

test('a restarted node catches up with writes made while it was down', async () => {
  await C.stop();
  await rpc(A, 'kv_store', 'set', { key: 'while-c-was-down', value: 'from a' });
  await rpc(B, 'sync_test', 'user_set_simple', { value: 'b wrote while c was down' });
  await C.restart();
  await everywhere([C], 'kv_store', 'get', { key: 'while-c-was-down' }, 'from a', 'kv_store catch-up');
  await everywhere([C], 'sync_test', 'user_get_simple_for', { user_key: members.sync_test.b }, 'b wrote while c was down', 'sync_test catch-up');
});

test('a node whose state diverged at equal heads is repaired from its peers, once', async () => {
  await settled([A, B, C], 'kv_store');
  await C.stop();
  // Real divergence: a record C alone holds, with its digest and a root to match (as a lost or corrupted write
  // would leave it), while its heads stay those of A and B.
  const contextId = decodeId(ctx.kv_store);
  const junk = { key: new Uint8Array(32).fill(0xee), value: Buffer.from('diverged') };
  const store = await Store.open(join(C.dir, 'data'));
  try {
    const meta = JSON.parse((await store.get('meta', contextId))!.toString('utf8'));
    meta.stateSum = addDigest(meta.stateSum, entryDigest(junk.key, junk.value), 1);
    meta.sizeInBytes += junk.key.length + junk.value.length;
    meta.rootHash = encodeId(createHash('sha256').update('diverged').digest());
    await store.put('state', concat(contextId, junk.key), junk.value);
    await store.put('meta', contextId, JSON.stringify(meta));
  } finally {
    await store.close();
  }
  await C.restart();
  const honest = (await rootOf(A, 'kv_store')).root;
  assert.notEqual((await rootOf(C, 'kv_store')).root, honest);
  await until('C repaired', async () => (await rootOf(C, 'kv_store')).root === honest, 90_000);
  assert.equal(await metric(C, 'merod_sync_repairs_total{outcome="repaired"}'), 1);
  await until('C logs the repair', async () => /repaired a diverged context/.test(C.output()), 10_000);
  for (const n of [A, B]) assert.equal(await metric(n, 'merod_sync_repairs_total{outcome="repaired"}'), 0, `${n.node} repaired from the diverged node`);
  // The context keeps replicating to C, which reads what the others hold; the junk record is gone.
  await rpc(A, 'kv_store', 'set', { key: 'after-repair', value: 'from a' });
  await everywhere([C], 'kv_store', 'get', { key: 'after-repair' }, 'from a', 'a write after the repair');
  await C.stop();
  const check = await Store.open(join(C.dir, 'data'));
  try {
    assert.equal(await check.get('state', concat(contextId, junk.key)), null, 'the diverged record is gone');
  } finally {
    await check.close();
  }
});

after(async () => {
  await Promise.allSettled([A, B, C].filter(Boolean).map((n) => n.stop()));
});
