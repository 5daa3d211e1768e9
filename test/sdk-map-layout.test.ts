// The SDK map's index layout 1 (one directory record listing every chunk boundary; before issue #18) is still
// read, and the first change turns it into layout 2 (segments): the records are then exactly those of a map
// built from scratch with the same keys, so nodes that upgraded at the same change keep agreeing.
// Runs kv-store through the runtime (Runtime.call) over a state held by the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildApps } from '../apps/build.ts';
import { Runtime } from '../src/runtime/index.ts';
import { enc, runKv, type KvState } from './helpers/kv-runtime.ts';

const ROOT = '__calimero_root__';

let runtime: Runtime;
before(async () => {
  await buildApps();
  runtime = new Runtime({ workers: 1 });
});
after(() => runtime.close());

const run = async (state: KvState, method: string, args: unknown) => (await runKv(runtime, state, method, args)).result;
type State = KvState;

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** A kv-store state with `keys` in layout 1, written as the SDK before segments wrote it (digest included). */
function layoutOne(keys: string[]): State {
  const sorted = [...keys].sort();
  const bounds = sorted.filter((k) => sha(enc(k))[0]! < 4);
  const state: State = new Map();
  const list = (l: string[]) => enc(JSON.stringify(l));
  for (const k of sorted) state.set(`items:${k}`, enc('v'));
  const first = sorted.filter((k) => bounds.length === 0 || k < bounds[0]!);
  if (first.length > 0) state.set('items/', list(first));
  bounds.forEach((b, i) => state.set(`items/${b}`, list(sorted.filter((k) => k >= b && (i + 1 === bounds.length || k < bounds[i + 1]!)))));
  state.set('items', enc(`{"n":${sorted.length},"b":${JSON.stringify(bounds)}}`));
  const digest = Buffer.alloc(32);
  for (const [k, v] of state) {
    const kb = enc(k);
    const h = sha(Buffer.concat([Buffer.from(Uint32Array.of(kb.length).buffer), kb, v]));
    for (let i = 0; i < 32; i++) digest[i]! ^= h[i]!;
  }
  state.set(ROOT, digest);
  return state;
}

const records = (s: State) => Object.fromEntries([...s].map(([k, v]) => [k, Buffer.from(v).toString('hex')]).sort());

test('a map in layout 1 is read as it is, and its first change upgrades it to the records a fresh map would have', async () => {
  // Enough keys for several super boundaries (sha256 of the key: first and second byte below 4).
  const keys = Array.from({ length: 9000 }, (_, i) => `key-${i}`);
  const supers = keys.filter((k) => sha(enc(k))[0]! < 4 && sha(enc(k))[1]! < 4);
  assert.ok(supers.length >= 1, `the key set has ${supers.length} super boundaries`);
  const old = layoutOne(keys);
  const sorted = [...keys].sort();

  assert.equal(await run(old, 'len', {}), keys.length);
  assert.deepEqual(Object.keys((await run(old, 'entries', {})) as object), sorted);
  const page = (await run(old, 'entries_page', { after: sorted[4000], limit: 3 })) as { entries: Record<string, string>; next: string };
  assert.deepEqual(page, { entries: { [sorted[4001]!]: 'v', [sorted[4002]!]: 'v', [sorted[4003]!]: 'v' }, next: sorted[4003] });

  // A fresh map of the same keys plus one, built by inserts in another order.
  const fresh: State = new Map();
  await run(fresh, 'init', {});
  const all = [...keys, 'key-new'].reverse();
  for (let i = 0; i < all.length; i += 300) await run(fresh, 'set_many', { keys: all.slice(i, i + 300).join(','), value: 'v' });
  await run(old, 'set', { key: 'key-new', value: 'v' });
  assert.deepEqual(records(old), records(fresh));
  assert.equal(old.get('items')!.length < 2000, true, 'the directory no longer lists every boundary');
});
