import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batch } from '../store/store.ts';
import { noEffects } from '../runtime/outcome.ts';
import { idKey } from '../util/ids.ts';
import { isReadOnly, StateVersions, stateKeysByContext, Writers } from './optimistic.ts';

test('isReadOnly: a return value and logs change nothing; every other effect does', () => {
  assert.equal(isReadOnly(noEffects()), true);
  assert.equal(isReadOnly({ ...noEffects(), returns: { ok: new Uint8Array([1]) }, logs: ['x'] }), true);
  const w = { key: new Uint8Array([1]), value: null };
  const effects: Array<[string, Partial<ReturnType<typeof noEffects>>]> = [
    ['writes', { writes: new Map([['01', w]]) }],
    ['privateWrites', { privateWrites: new Map([['01', w]]) }],
    ['rootHash', { rootHash: new Uint8Array(32) }],
    ['artifact', { artifact: new Uint8Array([0]) }],
    ['events', { events: [{ kind: 'K', data: new Uint8Array(), handler: null }] }],
    ['blobs', { blobs: [{ id: new Uint8Array(32), data: new Uint8Array() }] }],
    ['blobAnnouncements', { blobAnnouncements: [{ blobId: new Uint8Array(32), contextId: new Uint8Array(32) }] }],
    ['xcalls', { xcalls: [{ contextId: new Uint8Array(32), function: 'f', params: new Uint8Array() }] }],
    ['proposals', { proposals: [{ id: new Uint8Array(32), actions: new Uint8Array() }] }],
    ['approvals', { approvals: [new Uint8Array(32)] }],
    ['contextMutations', { contextMutations: [{ kind: 'AddMember', publicKey: new Uint8Array(32) }] }],
  ];
  for (const [name, e] of effects) assert.equal(isReadOnly({ ...noEffects(), ...e }), false, name);
});

test('stateKeysByContext: meta, identity, state and private state rows name their context; other columns do not', () => {
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  const c = new Uint8Array(32).fill(3);
  const batch = new Batch()
    .put('meta', a, 'm')
    .put('state', new Uint8Array([...b, 9]), 'v')
    .delete('private_state', new Uint8Array([...b, 8]))
    .put('blobs', c, 'x')
    .put('delta', new Uint8Array([...c, 1]), 'd');
  assert.deepEqual([...stateKeysByContext(batch).keys()].sort(), [idKey(a), idKey(b)].sort());
  assert.deepEqual([...stateKeysByContext(new Batch().put('identity', new Uint8Array([...c, ...a]), '{}')).keys()], [idKey(c)]);
});

test('StateVersions: a seqlock per context', () => {
  const v = new StateVersions();
  assert.equal(v.stable('a'), 0);
  v.begin('a');
  assert.equal(v.stable('a'), null, 'unstable while a commit is under way');
  const during = v.version('a');
  assert.notEqual(during, 0);
  assert.equal(v.stable('b'), 0, 'other contexts are unaffected');
  v.begin('a');
  v.end('a');
  assert.equal(v.stable('a'), null, 'still unstable while a second commit is in flight');
  v.end('a');
  const after = v.stable('a');
  assert.ok(after !== null && after > during, 'stable again at a version never seen before');
  v.begin('b');
  v.end('b');
  assert.equal(v.stable('a'), after, "another context's commit leaves it alone");
});

test('StateVersions.settled resolves when the last commit in flight has settled', async () => {
  const v = new StateVersions();
  await v.settled('a'); // nothing under way
  v.begin('a');
  v.begin('a');
  let woke = false;
  const waiting = v.settled('a').then(() => (woke = true));
  v.end('a');
  await Promise.resolve();
  assert.equal(woke, false);
  v.end('a');
  await waiting;
  assert.equal(v.stable('a'), v.version('a'));
});

