import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, formatSyncStatus } from './sync-status.ts';

const ID = '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi';

test('ago: seconds, minutes, hours, days; never negative', () => {
  assert.equal(ago(10_000, 15_000), '5 s ago');
  assert.equal(ago(0, 600_000), '10 min ago');
  assert.equal(ago(0, 3 * 3600_000), '3 h ago');
  assert.equal(ago(0, 4 * 86_400_000), '4 d ago');
  assert.equal(ago(20_000, 10_000), '0 s ago');
});

test('sync status: figures, isolation only when isolated, peers and failed entries listed', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const base = {
    contextId: ID,
    heads: [ID],
    pending: 2,
    members: { total: 3, owned: 1 },
    reachablePeers: 0,
    knownPeers: 1,
    lastSync: now - 60_000,
    lastApplied: null,
    isolatedSince: null,
    peers: [{ peerId: '12D3KooWPeer', reachable: false, lastSync: now - 60_000 }],
    failed: [],
  };
  const plain = formatSyncStatus(base, now);
  assert.match(plain, /^members {8}3 \(1 on this node\)$/m);
  assert.match(plain, /^peers {10}0 reachable, 1 known$/m);
  assert.match(plain, /^last sync {6}2026-01-01T11:59:00\.000Z \(60 s ago\)$/m);
  assert.match(plain, /^last applied {3}none/m);
  assert.match(plain, /^peer {11}12D3KooWPeer {2}unreachable {2}last sync 60 s ago$/m);
  assert.match(plain, /^failed {9}0$/m);
  assert.doesNotMatch(plain, /isolated/);

  const bad = formatSyncStatus(
    { ...base, isolatedSince: now - 120_000, failed: [{ id: ID, author: ID, hlc: '7', reason: 'trap: unreachable', since: now, lastTriedAt: now, attempts: 2 }] },
    now,
  );
  assert.match(bad, /^isolated {7}since .*\(2 min ago\)$/m);
  assert.match(bad, /^failed {9}1 \(retried on/m);
  assert.match(bad, new RegExp(`^  ${ID}  by ${ID}  since 2026-01-01T12:00:00\\.000Z  attempts 2: trap: unreachable$`, 'm'));
});
