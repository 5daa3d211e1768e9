import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idKey } from '../../util/ids.ts';
import { newKeypair } from '../contexts.ts';
import { makeDelta, type Delta } from './codec.ts';
import { APPLIED, refused, type RefusalCode } from './membership.ts';
import { PendingDag, type PendingEntry } from './pending.ts';

const ctx = newKeypair().publicKey;
const author = newKeypair();
let clock = 1n;
function delta(parents: Delta[], root = new Uint8Array(32)): Delta {
  return makeDelta(
    { contextId: ctx, parents: parents.length > 0 ? parents.map((p) => p.id) : [root], hlc: clock++, author: author.publicKey, payload: { type: 'state', ops: { kind: 'writes', writes: [] } }, events: null },
    author.secret,
  );
}
const pending = (d: Delta, at = Date.now()): PendingEntry => ({ delta: d, raw: new Uint8Array(0), peer: null, at });

/** Drains with `applied` as the store: returns the order entries were applied in. */
async function drain(dag: PendingDag, applied: Set<string>, refuse = new Set<string>(), code: RefusalCode = 'not_a_member') {
  const order: string[] = [];
  const refusedIds: string[] = [];
  await dag.drain(
    ctx,
    async (id) => applied.has(idKey(id)),
    async (e) => {
      const k = idKey(e.delta.id);
      if (refuse.has(k)) return refused(code);
      applied.add(k);
      order.push(k);
      return APPLIED;
    },
    (e, o) => {
      assert.equal(o.ok, false);
      refusedIds.push(idKey(e.delta.id));
    },
  );
  return { order, refusedIds };
}

test('entries received out of order are applied parents first, concurrent ones by (hlc, id)', async () => {
  const root = new Uint8Array(32).fill(1);
  const a = delta([], root);
  const b1 = delta([a]);
  const b2 = delta([a]);
  const c = delta([b1, b2]);
  const dag = new PendingDag();
  for (const d of [c, b2, b1, a]) dag.add(pending(d));
  assert.equal(dag.count(), 4);
  assert.ok(dag.has(ctx, c.id));
  const { order } = await drain(dag, new Set([idKey(root)]));
  assert.deepEqual(order, [a, b1, b2, c].map((d) => idKey(d.id)));
  assert.equal(dag.count(), 0);
});

test('an entry waits until its parents are applied', async () => {
  const a = delta([]);
  const b = delta([a]);
  const dag = new PendingDag();
  dag.add(pending(b));
  const applied = new Set([idKey(new Uint8Array(32))]);
  assert.deepEqual((await drain(dag, applied)).order, []);
  assert.equal(dag.count(), 1);
  dag.add(pending(a));
  assert.deepEqual((await drain(dag, applied)).order, [idKey(a.id), idKey(b.id)]);
});

test('a refused entry is remembered and its descendants keep waiting', async () => {
  const a = delta([]);
  const b = delta([a]);
  const dag = new PendingDag();
  dag.add(pending(a));
  dag.add(pending(b));
  const { order, refusedIds } = await drain(dag, new Set([idKey(new Uint8Array(32))]), new Set([idKey(a.id)]));
  assert.deepEqual(order, []);
  assert.deepEqual(refusedIds, [idKey(a.id)]);
  assert.ok(dag.isRejected(a.id));
  assert.ok(dag.has(ctx, b.id));
});

test('a refusal that is about this node now (apply threw, context gone, parent rolled back) is not remembered', async () => {
  for (const code of ['failed', 'unknown_context', 'parents_missing'] as const) {
    const a = delta([]);
    const dag = new PendingDag();
    dag.add(pending(a));
    const { refusedIds } = await drain(dag, new Set([idKey(new Uint8Array(32))]), new Set([idKey(a.id)]), code);
    assert.deepEqual(refusedIds, [idKey(a.id)], code);
    assert.equal(dag.isRejected(a.id), false, `${code}: fetched again by a later sync`);
    assert.equal(dag.has(ctx, a.id), false);
  }
});

test('limits: the oldest entry goes when a context is full; stale entries expire; forget drops a context', () => {
  const dag = new PendingDag({ maxPerContext: 2, ttlMs: 1000, maxRejected: 10 });
  const [a, b, c] = [delta([]), delta([]), delta([])];
  dag.add(pending(a, 0));
  dag.add(pending(b, 5000));
  dag.add(pending(c, 5000));
  assert.equal(dag.count(), 2);
  assert.ok(!dag.has(ctx, a.id));
  dag.expire(5500);
  assert.equal(dag.count(), 2);
  dag.expire(6001);
  assert.equal(dag.count(), 0);
  dag.add(pending(a));
  dag.forget(ctx);
  assert.equal(dag.count(), 0);
});

test('a full buffer hands the entry it evicts to onEvict (to be kept elsewhere, not lost)', () => {
  const evicted: string[] = [];
  const dag = new PendingDag({ maxPerContext: 2, ttlMs: 1000, maxRejected: 10 }, (e) => evicted.push(idKey(e.delta.id)));
  const [a, b, c] = [delta([]), delta([]), delta([])];
  dag.add(pending(a));
  dag.add(pending(b));
  assert.ok(dag.full(ctx));
  dag.add(pending(b)); // already there: nothing evicted
  assert.deepEqual(evicted, []);
  dag.add(pending(c));
  assert.deepEqual(evicted, [idKey(a.id)]);
  assert.ok(dag.has(ctx, b.id) && dag.has(ctx, c.id));
});
