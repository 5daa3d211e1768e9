// A large context through JSON-RPC (issue #18 item 2): kv-store's entries() walks every record of the state,
// which the runtime answers from scans ahead of the guest's reads (src/runtime/read-cache.ts,
// src/node/read-ahead.ts). Every key must come back, paging must cover the same keys, and a reader running
// while a writer commits must never see a mix of two commits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';

const KEYS = 6000;
const key = (i: number) => `key-${String(i).padStart(6, '0')}`;

let n: InProcNode;
let rpc: (method: string, args: unknown, mode?: string) => Promise<any>;
before(async () => {
  n = await startInProcNode();
  const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
  const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
  rpc = async (method, args, mode = 'execute') => {
    const r = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: c.contextId, method, argsJson: args, executorPublicKey: c.memberPublicKey } });
    assert.equal(r.json.error, undefined, `${method}: ${r.text.slice(0, 300)}`);
    return r.json.result.output;
  };
  for (let i = 0; i < KEYS; i += 500) {
    const keys = Array.from({ length: Math.min(500, KEYS - i) }, (_, j) => key(i + j));
    await rpc('set_many', { keys: keys.join(','), value: 'v0' });
  }
});
after(() => n?.stop());

test('entries() of a large context answers with every key, through execute and query, after changes too', async () => {
  const all = Array.from({ length: KEYS }, (_, i) => key(i));
  for (const mode of ['execute', 'query']) {
    const got = await rpc('entries', {}, mode);
    assert.deepEqual(Object.keys(got), all, mode);
    assert.ok(Object.values(got).every((v) => v === 'v0'));
  }
  // Changes after the cache was filled: one removal, one update, one insert in the middle of the key space.
  await rpc('remove', { key: key(2500) });
  await rpc('set', { key: key(4000), value: 'changed' });
  await rpc('set', { key: `${key(1000)}-x`, value: 'new' });
  const got = await rpc('entries', {}, 'query');
  assert.equal(Object.keys(got).length, KEYS);
  assert.equal(got[key(2500)], undefined);
  assert.equal(got[key(4000)], 'changed');
  assert.equal(got[`${key(1000)}-x`], 'new');
  assert.equal(await rpc('len', {}, 'query'), KEYS);
  // Put back as it was for the next test.
  await rpc('remove', { key: `${key(1000)}-x` });
  await rpc('set_many', { keys: [key(2500), key(4000)].join(','), value: 'v0' });
});

test('entries_page pages through the same keys as entries()', async () => {
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = (await rpc('entries_page', after === null ? { limit: 700 } : { after, limit: 700 }, 'query')) as { entries: Record<string, string>; next: string | null };
    const keys = Object.keys(page.entries);
    assert.ok(keys.length <= 700);
    seen.push(...keys);
    if (page.next === null) break;
    assert.equal(page.next, keys.at(-1));
    after = page.next;
  }
  assert.deepEqual(seen, Object.keys(await rpc('entries', {}, 'query')));
  assert.deepEqual(await rpc('entries_page', { after: key(KEYS - 1), limit: 5 }, 'query'), { entries: {}, next: null });
});

test('a reader of the whole state while a writer commits sees one commit, never a mix', async () => {
  // Each round sets 200 keys spread over the whole key space to the round's number, in one commit.
  const spread = Array.from({ length: 200 }, (_, i) => key(i * 29));
  let writing = true;
  let rounds = 0;
  const writer = (async () => {
    for (let r = 1; r <= 15; r++) {
      await rpc('set_many', { keys: spread.join(','), value: `r${r}` });
      rounds = r;
    }
    writing = false;
  })();
  let reads = 0;
  while (writing || reads < 3) {
    const acknowledged = rounds;
    // `execute`, which upstream clients send: its answer must be of one committed state (a `query` is not
    // re-run when a commit overlaps it, so it may mix).
    const got = await rpc('entries', {});
    const values = new Set(spread.map((k) => got[k]));
    assert.equal(values.size, 1, `one read saw ${[...values].join(', ')}`);
    const [v] = values;
    if (acknowledged > 0) assert.ok(Number(String(v).slice(1)) >= acknowledged, `${v} is older than round ${acknowledged}`);
    reads++;
  }
  await writer;
  assert.ok(reads >= 3);
});
