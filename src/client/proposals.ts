import { nodeRoutes as r } from '../wire/routes/index.ts';
import type { HttpClient } from './http.ts';
import type { Proposal, ProposalActionJson, ProposalWithApprovals } from './types.ts';

/**
 * A context's proposals, approvals and context values (upstream's proxy-contract routes; the node emulates
 * the contract): `client.proposals.list(contextId)`, one thin call per route.
 */
export class ProposalsApi {
  constructor(private readonly c: HttpClient) {}

  /** POST /admin-api/contexts/:id/proposals: the active proposals (a page). */
  async list(contextId: string, page: { offset?: number; limit?: number } = {}): Promise<Proposal[]> {
    return (await this.c.call(r.listProposals, { params: { context_id: contextId }, body: { offset: page.offset ?? 0, limit: page.limit ?? 20 } })).data;
  }

  async get(contextId: string, proposalId: string): Promise<Proposal> {
    return (await this.c.call(r.getProposal, { params: { context_id: contextId, proposal_id: proposalId } })).data;
  }

  /** Members (base58) who approved an active proposal. */
  async approvers(contextId: string, proposalId: string): Promise<string[]> {
    return (await this.c.call(r.proposalApprovers, { params: { context_id: contextId, proposal_id: proposalId } })).data;
  }

  async approvalsCount(contextId: string, proposalId: string): Promise<ProposalWithApprovals> {
    return (await this.c.call(r.proposalApprovalsCount, { params: { context_id: contextId, proposal_id: proposalId } })).data;
  }

  /** GET …/proposals/count: upstream's route answers the active-proposals limit. */
  async count(contextId: string): Promise<number> {
    return (await this.c.call(r.proposalsCount, { params: { context_id: contextId } })).data;
  }

  /** Proposes as `signerId` (also its first approval); `id` is the client's choice (32 bytes, base58). */
  async createAndApprove(contextId: string, signerId: string, proposal: { id: string; actions: ProposalActionJson[] }): Promise<ProposalWithApprovals | null> {
    const body = { signerId, proposal: { id: proposal.id, author_id: signerId, actions: proposal.actions } };
    return (await this.c.call(r.createAndApproveProposal, { params: { context_id: contextId }, body })).data;
  }

  async approve(contextId: string, signerId: string, proposalId: string): Promise<ProposalWithApprovals | null> {
    return (await this.c.call(r.approveProposal, { params: { context_id: contextId }, body: { signerId, proposalId } })).data;
  }

  /** A context value (set by an executed proposal) as bytes; ApiError 500 when unset. */
  async getContextValue(contextId: string, key: string): Promise<number[]> {
    return (await this.c.call(r.getContextValue, { params: { context_id: contextId }, body: { key } })).data;
  }

  async contextStorageEntries(contextId: string, page: { offset?: number; limit?: number } = {}): Promise<Array<{ key: number[]; value: number[] }>> {
    return (await this.c.call(r.contextStorageEntries, { params: { context_id: contextId }, body: { offset: page.offset ?? 0, limit: page.limit ?? 100 } })).data;
  }

  async proxyContract(contextId: string): Promise<string> {
    return (await this.c.call(r.proxyContract, { params: { context_id: contextId } })).data;
  }
}
