import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch } from '../../store/store.ts';
import { tempStore } from '../../../test/helpers/store.ts';
import { ContextFlag } from './context-flag.ts';

const ctx = new Uint8Array(32).fill(7);
const other = new Uint8Array(32).fill(8);
const key = (c: Uint8Array) => Buffer.concat([c, Buffer.from('flag')]);

test('kept until a commit touches its records; a read that such a commit overlapped is not kept', async (t) => {
  const store = await tempStore(t, 'context-flag');
  let reads = 0;
  let during: (() => Promise<void>) | null = null;
  const flag = new ContextFlag(
    store,
    (op) => (op.col === 'generic' && op.key.length === 36 ? op.key.subarray(0, 32) : null),
    async (c) => {
      reads++;
      const value = (await store.get('generic', key(c))) !== null;
      if (during) await during();
      return value;
    },
  );
  assert.equal(await flag.get(ctx), false);
  assert.equal(await flag.get(ctx), false);
  assert.equal(reads, 1, 'kept');
  await store.commit(new Batch().put('generic', key(other), 'x'));
  assert.equal(await flag.get(ctx), false);
  assert.equal(reads, 1, "another context's records touched: this one's kept answer stands");
  await store.commit(new Batch().put('generic', key(ctx), 'x'));
  assert.equal(await flag.get(ctx), true, 'a commit touching it drops what was kept');
  // A commit lands while a read is under way: the read's (old) answer is returned but not kept.
  await store.commit(new Batch().delete('generic', key(ctx)));
  during = async () => {
    during = null;
    await store.commit(new Batch().put('generic', key(ctx), 'y'));
  };
  assert.equal(await flag.get(ctx), false);
  assert.equal(await flag.get(ctx), true, 'read again, not the overlapped answer');
});
