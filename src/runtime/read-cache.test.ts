import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_AHEAD, MIN_AHEAD, packEntries, PLAIN_MISSES, ReadCache, StateReads, unpackEntries } from './read-cache.ts';

const b = (s: string) => new TextEncoder().encode(s);
const s = (v: Uint8Array | null | undefined) => (v === undefined ? undefined : v === null ? null : new TextDecoder().decode(v));
const pairs = (...kv: string[]): Array<[Uint8Array, Uint8Array]> => kv.map((k) => [b(k), b(`v-${k}`)]);

test('entries survive packing, empty keys and values included', () => {
  const entries: Array<[Uint8Array, Uint8Array]> = [[b('a'), b('1')], [b(''), b('')], [b('long-key'), new Uint8Array(300).fill(7)]];
  assert.deepEqual(unpackEntries(packEntries(entries)), entries);
  assert.deepEqual(unpackEntries(packEntries([])), []);
  const packed = packEntries(entries);
  const shifted = new Uint8Array(packed.length + 5);
  shifted.set(packed, 5);
  assert.deepEqual(unpackEntries(shifted.subarray(5)), entries); // a view into a larger buffer
});

test('inside a scanned range every key is known: listed ones by value, others absent; outside, unknown', () => {
  const r = new StateReads(1);
  assert.equal(s(r.putScan(b('b'), pairs('b', 'd', 'f'), false)), 'v-b');
  assert.equal(s(r.get(b('d'))), 'v-d');
  assert.equal(r.get(b('c')), null);
  assert.equal(r.get(b('e')), null);
  assert.equal(r.get(b('f'))?.length, 3);
  assert.equal(r.get(b('a')), undefined, 'before the scan');
  assert.equal(r.get(b('f\0')), undefined, 'after its last key');
  assert.equal(r.get(b('g')), undefined);
});

test('a scan that missed its own key records it absent; a scan to the end covers everything after it', () => {
  const r = new StateReads(1);
  assert.equal(r.putScan(b('c'), pairs('d'), true), null);
  assert.equal(r.get(b('c')), null);
  assert.equal(s(r.get(b('d'))), 'v-d');
  assert.equal(r.get(b('zzzz')), null);
  assert.equal(r.get(b('b')), undefined);
  const empty = new StateReads(1);
  assert.equal(empty.putScan(b('m'), [], true), null);
  assert.equal(empty.get(b('m')), null);
  assert.equal(empty.get(b('x')), null);
  assert.equal(empty.get(b('l')), undefined);
});

test('overlapping and nested scans merge; disjoint ones stay apart', () => {
  const r = new StateReads(1);
  r.putScan(b('k'), pairs('k', 'm'), false); // [k, m]
  r.putScan(b('c'), pairs('c', 'e'), false); // [c, e]
  assert.equal(r.get(b('g')), undefined, 'between two scans');
  r.putScan(b('d'), pairs('e', 'k', 'l'), false); // [d, l] joins both
  for (const k of ['c', 'd', 'f', 'g', 'j', 'l', 'm']) assert.notEqual(r.get(b(k)), undefined, k);
  assert.equal(r.get(b('m\0')), undefined);
  r.putScan(b('l'), pairs('m'), false); // nested: changes nothing
  assert.equal(r.get(b('n')), undefined);
  r.putScan(b('x'), [], true);
  r.putScan(b('a'), pairs('a', 'c', 'e', 'k', 'm', 'x'), false); // swallows all, reaches the open-ended one
  assert.equal(r.get(b('zz')), null);
  assert.equal(r.get(b('b')), null);
  assert.equal(r.get(b('0')), undefined);
});

test('a single value read outside scans is known only for its key', () => {
  const r = new StateReads(1);
  r.putValue(b('k'), b('1'));
  r.putValue(b('n'), null);
  assert.equal(s(r.get(b('k'))), '1');
  assert.equal(r.get(b('n')), null);
  assert.equal(r.get(b('l')), undefined);
});

test('single values are copied: changing the caller’s buffer changes nothing cached', () => {
  const r = new StateReads(1);
  const v = b('one');
  r.putValue(b('a'), v);
  v.fill(0);
  assert.equal(s(r.get(b('a'))), 'one');
});

