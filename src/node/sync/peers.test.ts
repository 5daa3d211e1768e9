import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, parsePeerKey, peerKey, peerRows } from './peers.ts';

test('backoff: due at once, then doubling delays up to the cap, reset by a success', () => {
  const b = new Backoff(1_000, 8_000, () => 0.5); // no jitter at 0.5
  assert.equal(b.due('p', 0), true);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.failed('p', 0)), [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  assert.equal(b.due('p', 7_999), false);
  assert.equal(b.due('p', 8_000), true);
  assert.equal(b.due('q', 0), true, 'per key');
  assert.equal(b.failing('p'), true);
  b.succeeded('p');
  assert.equal(b.failing('p'), false);
  assert.equal(b.due('p', 0), true);
  assert.equal(b.failed('p', 0), 1_000, 'a success starts over');
});

test('backoff: jitter stays within ±20 % and never beyond the cap by more than that', () => {
  assert.equal(new Backoff(1_000, 8_000, () => 0).failed('p', 0), 800);
  assert.equal(new Backoff(1_000, 8_000, () => 1).failed('p', 0), 1_200);
  const b = new Backoff(1_000, 8_000, () => 1);
  for (let i = 0; i < 60; i++) b.failed('p', 0);
  assert.equal(b.failed('p', 0), 9_600);
});

test('peer record keys: context id and peer id round-trip as bytes', () => {
  const ctx = new Uint8Array(32).fill(9);
  const peer = '12D3KooWJ5Bd8Ay8wHzNsrk2ZPP2y6Yb2wZ1HtUu9eWcGtKfHMX5';
  const key = peerKey(ctx, peer);
  const parsed = parsePeerKey(key)!;
  assert.deepEqual(Uint8Array.from(parsed.ctx), ctx);
  assert.equal(parsed.peer, peer);
  assert.equal(parsePeerKey(key.subarray(0, 'sync/peers/'.length + 32)), null, 'no peer id');
});

test('peer rows: known, reachable and synced peers once each; reachable first, then the latest sync', () => {
  const rows = peerRows(['a', 'b', 'c'], ['c', 'd'], new Map([['b', 5], ['a', 9], ['d', 1]]));
  assert.deepEqual(rows, [
    { peerId: 'd', reachable: true, lastSync: 1 },
    { peerId: 'c', reachable: true, lastSync: null },
    { peerId: 'a', reachable: false, lastSync: 9 },
    { peerId: 'b', reachable: false, lastSync: 5 },
  ]);
  assert.deepEqual(peerRows([], [], new Map()), []);
});
