// The runtime's read-ahead (src/runtime/read-cache.ts) through Runtime.call with kv-store, over a committed state
// the test holds and serves like the node does (src/node/read-ahead.ts): a walk of the whole state costs few
// round trips, later calls at the same version none; the call's own writes win over what was scanned; a scan
// the host took at another version than the call's is used for that one read only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApps } from '../apps/build.ts';
import { packEntries, Runtime, type RuntimeHost } from '../src/runtime/index.ts';
import { dec, enc, runKv, type KvState } from './helpers/kv-runtime.ts';

let runtime: Runtime;
before(async () => {
  await buildApps();
  runtime = new Runtime({ workers: 1 }); // one worker: every call sees the same read cache
});
after(() => runtime.close());

const KEYS = 2000;
const key = (i: number) => `key-${String(i).padStart(5, '0')}`;

/** A host serving `state` with scans tagged `version()`, counting what it is asked. */
function scanningHost(state: KvState, version: () => number) {
  const asked = { reads: 0, scans: 0 };
  const host: RuntimeHost = {
    storageRead: async (k) => {
      asked.reads++;
      return state.get(dec(k)) ?? null;
    },
    storageReadAhead: async (k, limit) => {
      asked.scans++;
      // Records in byte order of their names (these names are ASCII, so string order is byte order).
      const names = [...state.keys()].filter((n) => n >= dec(k)).sort();
      const listed = names.slice(0, limit);
      return { version: version(), entries: packEntries(listed.map((n) => [enc(n), state.get(n)!])), toEnd: listed.length === names.length };
    },
  };
  return { host, asked };
}

test('a walk of the whole state takes few round trips; the call’s own writes win over scanned values', async () => {
  const state: KvState = new Map();
  await runKv(runtime, state, 'init', {});
  for (let i = 0; i < KEYS; i += 500) await runKv(runtime, state, 'set_many', { keys: Array.from({ length: 500 }, (_, j) => key(i + j)).join(','), value: 'v' });
  let version = 7;
  const { host, asked } = scanningHost(state, () => version);

  const { result } = await runKv(runtime, state, 'entries', {}, { host, stateVersion: 7 });
  assert.equal(Object.keys(result as object).length, KEYS);
  const trips = asked.reads + asked.scans;
  assert.ok(trips < KEYS / 20, `${trips} round trips for ${KEYS} entries (${asked.reads} reads, ${asked.scans} scans)`);
  assert.ok(asked.scans > 0);

  await runKv(runtime, state, 'entries', {}, { host, stateVersion: 7 });
  assert.equal(asked.reads + asked.scans, trips, 'the same version again: answered from the cache');

  // A key twice in one call: the second `has` must see the first write (not the scanned "absent"), or the key
  // would be indexed twice and counted twice. The call writes, so the state moves to a new version after it.
  await runKv(runtime, state, 'set_many', { keys: `${key(500)}-x,${key(500)}-x`, value: 'w' }, { host, stateVersion: 7 });
  version = 8;
  assert.equal((await runKv(runtime, state, 'len', {}, { host, stateVersion: 8 })).result, KEYS + 1);
  const entries = (await runKv(runtime, state, 'entries', {}, { host, stateVersion: 8 })).result as Record<string, string>;
  assert.equal(Object.keys(entries).length, KEYS + 1);
  assert.equal(entries[`${key(500)}-x`], 'w');
});

test('a scan taken at another version than the call reads answers that read only', async () => {
  const state: KvState = new Map();
  await runKv(runtime, state, 'init', {});
  await runKv(runtime, state, 'set_many', { keys: Array.from({ length: 300 }, (_, j) => key(j)).join(','), value: 'v' });
  const { host, asked } = scanningHost(state, () => 99); // as if a commit always overlapped the scan
  const first = await runKv(runtime, state, 'entries', {}, { host, stateVersion: 20 });
  assert.equal(Object.keys(first.result as object).length, 300);
  const trips = asked.reads + asked.scans;
  await runKv(runtime, state, 'entries', {}, { host, stateVersion: 20 });
  const scans = asked.scans;
  assert.ok(asked.reads + asked.scans > trips, 'asked again: nothing of the other version was kept');
  assert.ok(scans > 0);
});
