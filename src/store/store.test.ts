import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batch, Store } from './store.ts';

test('a read view keeps showing the store as it was when taken, while commits go on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merod-store-view-'));
  const store = await Store.open(dir);
  try {
    const k = (n: number) => Buffer.from(`ctx-${n}`);
    await store.commit(new Batch().put('state', k(1), 'one').put('state', k(2), 'two'));
    const view = store.view();
    await store.commit(new Batch().put('state', k(1), 'ONE').delete('state', k(2)).put('state', k(3), 'three'));
    assert.equal((await view.get('state', k(1)))?.toString(), 'one');
    const seen: string[] = [];
    for await (const { key, value } of view.iterate('state', { prefix: Buffer.from('ctx-') })) seen.push(`${key}=${value}`);
    assert.deepEqual(seen, ['ctx-1=one', 'ctx-2=two']);
    assert.equal((await store.get('state', k(1)))?.toString(), 'ONE');
    await view.close();
    await view.close(); // closing twice is harmless
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('meta and identity reads are served from memory until written, and a read across a commit is not kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merod-store-cache-'));
  const store = await Store.open(dir);
  try {
    const k = Buffer.alloc(32, 1);
    assert.equal(await store.get('meta', k), null);
    await store.put('meta', k, 'v1'); // an absent value read before is not served after a write
    assert.equal((await store.get('meta', k))?.toString(), 'v1');
    assert.equal((await store.get('meta', k))?.toString(), 'v1');
    await store.commit(new Batch().put('meta', k, 'v2').put('identity', k, 'i1'));
    assert.equal((await store.get('meta', k))?.toString(), 'v2');
    assert.equal((await store.get('identity', k))?.toString(), 'i1');
    // Reads racing a commit: whatever they return, the next read after the commit sees the committed value.
    for (let round = 0; round < 50; round++) {
      const reads = Array.from({ length: 4 }, () => store.get('meta', k));
      const write = store.put('meta', k, `r${round}`);
      await Promise.all([...reads, write]);
      assert.equal((await store.get('meta', k))?.toString(), `r${round}`, `round ${round}`);
    }
    await store.delete('meta', k);
    assert.equal(await store.get('meta', k), null);
    assert.equal(await store.has('meta', k), false);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a durable commit fdatasyncs the store's own WAL file (an open handle to <store>/NNNNNN.log), not a path beside it", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merod-store-wal-'));
  const store = await Store.open(dir, { sync: true });
  const walHandles = () =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(`/proc/self/fd/${fd}`);
        return /\/\d+\.log$/.test(target) ? [target] : [];
      } catch {
        return []; // closed meanwhile
      }
    });
  try {
    const before = walHandles().filter((p) => p.startsWith(dir));
    await store.commit(new Batch().put('state', Buffer.from('k'), 'v'));
    // RocksDB holds one handle to its WAL for writing; the sync keeps its own, a second one to the same file.
    const after = walHandles().filter((p) => p.startsWith(dir));
    assert.equal(after.length, before.length + 1, `handles to the store's WAL: before [${before}], after [${after}]`);
    assert.equal(new Set(after).size, 1, `both handles name one file: [${after}]`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
