// The RocksDB store below the node (src/store): atomic commits and the upgrade of stores written by earlier
// versions. Everything else about the store is exercised through the node's public surfaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RocksDB from 'rocksdb-native';
import { Batch, Store } from '../src/store/store.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a batch spanning columns is one RocksDB write (no torn commits)', async (t) => {
  const store = await Store.open(tempDir(t), { sync: true });
  try {
    const stats = (store as unknown as { db: { stats: { writeBatches: number } } }).db.stats;
    const before = stats.writeBatches;
    await store.commit(
      new Batch().put('state', Buffer.from('k'), 'v').put('identity', Buffer.from('i'), 'x').delete('state', Buffer.from('gone')).put('meta', Buffer.from('m'), 'y'),
    );
    assert.equal(stats.writeBatches - before, 1, 'one native write for the whole batch');
    assert.equal(String(await store.get('state', Buffer.from('k'))), 'v');
    assert.equal(String(await store.get('identity', Buffer.from('i'))), 'x');
    assert.equal(String(await store.get('meta', Buffer.from('m'))), 'y');
    assert.equal(await store.get('meta', Buffer.from('k')), null, 'each write landed in its own column');
  } finally {
    await store.close();
  }
});

test('columns do not see each other in iteration, prefixes and ranges', async (t) => {
  const store = await Store.open(tempDir(t));
  try {
    const b = new Batch();
    for (const k of ['a1', 'a2', 'b1']) b.put('state', Buffer.from(k), k.toUpperCase());
    b.put('meta', Buffer.from('a3'), 'other column').put('identity', Buffer.alloc(0), 'empty key');
    await store.commit(b);
    const keys = async (o: Parameters<Store['keys']>[1]) => (await store.keys('state', o)).map(String);
    assert.deepEqual(await keys({}), ['a1', 'a2', 'b1']);
    assert.deepEqual(await keys({ prefix: Buffer.from('a') }), ['a1', 'a2']);
    assert.deepEqual(await keys({ gte: Buffer.from('a2') }), ['a2', 'b1']);
    assert.deepEqual(await keys({ lt: Buffer.from('b') }), ['a1', 'a2']);
    assert.deepEqual(await keys({ reverse: true, limit: 2 }), ['b1', 'a2']);
    assert.deepEqual((await store.keys('identity', {})).map(String), ['']);
    await store.commit(await store.deletePrefix('state', Buffer.from('a')));
    assert.deepEqual(await keys({}), ['b1']);
    assert.equal(String(await store.get('meta', Buffer.from('a3'))), 'other column');
  } finally {
    await store.close();
  }
});

test('a store from before the single key space (a column family per column) is migrated on open, losing nothing', async (t) => {
  const dir = tempDir(t);
  const legacy = new RocksDB(dir, { columnFamilies: ['meta', 'state', 'identity', 'auth'] });
  await legacy.ready();
  await legacy.columnFamily('meta').put(Buffer.from('ctx'), Buffer.from('{"rootHash":"x"}'));
  const w = legacy.columnFamily('state').write();
  for (let i = 0; i < 2500; i++) w.tryPut(Buffer.from(`ctx-key-${String(i).padStart(4, '0')}`), Buffer.from(String(i)));
  await w.flush();
  w.destroy();
  await legacy.columnFamily('auth').put(Buffer.from('user:alice'), Buffer.from('hash'));
  await legacy.close();

  for (let round = 0; round < 2; round++) {
    const store = await Store.open(dir, { sync: true });
    try {
      assert.equal(String(await store.get('meta', Buffer.from('ctx'))), '{"rootHash":"x"}');
      assert.equal(String(await store.get('auth', Buffer.from('user:alice'))), 'hash');
      const state = await store.keys('state', { prefix: Buffer.from('ctx-key-') });
      assert.equal(state.length, 2500 + round, `round ${round}`);
      assert.equal(String(await store.get('state', Buffer.from('ctx-key-2499'))), '2499');
      assert.deepEqual(await store.keys('identity', {}), []);
      if (round === 0) await store.put('state', Buffer.from('ctx-key-9999'), 'written after the migration');
    } finally {
      await store.close();
    }
  }
  // The old families are empty: the records live only in the new key space.
  const raw = new RocksDB(dir, { columnFamilies: ['meta', 'state', 'identity', 'auth'] });
  await raw.ready();
  let left = 0;
  for await (const _ of raw.columnFamily('state').iterator({})) left++;
  await raw.close();
  assert.equal(left, 0);
});

test('concurrent synced commits share WAL syncs (group commit); one at a time, each has its own', async (t) => {
  const store = await Store.open(tempDir(t), { sync: true });
  try {
    let before = store.walSyncs;
    for (let i = 0; i < 5; i++) await store.put('state', Buffer.from(`seq${i}`), String(i));
    assert.equal(store.walSyncs - before, 5, 'a commit never resolves on a sync that began before its write');
    before = store.walSyncs;
    const N = 64;
    await Promise.all(Array.from({ length: N }, (_, i) => store.put('state', Buffer.from(`k${i}`), String(i))));
    const syncs = store.walSyncs - before;
    assert.ok(syncs >= 1 && syncs < N, `${N} concurrent commits took ${syncs} WAL syncs`);
    for (let i = 0; i < N; i++) assert.equal(String(await store.get('state', Buffer.from(`k${i}`))), String(i));
    before = store.walSyncs;
    await store.commit(new Batch().put('state', Buffer.from('unsynced'), 'x'), { sync: false });
    assert.equal(store.walSyncs, before, 'a commit asked not to sync does not');
  } finally {
    await store.close();
  }
});

test('a deferred commit is readable once written and durable after a sync that began after its write; synced() waits for it', async (t) => {
  const store = await Store.open(tempDir(t), { sync: true });
  try {
    await store.synced(); // nothing written: at once
    const before = store.walSyncs;
    let durable = false;
    const first = await store.commitDeferred(new Batch().put('state', Buffer.from('a'), '1'));
    void first.durable.then(() => (durable = true));
    // The next writer sees the first write before its sync (what one context's next mutation runs on).
    assert.equal(String(await store.get('state', Buffer.from('a'))), '1');
    const second = await store.commitDeferred(new Batch().put('state', Buffer.from('b'), '2'));
    let readerDone = false;
    const reader = store.synced().then(() => (readerDone = true));
    await first.durable;
    assert.ok(durable);
    await second.durable;
    await reader;
    assert.ok(readerDone);
    // Each durable promise resolved on a sync that began after its write: the second write came during the
    // first sync, so it took a sync of its own.
    assert.equal(store.walSyncs - before, 2);
    const settled = store.walSyncs;
    await store.synced();
    assert.equal(store.walSyncs, settled, 'synced() starts no sync when every write is covered');
  } finally {
    await store.close();
  }
});