test('scans start after a few single reads and grow while they answer reads; scattered reads go back to single reads', () => {
  const key = (i: number) => b(`k${String(i).padStart(5, '0')}`);
  const walk = new StateReads(1);
  for (let i = 0; i < PLAIN_MISSES; i++) {
    assert.equal(walk.nextAhead(), 0, 'a single read');
    walk.putValue(key(i), b('v'));
  }
  let at = PLAIN_MISSES;
  const sizes: number[] = [];
  for (let round = 0; round < 10; round++) {
    const n = walk.nextAhead();
    sizes.push(n);
    walk.putScan(key(at), Array.from({ length: n }, (_, i): [Uint8Array, Uint8Array] => [key(at + i), b('v')]), false);
    for (let i = 1; i < n; i++) assert.notEqual(walk.get(key(at + i)), undefined);
    at += n;
  }
  assert.equal(sizes[0], MIN_AHEAD);
  assert.ok(sizes.every((n, i) => i === 0 || n > sizes[i - 1]! || n === MAX_AHEAD), sizes.join(','));
  assert.equal(sizes.at(-1), MAX_AHEAD);

  const scattered = new StateReads(1);
  const asks: number[] = [];
  for (let i = 0; i < 3 * (PLAIN_MISSES + 1); i++) {
    const n = scattered.nextAhead();
    asks.push(n);
    if (n === 0) scattered.putValue(b(`r${i}`), null);
    else scattered.putScan(b(`r${i}`), pairs(`r${i}`), false);
  }
  assert.deepEqual(asks.filter((n) => n > 0), [MIN_AHEAD, MIN_AHEAD, MIN_AHEAD], 'one scan per run of single reads');
});

test('the cache keeps one version per context and drops everything past its byte bound', () => {
  const cache = new ReadCache(10_000);
  const a = cache.at('ctx-a', 1);
  a.putValue(b('k'), b('1'));
  assert.equal(cache.at('ctx-a', 1), a);
  assert.equal(cache.at('ctx-b', 1).get(b('k')), undefined, 'contexts are apart');
  const moved = cache.at('ctx-a', 2);
  assert.notEqual(moved, a);
  assert.equal(moved.get(b('k')), undefined, 'another version starts afresh');
  moved.putValue(b('big'), new Uint8Array(20_000));
  const trimmed = cache.trim('ctx-a', moved);
  assert.equal(trimmed.version, 2);
  assert.equal(trimmed.get(b('big')), undefined);
  assert.equal(cache.trim('ctx-a', trimmed), trimmed, 'under the bound nothing is dropped');
});

test('reads carry over commits that form a chain from their version, less the keys those commits wrote', () => {
  const cache = new ReadCache();
  const r = cache.at('c', 10);
  r.putValue(b('kept'), b('1'));
  r.putValue(b('gone'), null);
  r.putValue(b('written'), b('old'));
  r.putScan(b('s1'), pairs('s1', 's3'), false);
  const changes = [
    { from: 4, to: 10, keys: [b('kept')] }, // before the cached version: skipped
    { from: 10, to: 12, keys: [b('written')] },
    { from: 12, to: 15, keys: [b('s3')] },
    { from: 15, to: 20, keys: [] }, // a later commit: not part of the way to 15
  ];
  const next = cache.at('c', 15, changes);
  assert.equal(next.version, 15);
  assert.equal(s(next.get(b('kept'))), '1');
  assert.equal(next.get(b('gone')), null, 'a key read absent and not written stays absent');
  assert.equal(next.get(b('written')), undefined, 'written meanwhile: asked again');
  assert.equal(s(next.get(b('s1'))), 'v-s1', 'a scanned value is carried as a single value');
  assert.equal(next.get(b('s3')), undefined);
  assert.equal(next.get(b('s2')), undefined, 'absence inside a scanned span is not carried (a commit may have added it)');
});

test('keys a commit wrote carry the values it says it wrote; the last commit of a key wins', () => {
  const cache = new ReadCache();
  cache.at('c', 1).putValue(b('a'), b('old'));
  const next = cache.at('c', 3, [
    { from: 1, to: 2, keys: [b('a'), b('b'), b('gone')], values: [b('new'), b('first'), null] },
    { from: 2, to: 3, keys: [b('b'), b('unsaid')] }, // no values: these keys are read again
  ]);
  assert.equal(s(next.get(b('a'))), 'new');
  assert.equal(next.get(b('gone')), null);
  assert.equal(next.get(b('b')), undefined, 'written again by a change that did not say the value');
  assert.equal(next.get(b('unsaid')), undefined);
});

test('reads are not carried over a gap in the changes, nor backwards', () => {
  const make = () => {
    const cache = new ReadCache();
    cache.at('c', 10).putValue(b('k'), b('1'));
    return cache;
  };
  assert.equal(make().at('c', 15, [{ from: 11, to: 15, keys: [] }]).get(b('k')), undefined, 'starts after the cached version');
  assert.equal(make().at('c', 15, [{ from: 10, to: 12, keys: [] }]).get(b('k')), undefined, 'stops short of the asked version');
  assert.equal(make().at('c', 15).get(b('k')), undefined, 'no changes given');
  const cache = make();
  assert.equal(s(cache.at('c', 12, [{ from: 10, to: 12, keys: [] }]).get(b('k'))), '1');
  assert.equal(cache.at('c', 10, [{ from: 10, to: 12, keys: [] }]).get(b('k')), undefined, 'an older version starts afresh');
});
