/**
 * The proxy contract of a context, emulated without a chain (pure: no store, no network). Upstream keeps
 * proposals, approvals and context values in a per-context proxy contract; here they follow from the context's
 * signed proposal entries (records.ts), folded in (hlc, id) order, so every node holding the same entries holds
 * the same proxy state. The rules are the contract's:
 *
 * - a new context needs 1 approval and allows 10 active proposals per author;
 * - proposing auto-approves as the author; a proposal whose approvals reach the threshold is removed and its
 *   actions run in order (set number of approvals, set active-proposals limit, set context value);
 * - a proposal whose first action is DeleteProposal removes its target at once, only for the target's author;
 * - an id may be proposed once while active; a member approves a proposal once;
 * - actions that need a chain (external function call, transfer) are recorded, but the approval that would run
 *   them is answered with `needs_chain` and not counted: the proposal stays until deleted.
 */
import { encodeId, idKey } from '../../util/ids.ts';
import { DomainError } from '../../util/errors.ts';
import type { Delta } from '../sync/codec.ts';
import { byHlcThenId } from '../sync/membership.ts';
import { decodeActions, needsChain, type ProposalAction } from './actions.ts';

export type ProposalErrorCode =
  | 'proxy_context_not_found'
  | 'proposal_not_found'
  | 'proposal_exists'
  | 'delete_target_missing'
  | 'delete_not_author'
  | 'too_many_proposals'
  | 'already_approved'
  | 'needs_chain'
  | 'value_not_found'
  | 'author_mismatch';

/** A proposal route's failure; answered as upstream's proxy errors (src/server/errors.ts). */
export class ProposalError extends DomainError<ProposalErrorCode> {}

export const DEFAULT_NUM_APPROVALS = 1;
export const DEFAULT_ACTIVE_PROPOSALS_LIMIT = 10;

/** A proposal entry's record (config column, records.ts tag 6). */
export interface ProposalRecord {
  /** The entry id, hex. */
  id: string;
  /** The entry's HLC, decimal. */
  hlc: string;
  /** The signer (base58). */
  author: string;
  op: 'propose' | 'approve';
  /** The proposal id (base58). */
  proposal: string;
  /** borsh `Vec<ProposalAction>`, hex (empty for an approval). */
  actions: string;
}

export interface Proposal {
  id: string;
  author: string;
  actions: ProposalAction[];
  /** Members who approved it (base58), in order. */
  approvals: string[];
}

/** What one entry did. */
export type Verdict =
  | { effect: 'applied' | 'executed'; error?: undefined }
  /** Recorded, but its approval is not counted: running the proposal needs a chain. */
  | { effect: 'applied'; error: { code: 'needs_chain'; message: string } }
  | { effect: 'refused'; error: { code: ProposalErrorCode; message: string } };

export interface ProxyState {
  numApprovals: number;
  activeProposalsLimit: number;
  /** Active proposals by id (base58), in the order they were made. */
  proposals: Map<string, Proposal>;
  /** Context values by key (hex), in the order they were first set. */
  values: Map<string, { key: Uint8Array; value: Uint8Array }>;
  /** Proposals that ran, in order (for views). */
  executed: Array<{ id: string; author: string; actions: ProposalAction[] }>;
  /** The verdict of each folded entry, by entry id (hex). */
  verdicts: Map<string, Verdict>;
}

export function emptyProxy(): ProxyState {
  return { numApprovals: DEFAULT_NUM_APPROVALS, activeProposalsLimit: DEFAULT_ACTIVE_PROPOSALS_LIMIT, proposals: new Map(), values: new Map(), executed: [], verdicts: new Map() };
}

export const MESSAGES: Record<Exclude<ProposalErrorCode, 'needs_chain'>, string> = {
  proxy_context_not_found: 'Context not found',
  proposal_not_found: 'Proposal not found',
  proposal_exists: 'Proposal already exists',
  delete_target_missing: 'Proposal to delete does not exist',
  delete_not_author: 'Can only delete own proposals',
  too_many_proposals: 'Account has too many active proposals. Confirm or delete some.',
  already_approved: 'Already confirmed this proposal with this key',
  value_not_found: 'Context value not found',
  author_mismatch: "the proposal's author_id must be its signerId",
};

