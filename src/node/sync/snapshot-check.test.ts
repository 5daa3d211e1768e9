import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idKey } from '../../util/ids.ts';
import { newKeypair } from '../contexts.ts';
import { makeDelta, type Delta } from './codec.ts';
import { setHash } from './memberships.ts';
import { TAG, type Row } from './records.ts';
import { checkSets } from './snapshot-check.ts';

const ctx = newKeypair();
const entries: Delta[] = [1n, 2n].map((hlc) =>
  makeDelta({ contextId: ctx.publicKey, parents: [], hlc, author: ctx.publicKey, payload: { type: 'member', op: 'add', member: new Uint8Array(32), capability: 0 }, events: null }, ctx.secret),
);
const ids = entries.map((d) => idKey(d.id)).sort();
const row = (tag: number, rest: Uint8Array, value: Uint8Array | string): Row => ({ key: Uint8Array.of(tag, ...rest), value: typeof value === 'string' ? Buffer.from(value) : value });
const setRow = (content: string[], h = setHash([...content].sort())) => row(TAG.set, Buffer.from(h, 'hex'), JSON.stringify(content));
const setOfRow = (id: Uint8Array, h: string) => row(TAG.setOf, id, Buffer.from(h, 'hex'));

test('well-formed membership sets pass: the head set covers every membership entry', () => {
  const head = entries[1]!;
  checkSets([setRow(ids), setOfRow(head.id, setHash(ids))], entries, [head.id]);
});

test('malformed membership sets are refused', () => {
  const head = entries[1]!;
  const h = setHash(ids);
  assert.throws(() => checkSets([setRow(ids, 'ff'.repeat(32)), setOfRow(head.id, h)], entries, [head.id]), /does not match its hash/);
  assert.throws(() => checkSets([row(TAG.set, Buffer.from(h, 'hex'), 'not json'), setOfRow(head.id, h)], entries, [head.id]), /does not match its hash/);
  assert.throws(() => checkSets([setRow(['00'.repeat(32)]), setOfRow(head.id, h)], entries, [head.id]), /unknown entry/);
  assert.throws(() => checkSets([setOfRow(head.id, h)], entries, [head.id]), /missing membership set/);
  assert.throws(() => checkSets([setRow([ids[0]!]), setOfRow(head.id, setHash([ids[0]!]))], entries, [head.id]), /do not cover/);
  assert.throws(() => checkSets([row(9, new Uint8Array(1), 'x')], entries, [head.id]), /unknown record/);
});

test('a streamed snapshot is refused when its frames come out of column or key order, or hold too much', async () => {
  const { SnapshotCheck } = await import('./snapshot-check.ts');
  const stamp = (k: number) => row(TAG.stamp, Uint8Array.of(k), new Uint8Array(56));
  const c = new SnapshotCheck(ctx.publicKey);
  assert.equal(c.take('config', [stamp(1), stamp(2)]).length, 2);
  assert.throws(() => c.take('config', [stamp(2)]), /records out of order/);
  const d = new SnapshotCheck(ctx.publicKey);
  d.take('state', [{ key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
  assert.throws(() => d.take('config', [stamp(1)]), /columns out of order/);
  const e = new SnapshotCheck(ctx.publicKey);
  assert.throws(() => e.take('delta', [{ key: new Uint8Array(31), value: new Uint8Array(0) }]), /bad entry id/);
  assert.throws(() => new SnapshotCheck(ctx.publicKey).take('config', [row(TAG.failed, new Uint8Array(32), '{}')]), /unknown record/);
  const small = new SnapshotCheck(ctx.publicKey, 100);
  assert.throws(() => small.take('config', [row(TAG.entry, new Uint8Array(32), 'x'.repeat(200))]), /exceed 100 bytes/);
  // The membership record is held back (stored with the new meta), the rest passes through; the digest runs on.
  const f = new SnapshotCheck(ctx.publicKey);
  assert.deepEqual(f.take('config', [row(TAG.membership, new Uint8Array(0), '{}'), stamp(1)]).length, 1);
  f.take('state', [{ key: Uint8Array.of(1), value: Uint8Array.of(2, 3) }]);
  assert.equal(f.stateSize, 3);
  assert.notEqual(f.stateSum, '0');
});
