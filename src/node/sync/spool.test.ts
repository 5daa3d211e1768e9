import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../store/store.ts';
import { idKey } from '../../util/ids.ts';
import { newKeypair } from '../contexts.ts';
import { encodeDelta, makeDelta, type Delta } from './codec.ts';
import { APPLIED } from './membership.ts';
import { Spool } from './spool.ts';
import { tempStore } from '../../../test/helpers/store.ts';

const ctx = newKeypair();
let hlc = 0n;
function delta(parents: Uint8Array[]): Delta {
  return makeDelta({ contextId: ctx.publicKey, parents, hlc: ++hlc, author: ctx.publicKey, payload: { type: 'state', ops: { kind: 'writes', writes: [] } }, events: null }, ctx.secret);
}

test('the spool applies its entries in (hlc, id) order once their parents are applied, and keeps the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'merod-spool-'));
  const store = await Store.open(dir);
  try {
    const spool = new Spool(store, { maxPerContext: 3 });
    const root = delta([]);
    const a = delta([root.id]);
    const b = delta([a.id]);
    const orphan = delta([new Uint8Array(32).fill(9)]);
    for (const d of [b, orphan, a]) assert.ok(await spool.add({ delta: d, raw: encodeDelta(d), peer: 'p', at: 0 }));
    assert.equal(await spool.add({ delta: root, raw: encodeDelta(root), peer: null, at: 0 }), false); // full
    assert.ok(await spool.has(ctx.publicKey, a.id));
    const applied = new Set([idKey(root.id)]);
    const order: string[] = [];
    const n = await spool.drain(
      ctx.publicKey,
      async (id) => applied.has(idKey(id)),
      async (e) => {
        assert.equal(e.peer, 'p');
        order.push(idKey(e.delta.id));
        applied.add(idKey(e.delta.id));
        return APPLIED;
      },
      () => assert.fail('nothing is refused'),
    );
    assert.equal(n, 2);
    assert.deepEqual(order, [idKey(a.id), idKey(b.id)]);
    assert.equal(await spool.countOf(ctx.publicKey), 1); // the orphan waits for its parent
    assert.ok(await spool.has(ctx.publicKey, orphan.id));
    await spool.forget(ctx.publicKey);
    assert.equal(await spool.countOf(ctx.publicKey), 0);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('entries spilled at once are all counted: one waiting for its parent is drained once the parent is there', async (t) => {
  const store = await tempStore(t);
  const spool = new Spool(store);
  const root = delta([]);
  const a = delta([root.id]);
  const missing = new Uint8Array(32).fill(7);
  const waiting = delta([missing]);
  // A catch-up walk and an eviction from the full buffer spill at the same moment.
  await Promise.all([a, waiting].map((d) => spool.add({ delta: d, raw: encodeDelta(d), peer: 'p', at: 0 })));
  const applied = new Set([idKey(root.id)]);
  const drain = () =>
    spool.drain(ctx.publicKey, async (id) => applied.has(idKey(id)), async (e) => (applied.add(idKey(e.delta.id)), APPLIED), () => assert.fail('nothing is refused'));
  assert.equal(await drain(), 1);
  assert.ok(await spool.has(ctx.publicKey, waiting.id), 'the waiting entry is still known as spooled');
  applied.add(idKey(missing));
  assert.equal(await drain(), 1);
  assert.equal(await spool.countOf(ctx.publicKey), 0);
});