function refuse(code: Exclude<ProposalErrorCode, 'needs_chain'>): Verdict {
  return { effect: 'refused', error: { code, message: MESSAGES[code] } };
}

export function needsChainText(p: { id: string; actions: ProposalAction[] }): string {
  const scopes = [...new Set(p.actions.filter(needsChain).map((a) => a.scope))].join(', ');
  return `proposal ${p.id} needs a chain to execute (${scopes}); this node has none: the proposal stays active until it is deleted`;
}

function activeOf(s: ProxyState, author: string): number {
  let n = 0;
  for (const p of s.proposals.values()) if (p.author === author) n++;
  return n;
}

/** Runs the chainless actions of a proposal that reached its threshold (upstream's `finalize_execution`). */
function execute(s: ProxyState, p: Proposal): void {
  s.proposals.delete(p.id);
  for (const a of p.actions) {
    if (a.scope === 'SetNumApprovals') s.numApprovals = a.numApprovals;
    else if (a.scope === 'SetActiveProposalsLimit') s.activeProposalsLimit = a.activeProposalsLimit;
    else if (a.scope === 'SetContextValue') {
      const k = idKey(a.key);
      s.values.delete(k);
      s.values.set(k, { key: a.key, value: a.value });
    }
  }
  s.executed.push({ id: p.id, author: p.author, actions: p.actions });
}

/** Counts `signer`'s approval of `p` (upstream's `internal_confirm`). */
function confirm(s: ProxyState, p: Proposal, signer: string): Verdict {
  if (p.approvals.includes(signer)) return refuse('already_approved');
  if (p.approvals.length + 1 >= s.numApprovals) {
    if (p.actions.some(needsChain)) return { effect: 'applied', error: { code: 'needs_chain', message: needsChainText(p) } };
    execute(s, p);
    return { effect: 'executed' };
  }
  p.approvals.push(signer);
  return { effect: 'applied' };
}

/** Applies one record to the state (in place) and returns its verdict. */
export function step(s: ProxyState, r: ProposalRecord): Verdict {
  if (r.op === 'approve') {
    const p = s.proposals.get(r.proposal);
    return p ? confirm(s, p, r.author) : refuse('proposal_not_found');
  }
  if (s.proposals.has(r.proposal)) return refuse('proposal_exists');
  const actions = decodeActions(Buffer.from(r.actions, 'hex'));
  const first = actions[0];
  if (first?.scope === 'DeleteProposal') {
    const target = s.proposals.get(encodeId(first.proposalId));
    if (!target) return refuse('delete_target_missing');
    if (target.author !== r.author) return refuse('delete_not_author');
    s.proposals.delete(target.id);
    return { effect: 'executed' };
  }
  if (activeOf(s, r.author) + 1 > s.activeProposalsLimit) return refuse('too_many_proposals');
  const p: Proposal = { id: r.proposal, author: r.author, actions, approvals: [] };
  s.proposals.set(p.id, p);
  const v = confirm(s, p, r.author);
  return v.effect === 'executed' || v.error ? v : { effect: 'applied' };
}

/** The proxy state after a context's proposal records, applied in (hlc, id) order. */
export function foldProxy(records: ProposalRecord[]): ProxyState {
  const s = emptyProxy();
  for (const r of [...records].sort(byHlcThenId)) s.verdicts.set(r.id, step(s, r));
  return s;
}

/** The record of a proposal entry. */
export function proposalRecord(d: Delta): ProposalRecord {
  const p = d.payload;
  if (p.type !== 'proposal') throw new Error('not a proposal entry');
  return { id: idKey(d.id), hlc: d.hlc.toString(), author: encodeId(d.author), op: p.op, proposal: encodeId(p.proposal), actions: Buffer.from(p.actions).toString('hex') };
}
