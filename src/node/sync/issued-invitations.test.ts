import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LISTED_JOINERS, withJoiner } from './issued-invitations.ts';

const empty = { signed: {} as never, createdAt: 0, revokedAt: null, joinedCount: 0, joined: [] };

test('withJoiner counts every joiner once and lists only the newest', () => {
  let r = withJoiner(empty, 'a', 1);
  assert.deepEqual([r.joinedCount, r.joined], [1, [{ member: 'a', at: 1 }]]);
  assert.equal(withJoiner(r, 'a', 2), r, 'the same member again changes nothing');
  for (let i = 0; i < MAX_LISTED_JOINERS + 5; i++) r = withJoiner(r, `m${i}`, 10 + i);
  assert.equal(r.joinedCount, MAX_LISTED_JOINERS + 6);
  assert.equal(r.joined.length, MAX_LISTED_JOINERS);
  assert.equal(r.joined[0]!.member, 'm5', 'the oldest fell off');
  assert.equal(r.joined.at(-1)!.member, `m${MAX_LISTED_JOINERS + 4}`);
});
