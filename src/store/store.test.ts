import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
