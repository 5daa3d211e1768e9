import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tempStore } from '../../../test/helpers/store.ts';
import { newKeypair } from '../contexts.ts';
import { IssuedInvitations, MAX_LISTED_JOINERS, withJoiner } from './issued-invitations.ts';
import { signOpenInvitation } from './open-invitation.ts';

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

test('a revocation acknowledged while an admission is under way is not overtaken: every later admission is refused', async (t) => {
  const store = await tempStore(t);
  const issued = new IssuedInvitations(store);
  const inviter = newKeypair();
  const s = signOpenInvitation(
    { inviter: inviter.publicKey, contextId: newKeypair().publicKey, expirationHeight: 1n << 40n, salt: randomBytes(32), protocol: 'p2p', network: '', contractId: '' },
    inviter.secret,
  );
  await issued.record(s);
  const order: string[] = [];
  const first = issued.admit(s, newKeypair().publicKey, async () => {
    await new Promise((r) => setTimeout(r, 50));
    order.push('added');
  });
  // Revoked while the first admission's entry is being written: the revocation completes after it.
  const revoked = issued.revoke(s.invitation.contextId, s.invitation.salt).then((ok) => order.push(`revoked ${ok}`));
  const second = issued.admit(s, newKeypair().publicKey, async () => void order.push('added again'));
  assert.deepEqual(await Promise.all([first, second]), [true, false]);
  await revoked;
  assert.deepEqual(order, ['added', 'revoked true']);
  const [listed] = await issued.list(s.invitation.contextId);
  assert.equal(listed!.joinedCount, 1);
  assert.notEqual(listed!.revokedAt, null);
});
