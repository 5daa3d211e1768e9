import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeId } from '../../util/ids.ts';
import { CodecError, decodeDelta, encodeDelta, makeDelta } from '../sync/codec.ts';
import { newKeypair } from '../contexts.ts';
import { actionFromJson, actionToJson, decodeActions, encodeActions, type ProposalAction } from './actions.ts';
import { foldProxy, proposalRecord, type ProposalRecord } from './rules.ts';

const A = encodeId(new Uint8Array(32).fill(1));
const B = encodeId(new Uint8Array(32).fill(2));
const C = encodeId(new Uint8Array(32).fill(3));
const pid = (n: number) => Buffer.alloc(32, 100 + n);

/** Values with bytes as plain arrays and bigints as strings (Buffer and Uint8Array compare equal). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

let seq = 0;
function rec(author: string, op: 'propose' | 'approve', id: Uint8Array, actions: ProposalAction[] = []): ProposalRecord {
  seq++;
  return { id: seq.toString(16).padStart(64, '0'), hlc: String(seq), author, op, proposal: encodeId(id), actions: op === 'propose' ? encodeActions(actions).toString('hex') : '' };
}
const setValue = (k: string, v: string): ProposalAction => ({ scope: 'SetContextValue', key: Buffer.from(k), value: Buffer.from(v) });

test('borsh layout of the actions: variant byte, u32 lengths, u128 little-endian', () => {
  const actions: ProposalAction[] = [
    { scope: 'ExternalFunctionCall', receiverId: 'r', methodName: 'm', args: '{}', deposit: (1n << 64n) + 5n },
    { scope: 'Transfer', receiverId: 'r', amount: 7n },
    { scope: 'SetNumApprovals', numApprovals: 2 },
    { scope: 'SetActiveProposalsLimit', activeProposalsLimit: 3 },
    setValue('k', 'v'),
    { scope: 'DeleteProposal', proposalId: pid(1) },
  ];
  const raw = encodeActions(actions);
  assert.deepEqual([...raw.subarray(0, 5)], [6, 0, 0, 0, 0]); // Vec length 6, first variant 0
  assert.deepEqual([...raw.subarray(5, 10)], [1, 0, 0, 0, 0x72]); // receiver_id "r"
  assert.deepEqual(plain(decodeActions(raw)), plain(actions));
  assert.deepEqual([...encodeActions([{ scope: 'SetNumApprovals', numApprovals: 2 }])], [1, 0, 0, 0, 2, 2, 0, 0, 0]);
  assert.throws(() => decodeActions(Buffer.concat([raw, Buffer.of(0)])), CodecError);
  assert.throws(() => decodeActions(Buffer.of(1, 0, 0, 0, 9)), CodecError);
  for (const a of actions) assert.deepEqual(plain(actionFromJson(actionToJson(a))), plain(a.scope === 'ExternalFunctionCall' ? { ...a, deposit: BigInt(Number(a.deposit)) } : a));
  assert.deepEqual(actionToJson(setValue('k', 'v')), { scope: 'SetContextValue', params: { key: [107], value: [118] } });
});

test('defaults: one approval, so proposing executes at once', () => {
  const s = foldProxy([rec(A, 'propose', pid(1), [setValue('a', '1')])]);
  assert.equal(s.proposals.size, 0);
  assert.equal(Buffer.from(s.values.get(Buffer.from('a').toString('hex'))!.value).toString(), '1');
  assert.equal(s.executed.length, 1);
});

test('a threshold of two: the proposer approves, a second member executes; approvals count once per member', () => {
  const raise = rec(A, 'propose', pid(1), [{ scope: 'SetNumApprovals', numApprovals: 2 }]);
  const p = rec(A, 'propose', pid(2), [setValue('k', 'v'), { scope: 'SetActiveProposalsLimit', activeProposalsLimit: 5 }]);
  const again = rec(A, 'approve', pid(2));
  const bob = rec(B, 'approve', pid(2));
  const late = rec(C, 'approve', pid(2));
  const s = foldProxy([late, bob, again, p, raise]); // any input order: the fold sorts
  assert.equal(s.numApprovals, 2);
  assert.equal(s.activeProposalsLimit, 5);
  assert.equal(s.verdicts.get(p.id)!.effect, 'applied');
  assert.equal(s.verdicts.get(again.id)!.error?.code, 'already_approved');
  assert.equal(s.verdicts.get(bob.id)!.effect, 'executed');
  assert.equal(s.verdicts.get(late.id)!.error?.code, 'proposal_not_found');
  assert.equal(s.values.size, 1);
});

test('ids are unique while active, the active limit counts per author, deletion only by the author', () => {
  const raise = rec(A, 'propose', pid(1), [{ scope: 'SetNumApprovals', numApprovals: 3 }, { scope: 'SetActiveProposalsLimit', activeProposalsLimit: 1 }]);
  const p = rec(A, 'propose', pid(2), [setValue('k', 'v')]);
  const dup = rec(B, 'propose', pid(2), [setValue('k', 'w')]);
  const second = rec(A, 'propose', pid(3), [setValue('x', 'y')]);
  const byOther = rec(B, 'propose', pid(4), [{ scope: 'DeleteProposal', proposalId: pid(2) }]);
  const own = rec(A, 'propose', pid(5), [{ scope: 'DeleteProposal', proposalId: pid(2) }]);
  const gone = rec(A, 'propose', pid(6), [{ scope: 'DeleteProposal', proposalId: pid(2) }]);
  const s = foldProxy([raise, p, dup, second, byOther, own, gone]);
  assert.equal(s.verdicts.get(dup.id)!.error?.code, 'proposal_exists');
  assert.equal(s.verdicts.get(second.id)!.error?.code, 'too_many_proposals');
  assert.equal(s.verdicts.get(byOther.id)!.error?.code, 'delete_not_author');
  assert.equal(s.verdicts.get(own.id)!.effect, 'executed');
  assert.equal(s.verdicts.get(gone.id)!.error?.code, 'delete_target_missing');
  assert.equal(s.proposals.size, 0);
});

test('actions that need a chain are recorded, never executed', () => {
  const p = rec(A, 'propose', pid(1), [{ scope: 'Transfer', receiverId: 'bob.near', amount: 1n }, setValue('k', 'v')]);
  const s = foldProxy([p]);
  const v = s.verdicts.get(p.id)!;
  assert.equal(v.error?.code, 'needs_chain');
  assert.match(v.error!.message, /needs a chain.*Transfer/);
  assert.equal(s.proposals.get(encodeId(pid(1)))!.approvals.length, 0);
  assert.equal(s.values.size, 0);
  const del = rec(A, 'propose', pid(2), [{ scope: 'DeleteProposal', proposalId: pid(1) }]);
  assert.equal(foldProxy([p, del]).proposals.size, 0);
});

test('a proposal entry round-trips through the delta codec and gives its record', () => {
  const k = newKeypair();
  const actions = encodeActions([setValue('k', 'v')]);
  const d = makeDelta({ contextId: new Uint8Array(32), parents: [new Uint8Array(32).fill(9)], hlc: 5n, author: k.publicKey, payload: { type: 'proposal', op: 'propose', proposal: pid(1), actions }, events: null }, k.secret);
  const back = decodeDelta(encodeDelta(d));
  assert.deepEqual(back.payload, d.payload);
  assert.deepEqual(proposalRecord(back), { id: Buffer.from(d.id).toString('hex'), hlc: '5', author: encodeId(k.publicKey), op: 'propose', proposal: encodeId(pid(1)), actions: actions.toString('hex') });
  const bad = makeDelta({ ...d, payload: { type: 'proposal', op: 'propose', proposal: pid(1), actions: Uint8Array.of(1, 0, 0, 0, 42) } }, k.secret);
  assert.throws(() => decodeDelta(encodeDelta(bad)), CodecError);
});
