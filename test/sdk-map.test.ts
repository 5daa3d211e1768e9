// The AssemblyScript SDK's UnorderedMap (apps/sdk) through the kv-store app: its key index is cut into chunks at
// keys chosen by their hash, so the same keys must give the same records — and the same app root hash — however
// they were inserted and removed. That is what lets nodes that applied concurrent inserts in different orders agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';

let n: InProcNode;
let app: string;
before(async () => {
  n = await startInProcNode();
  app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
});
after(() => n?.stop());

async function context() {
  const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
  const rpc = async (method: string, args: unknown, mode = 'execute') => {
    const r = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: c.contextId, method, argsJson: args, executorPublicKey: c.memberPublicKey } });
    assert.equal(r.json.error, undefined, r.text);
    return r.json.result.output;
  };
  const state = async () => ({
    root: (await call(n.url, 'GET', `/admin-api/contexts/${c.contextId}`)).json.data.rootHash as string,
    entries: await rpc('entries', {}, 'query'),
    len: await rpc('len', {}, 'query'),
  });
  return { rpc, state };
}

/** A deterministic shuffle (the same on every run). */
function shuffled<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test('the same keys give the same index records and root, whatever the order of inserts and removals', async () => {
  const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
  const boundaries = keys.filter((k) => createHash('sha256').update(k).digest()[0]! < 4);
  assert.ok(boundaries.length >= 3, `the key set exercises chunk splits (${boundaries.length} boundary keys)`);
  const [a, b, empty] = await Promise.all([context(), context(), context()]);
  const initial = (await empty.state()).root;
  await Promise.all([
    (async () => { for (const k of keys) await a.rpc('set', { key: k, value: `v-${k}` }); })(),
    (async () => { for (const k of shuffled(keys, 7)) await b.rpc('set', { key: k, value: `v-${k}` }); })(),
  ]);
  const [sa, sb] = await Promise.all([a.state(), b.state()]);
  assert.equal(sa.len, 300);
  assert.deepEqual(Object.keys(sa.entries), [...keys].sort());
  assert.deepEqual(sb, sa);

  // Remove half (boundary keys included) in two other orders.
  const gone = [...boundaries, ...keys.filter((_, i) => i % 2 === 0)].filter((k, i, all) => all.indexOf(k) === i);
  await Promise.all([
    (async () => { for (const k of shuffled(gone, 3)) assert.equal(await a.rpc('remove', { key: k }), `v-${k}`); })(),
    (async () => { for (const k of shuffled(gone, 11)) await b.rpc('remove', { key: k }); })(),
  ]);
  const [ra, rb] = await Promise.all([a.state(), b.state()]);
  const kept = keys.filter((k) => !gone.includes(k)).sort();
  assert.deepEqual(Object.keys(ra.entries), kept);
  assert.equal(ra.len, kept.length);
  assert.deepEqual(rb, ra);

  // Emptied by `clear` and by removals: nothing of the index is left, so the root is the initial one.
  await a.rpc('clear', {});
  for (const k of kept) await b.rpc('remove', { key: k });
  for (const s of await Promise.all([a.state(), b.state()])) assert.deepEqual(s, { root: initial, entries: {}, len: 0 });
});
