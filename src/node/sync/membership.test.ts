import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeId } from '../../util/ids.ts';
import { newKeypair } from '../contexts.ts';
import { Capability, makeDelta, type AppInfo, type Delta, type Payload } from './codec.ts';
import { checkMembershipHistory, entryRecord, foldMembership, refusal, refusalText, refused, ALL_CAPS, type Membership } from './membership.ts';

const context = newKeypair();
const ctx = context.publicKey;
const alice = newKeypair();
const bob = newKeypair();
const carol = newKeypair();
const app: AppInfo = {
  applicationId: new Uint8Array(32).fill(7),
  bytecode: new Uint8Array(32).fill(8),
  size: 10,
  source: 'file:///app.wasm',
  metadata: new Uint8Array(0),
  package: 'p',
  version: '1',
};

let clock = 1000n;
function entry(signer: { secret: Uint8Array; publicKey: Uint8Array }, payload: Payload, parents: Uint8Array[] = [new Uint8Array(32)]): Delta {
  return makeDelta({ contextId: ctx, parents, hlc: clock++, author: signer.publicKey, payload, events: null }, signer.secret);
}
const genesis = () => entry(context, { type: 'genesis', creator: alice.publicKey, app, ops: { kind: 'writes', writes: [] } }, []);
const member = (by: typeof alice, op: 'add' | 'remove' | 'grant' | 'revoke', who: typeof alice, capability = 0) =>
  entry(by, { type: 'member', op, member: who.publicKey, capability });

function afterGenesis(): Membership {
  return foldMembership([entryRecord(genesis())])!;
}

test('refusal: a genesis must be signed by the context key and have no parents', () => {
  assert.equal(refusal(ctx, null, genesis()), null);
  const byAlice = entry(alice, { type: 'genesis', creator: alice.publicKey, app, ops: { kind: 'writes', writes: [] } }, []);
  assert.equal(refusal(ctx, null, byAlice), 'genesis_not_by_context');
  const withParents = entry(context, { type: 'genesis', creator: alice.publicKey, app, ops: { kind: 'writes', writes: [] } });
  assert.equal(refusal(ctx, null, withParents), 'genesis_not_by_context');
});

test('refusal: entries after the genesis are checked against the membership of their past', () => {
  const m = afterGenesis();
  const state = (by: typeof alice) => entry(by, { type: 'state', ops: { kind: 'writes', writes: [] } });
  assert.equal(refusal(ctx, null, state(alice)), 'no_genesis');
  assert.equal(refusal(ctx, m, state(alice)), null);
  assert.equal(refusal(ctx, m, state(bob)), 'not_a_member');
  assert.equal(refusal(ctx, m, member(alice, 'add', bob)), null);
  m.members[encodeId(bob.publicKey)] = [];
  assert.equal(refusal(ctx, m, member(bob, 'add', carol)), 'may_not_manage_members');
  assert.equal(refusal(ctx, m, member(bob, 'remove', bob)), null, 'a member may always remove itself');
  assert.equal(refusal(ctx, m, member(bob, 'remove', alice)), 'may_not_manage_members');
  assert.equal(refusal(ctx, m, entry(bob, { type: 'application', app })), 'may_not_manage_application');
  assert.equal(refusal(ctx, m, entry(alice, { type: 'application', app })), null);
});

test('foldMembership applies entries in (hlc, id) order whatever order they come in', () => {
  const g = genesis();
  const add = member(alice, 'add', bob);
  const grant = member(alice, 'grant', bob, Capability.ManageMembers);
  const addCarol = member(bob, 'add', carol);
  const removeCarol = member(alice, 'remove', carol);
  const records = [g, add, grant, addCarol, removeCarol].map(entryRecord);
  const expected = {
    creator: encodeId(alice.publicKey),
    applicationId: encodeId(app.applicationId),
    members: { [encodeId(alice.publicKey)]: ALL_CAPS, [encodeId(bob.publicKey)]: [Capability.ManageMembers] },
  };
  for (const order of [records, [...records].reverse()]) {
    const m = foldMembership(order)!;
    assert.equal(m.creator, expected.creator);
    assert.equal(m.applicationId, expected.applicationId);
    assert.deepEqual(m.members, expected.members);
  }
  const revoke = member(alice, 'revoke', bob, Capability.ManageMembers);
  assert.deepEqual(foldMembership([...records, entryRecord(revoke)])!.members[encodeId(bob.publicKey)], []);
  assert.equal(foldMembership([entryRecord(add)]), null, 'nothing before a genesis');
});

test('checkMembershipHistory replays a history and refuses one with an unauthorised step', () => {
  const g = genesis();
  const add = member(alice, 'add', bob);
  const m = checkMembershipHistory(ctx, [add, g]);
  assert.ok(m);
  assert.deepEqual(Object.keys(m.members).sort(), [encodeId(alice.publicKey), encodeId(bob.publicKey)].sort());
  assert.equal(checkMembershipHistory(ctx, [g, member(bob, 'add', carol)]), null, 'bob was never added');
  assert.equal(checkMembershipHistory(ctx, [g, genesis()]), null, 'a second genesis');
  assert.equal(checkMembershipHistory(ctx, [g, entry(alice, { type: 'state', ops: { kind: 'writes', writes: [] } })]), null, 'state entries are not membership history');
});

test('refusals carry a code and read as before in logs', () => {
  assert.equal(refusalText({ ok: true }), 'applied');
  assert.deepEqual(refused('not_a_member'), { ok: false, refused: 'not_a_member' });
  assert.equal(refusalText(refused('not_a_member')), 'author is not a member');
  assert.equal(refusalText(refused('failed', 'boom')), 'failed: boom');
});
