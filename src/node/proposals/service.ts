/**
 * The proposal operations of a context (admin API, meroctl, applications through `send_proposal` and
 * `approve_proposal`): each proposal or approval is an entry signed by an owned member (author.ts), replicated
 * like membership entries; reads fold the context's proposal records (rules.ts).
 */
import type { Logger } from 'pino';
import { encodeId, idKey } from '../../util/ids.ts';
import type { Outcome } from '../../runtime/index.ts';
import type { Contexts } from '../contexts.ts';
import { ExecuteError } from '../execute-error.ts';
import { DomainError } from '../../util/errors.ts';
import type { Author } from '../sync/author.ts';
import { decodeActions, encodeActions, type ProposalAction } from './actions.ts';
import type { ProposalRecords } from './records.ts';
import { ProposalError, type Proposal, type ProposalRecord, type ProxyState, type Verdict } from './rules.ts';

export interface ProposalsDeps {
  contexts: Contexts;
  author: Author;
  records: ProposalRecords;
  logger: Logger;
}

/** A proposal and how many approvals it holds (upstream's ProposalWithApprovals). */
export interface Approvals {
  proposalId: Uint8Array;
  numApprovals: number;
}

/** The id upstream's `GET /contexts/:id/proxy-contract` answers: ours names the emulation and the context. */
export function proxyContractId(ctx: Uint8Array): string {
  return `merod-proxy:${encodeId(ctx)}`;
}

/** Sorts after every real entry of the same fold (a dry run of an entry not yet made). */
const LAST = { id: 'f'.repeat(64), hlc: ((1n << 64n) - 1n).toString() };

export class Proposals {
  constructor(private readonly d: ProposalsDeps) {}

  /** The context's proxy state; `Context not found` (upstream's text) for an unknown context. */
  async state(ctx: Uint8Array): Promise<ProxyState> {
    if (!(await this.d.contexts.meta(ctx))) throw new ProposalError('proxy_context_not_found', 'Context not found');
    return this.d.records.state(ctx);
  }

  async proposal(ctx: Uint8Array, id: Uint8Array): Promise<Proposal> {
    const p = (await this.state(ctx)).proposals.get(encodeId(id));
    if (!p) throw new ProposalError('proposal_not_found', 'Proposal not found');
    return p;
  }

  /** Proposes `actions` as `signer` (an owned member), which also approves it; executes it at the threshold. */
  propose(ctx: Uint8Array, signer: Uint8Array, id: Uint8Array, actions: ProposalAction[] | Uint8Array): Promise<Approvals> {
    const raw = actions instanceof Uint8Array ? actions : encodeActions(actions);
    decodeActions(raw); // refuses what could not be decoded before anything is signed
    return this.make(ctx, signer, 'propose', id, raw);
  }

  approve(ctx: Uint8Array, signer: Uint8Array, id: Uint8Array): Promise<Approvals> {
    return this.make(ctx, signer, 'approve', id, new Uint8Array(0));
  }

  /**
   * The proposals and approvals an application's call asked for (`outcome.proposals`, `outcome.approvals`),
   * made as its executor after the call committed, proposals first in id order as upstream. The first failure
   * fails the call (upstream answers the call with it too), after the call's state was committed.
   */
  async fromOutcome(ctx: Uint8Array, executor: Uint8Array, outcome: Outcome): Promise<void> {
    const proposals = [...outcome.proposals].sort((a, b) => Buffer.compare(a.id, b.id));
    try {
      for (const p of proposals) await this.propose(ctx, executor, p.id, p.actions);
      for (const id of outcome.approvals) await this.approve(ctx, executor, id);
    } catch (err) {
      if (err instanceof DomainError) throw new ExecuteError('FunctionCallError', `proxy contract: ${err.message}`);
      throw err;
    }
  }

  private async make(ctx: Uint8Array, signer: Uint8Array, op: 'propose' | 'approve', id: Uint8Array, actions: Uint8Array): Promise<Approvals> {
    const proposal = encodeId(id);
    const record: ProposalRecord = { ...LAST, author: encodeId(signer), op, proposal, actions: Buffer.from(actions).toString('hex') };
    const before = await this.state(ctx);
    const approvalsBefore = before.proposals.get(proposal)?.approvals.length ?? 0;
    failOn((await this.d.records.state(ctx, record)).verdicts.get(record.id), false);
    const d = await this.d.author.entry(ctx, signer, { type: 'proposal', op, proposal: id, actions });
    const after = await this.d.records.state(ctx);
    const verdict = after.verdicts.get(idKey(d.id));
    if (verdict?.error?.code === 'needs_chain') this.d.logger.info({ context: encodeId(ctx), proposal }, verdict.error.message);
    failOn(verdict, true);
    const active = after.proposals.get(proposal);
    // Executed: the approvals that ran it (the ones before and this one).
    const numApprovals = active ? active.approvals.length : verdict?.effect === 'executed' && op === 'approve' ? approvalsBefore + 1 : 1;
    return { proposalId: id, numApprovals };
  }
}

/** Throws the verdict's error: a refusal always, `needs_chain` once the entry is recorded. */
function failOn(v: Verdict | undefined, recorded: boolean): void {
  if (!v?.error) return;
  if (v.error.code === 'needs_chain' && !recorded) return;
  throw new ProposalError(v.error.code, v.error.message);
}
