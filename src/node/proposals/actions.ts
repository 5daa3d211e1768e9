/**
 * Proposal actions as upstream's context-config crate defines them (0.10.0 `ProposalAction`): the borsh form an
 * application passes to `send_proposal`, and the JSON form of the admin API (`{"scope": …, "params": {…}}`,
 * snake_case params, byte strings as number arrays, ids in base58, token amounts as numbers).
 */
import { decodeId, encodeId } from '../../util/ids.ts';
import { CodecError, Reader, Writer } from '../sync/binary.ts';

export type ProposalAction =
  | { scope: 'ExternalFunctionCall'; receiverId: string; methodName: string; args: string; deposit: bigint }
  | { scope: 'Transfer'; receiverId: string; amount: bigint }
  | { scope: 'SetNumApprovals'; numApprovals: number }
  | { scope: 'SetActiveProposalsLimit'; activeProposalsLimit: number }
  | { scope: 'SetContextValue'; key: Uint8Array; value: Uint8Array }
  | { scope: 'DeleteProposal'; proposalId: Uint8Array };

/** Borsh variant index of each scope (the enum's declaration order). */
export const SCOPES = ['ExternalFunctionCall', 'Transfer', 'SetNumApprovals', 'SetActiveProposalsLimit', 'SetContextValue', 'DeleteProposal'] as const;
export type Scope = (typeof SCOPES)[number];

/** Actions that only a chain can carry out (a call into, or a payment to, an on-chain account). */
export function needsChain(a: ProposalAction): boolean {
  return a.scope === 'ExternalFunctionCall' || a.scope === 'Transfer';
}

/** The most actions one proposal may carry (a bound on what a peer can make every node fold). */
export const MAX_ACTIONS = 256;

const U128_MAX = (1n << 128n) - 1n;

function u128(w: Writer, v: bigint): void {
  if (v < 0n || v > U128_MAX) throw new CodecError('bad_length', 'token amount out of range');
  w.u64(v & 0xffff_ffff_ffff_ffffn).u64(v >> 64n);
}

function readU128(r: Reader): bigint {
  const lo = r.u64();
  return (r.u64() << 64n) | lo;
}

/** borsh `Vec<ProposalAction>`. */
export function encodeActions(actions: ProposalAction[]): Buffer {
  const w = new Writer().u32(actions.length);
  for (const a of actions) {
    w.u8(SCOPES.indexOf(a.scope));
    switch (a.scope) {
      case 'ExternalFunctionCall':
        w.str(a.receiverId).str(a.methodName).str(a.args);
        u128(w, a.deposit);
        break;
      case 'Transfer':
        w.str(a.receiverId);
        u128(w, a.amount);
        break;
      case 'SetNumApprovals':
        w.u32(a.numApprovals);
        break;
      case 'SetActiveProposalsLimit':
        w.u32(a.activeProposalsLimit);
        break;
      case 'SetContextValue':
        w.bytes(a.key).bytes(a.value);
        break;
      case 'DeleteProposal':
        w.fixed(a.proposalId, 32);
        break;
    }
  }
  return w.done();
}

/** Decodes borsh `Vec<ProposalAction>` exactly (no trailing bytes); throws CodecError otherwise. */
export function decodeActions(buf: Uint8Array): ProposalAction[] {
  const r = new Reader(buf);
  const n = r.u32();
  if (n > MAX_ACTIONS) throw new CodecError('too_many', 'too many proposal actions');
  const out: ProposalAction[] = [];
  for (let i = 0; i < n; i++) {
    const scope = SCOPES[r.u8()];
    if (!scope) throw new CodecError('unknown_tag', 'unknown proposal action');
    if (scope === 'ExternalFunctionCall') out.push({ scope, receiverId: r.str(), methodName: r.str(), args: r.str(), deposit: readU128(r) });
    else if (scope === 'Transfer') out.push({ scope, receiverId: r.str(), amount: readU128(r) });
    else if (scope === 'SetNumApprovals') out.push({ scope, numApprovals: r.u32() });
    else if (scope === 'SetActiveProposalsLimit') out.push({ scope, activeProposalsLimit: r.u32() });
    else if (scope === 'SetContextValue') out.push({ scope, key: r.bytes(), value: r.bytes() });
    else out.push({ scope, proposalId: r.fixed(32) });
  }
  r.end();
  return out;
}

/** An action as the admin API writes it (upstream's serde form). */
export type ActionJson =
  | { scope: 'ExternalFunctionCall'; params: { receiver_id: string; method_name: string; args: string; deposit: number } }
  | { scope: 'Transfer'; params: { receiver_id: string; amount: number } }
  | { scope: 'SetNumApprovals'; params: { num_approvals: number } }
  | { scope: 'SetActiveProposalsLimit'; params: { active_proposals_limit: number } }
  | { scope: 'SetContextValue'; params: { key: number[]; value: number[] } }
  | { scope: 'DeleteProposal'; params: { proposal_id: string } };

export function actionToJson(a: ProposalAction): ActionJson {
  switch (a.scope) {
    case 'ExternalFunctionCall':
      return { scope: a.scope, params: { receiver_id: a.receiverId, method_name: a.methodName, args: a.args, deposit: Number(a.deposit) } };
    case 'Transfer':
      return { scope: a.scope, params: { receiver_id: a.receiverId, amount: Number(a.amount) } };
    case 'SetNumApprovals':
      return { scope: a.scope, params: { num_approvals: a.numApprovals } };
    case 'SetActiveProposalsLimit':
      return { scope: a.scope, params: { active_proposals_limit: a.activeProposalsLimit } };
    case 'SetContextValue':
      return { scope: a.scope, params: { key: [...a.key], value: [...a.value] } };
    case 'DeleteProposal':
      return { scope: a.scope, params: { proposal_id: encodeId(a.proposalId) } };
  }
}

/** The action of a (validated) admin API body; base58 ids decoded (throws IdError on a bad one). */
export function actionFromJson(j: ActionJson): ProposalAction {
  switch (j.scope) {
    case 'ExternalFunctionCall':
      return { scope: j.scope, receiverId: j.params.receiver_id, methodName: j.params.method_name, args: j.params.args, deposit: BigInt(j.params.deposit) };
    case 'Transfer':
      return { scope: j.scope, receiverId: j.params.receiver_id, amount: BigInt(j.params.amount) };
    case 'SetNumApprovals':
      return { scope: j.scope, numApprovals: j.params.num_approvals };
    case 'SetActiveProposalsLimit':
      return { scope: j.scope, activeProposalsLimit: j.params.active_proposals_limit };
    case 'SetContextValue':
      return { scope: j.scope, key: Uint8Array.from(j.params.key), value: Uint8Array.from(j.params.value) };
    case 'DeleteProposal':
      return { scope: j.scope, proposalId: decodeId(j.params.proposal_id) };
  }
}