test('StateVersions keeps a log of what each commit wrote between stable versions', () => {
  const v = new StateVersions();
  const k = (x: string) => new TextEncoder().encode(x);
  /** A commit's writes: each key set to its own name, or removed (null) when it starts with '-'. */
  const w = (...keys: string[]) => ({ keys: keys.map(k), values: keys.map((x) => (x.startsWith('-') ? null : k(x))) });
  const v0 = v.version('a');
  v.begin('a', w('x', '-y'));
  v.end('a');
  const v1 = v.version('a');
  v.begin('a', w());
  v.end('a');
  const v2 = v.version('a');
  assert.deepEqual(v.changes('a'), [
    { from: v0, to: v1, ...w('x', '-y') },
    { from: v1, to: v2, ...w() },
  ]);
  // A failed commit, or one whose values are large, is logged with its keys only.
  v.begin('a', w('f'));
  v.end('a', false);
  const big = { keys: [k('big')], values: null }; // values too large to keep (stateKeysByContext drops them)
  v.begin('a', big);
  v.end('a');
  assert.deepEqual(v.changes('a').slice(2).map((e) => [e.keys, e.values]), [[[k('f')], undefined], [[k('big')], undefined]]);
  // Two commits in flight at once: no entry can say what changed between two stable versions; the log restarts.
  v.begin('a', w('y'));
  v.begin('a', w('z'));
  v.end('a');
  v.end('a');
  assert.deepEqual(v.changes('a'), []);
  const v3 = v.version('a');
  v.begin('a', w('w'));
  v.end('a');
  assert.deepEqual(v.changes('a'), [{ from: v3, to: v.version('a'), ...w('w') }]);
  // A commit that does not say what it wrote (or writes too much to list) restarts the log too.
  v.begin('a');
  v.end('a');
  assert.deepEqual(v.changes('a'), []);
  v.begin('a', w(...Array.from({ length: 300 }, (_, i) => String(i))));
  v.end('a');
  assert.deepEqual(v.changes('a'), []);
  // Bounded: the oldest entries leave past 512 keys in a context's log, the oldest contexts' logs past 256 contexts.
  for (let i = 0; i < 3; i++) {
    v.begin('a', w(...Array.from({ length: 200 }, (_, j) => `${i}-${j}`)));
    v.end('a');
  }
  assert.deepEqual(v.changes('a').map((e) => e.keys.length), [200, 200]);
  for (let i = 0; i < 256; i++) {
    v.begin(`ctx-${i}`, w());
    v.end(`ctx-${i}`);
  }
  assert.deepEqual(v.changes('a'), []);
  assert.equal(v.changes('ctx-0').length, 1);
});

test('StateVersions.watch brackets each commit of the contexts it touches', () => {
  let listener: ((b: Batch) => (written: boolean) => void) | undefined;
  const v = new StateVersions();
  v.watch({ onCommitting: (l) => (listener = l) });
  const id = new Uint8Array(32).fill(7);
  const start = v.stable(idKey(id));
  const done = listener!(new Batch().put('state', new Uint8Array([...id, 1]), 'v'));
  assert.equal(v.stable(idKey(id)), null);
  done(true);
  assert.notEqual(v.stable(idKey(id)), start);
  assert.notEqual(v.stable(idKey(id)), null);
  // The commit's state writes are logged with their values, keyed without the context id.
  assert.deepEqual(v.changes(idKey(id)), [{ from: start, to: v.stable(idKey(id)), keys: [Uint8Array.of(1)], values: [new TextEncoder().encode('v')] }]);
  // Values past 4 KiB in all are not kept (keys only); more keys than an entry may list restart the log.
  const large = new Batch().put('state', new Uint8Array([...id, 2]), new Uint8Array(3000)).put('state', new Uint8Array([...id, 3]), new Uint8Array(3000));
  listener!(large)(true);
  assert.deepEqual(v.changes(idKey(id)).at(-1)!.keys, [Uint8Array.of(2), Uint8Array.of(3)]);
  assert.equal(v.changes(idKey(id)).at(-1)!.values, undefined);
  const many = new Batch();
  for (let i = 0; i < 300; i++) many.put('state', new Uint8Array([...id, 9, i >> 8, i & 255]), 'x');
  listener!(many)(true);
  assert.deepEqual(v.changes(idKey(id)), []);
});

test('Writers: remembers methods that wrote, forgets one that stops, and stays bounded', () => {
  const w = new Writers(2);
  w.note('c', 'set', true);
  assert.equal(w.has('c', 'set'), true);
  assert.equal(w.has('d', 'set'), false);
  w.note('c', 'set', false);
  assert.equal(w.has('c', 'set'), false);
  w.note('c', 'a', true);
  w.note('c', 'b', true);
  w.note('c', 'c', true);
  assert.equal(w.has('c', 'c'), true);
  assert.equal(w.has('c', 'a'), false, 'cleared when full');
});
