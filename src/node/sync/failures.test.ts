import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch } from '../../store/store.ts';
import { tempStore } from '../../../test/helpers/store.ts';
import { encodeId, idKey } from '../../util/ids.ts';
import { newKeypair } from '../contexts.ts';
import { makeDelta, type Delta } from './codec.ts';
import { Failures } from './failures.ts';
import { APPLIED, type ApplyOutcome } from './membership.ts';
import { PendingDag } from './pending.ts';

const ctx = newKeypair().publicKey;
const author = newKeypair();
let clock = 1n;
function delta(parents: Delta[]): Delta {
  return makeDelta(
    { contextId: ctx, parents: parents.length > 0 ? parents.map((p) => p.id) : [new Uint8Array(32)], hlc: clock++, author: author.publicKey, payload: { type: 'state', ops: { kind: 'writes', writes: [] } }, events: null },
    author.secret,
  );
}

test('a poisoned delta is applied with its failure: its siblings and descendants still apply', async () => {
  const root = delta([]);
  const poisoned = delta([root]);
  const sibling = delta([root]);
  const child = delta([poisoned]);
  const grandchild = delta([child, sibling]);
  const dag = new PendingDag();
  for (const d of [grandchild, child, sibling, poisoned]) dag.add({ delta: d, raw: new Uint8Array(0), peer: null, at: Date.now() });
  const applied = new Set([idKey(root.id)]);
  const failed: string[] = [];
  await dag.drain(
    ctx,
    async (id) => applied.has(idKey(id)),
    async (e): Promise<ApplyOutcome> => {
      applied.add(idKey(e.delta.id));
      if (e.delta === poisoned) {
        failed.push(idKey(e.delta.id));
        return { ok: true, failed: '__calimero_sync_next failed: invalid signature' };
      }
      return APPLIED;
    },
    () => assert.fail('nothing is refused'),
  );
  assert.equal(dag.countOf(ctx), 0, 'nothing waits behind the poisoned delta');
  assert.deepEqual(failed, [idKey(poisoned.id)]);
  for (const d of [poisoned, sibling, child, grandchild]) assert.ok(applied.has(idKey(d.id)));
  assert.equal(dag.isRejected(poisoned.id), false, 'an entry applied with a failure is not a refused one');
});

test('failure records: kept with their reason and attempts, listed oldest first, cleared once a retry merges', async (t) => {
  const store = await tempStore(t, 'failures');
  const failures = new Failures(store);
  const first = delta([]);
  const second = delta([first]);
  let b = new Batch();
  await failures.stage(b, second, 'no app', 1_000);
  await failures.stage(b, first, 'trap', 1_000);
  await store.commit(b);
  assert.deepEqual((await failures.list(ctx)).map((r) => r.id), [encodeId(first.id), encodeId(second.id)]);
  // A retry that fails again counts the attempt and keeps the first time.
  b = new Batch();
  await failures.stage(b, first, 'trap again', 2_000);
  await store.commit(b);
  const rec = await failures.get(ctx, first.id);
  assert.deepEqual(
    { reason: rec?.reason, attempts: rec?.attempts, firstFailedAt: rec?.firstFailedAt, lastTriedAt: rec?.lastTriedAt, author: rec?.author, hlc: rec?.hlc },
    { reason: 'trap again', attempts: 2, firstFailedAt: 1_000, lastTriedAt: 2_000, author: encodeId(author.publicKey), hlc: first.hlc.toString() },
  );
  // The fix: the retry merges, the record goes; another context's records are not listed.
  b = new Batch();
  failures.clear(b, ctx, first.id);
  await store.commit(b);
  assert.deepEqual((await failures.list(ctx)).map((r) => r.id), [encodeId(second.id)]);
  assert.deepEqual(await failures.list(newKeypair().publicKey), []);
});

test('any(): whether a context holds failure records, kept between asks and right after every commit that changes them', async (t) => {
  const store = await tempStore(t, 'failures-any');
  const failures = new Failures(store);
  const d = delta([]);
  assert.equal(await failures.any(ctx), false);
  assert.equal(await failures.any(ctx), false); // kept
  let b = new Batch();
  await failures.stage(b, d, 'trap');
  await store.commit(b);
  assert.equal(await failures.any(ctx), true);
  assert.equal(await failures.any(newKeypair().publicKey), false, 'another context');
  b = new Batch();
  failures.clear(b, ctx, d.id);
  await store.commit(b);
  assert.equal(await failures.any(ctx), false);
});
