import { z } from 'zod';
import { bytes, data, id } from './common.ts';

/**
 * The proposal routes' shapes (upstream 0.10.0 server primitives and context-config types): request bodies are
 * camelCase; `Proposal`, its actions (`{"scope","params"}`, unknown fields refused) and `ProposalWithApprovals`
 * are snake_case. Token amounts (u128) are JSON numbers.
 */

const u32 = z.number().int().min(0).max(0xffff_ffff);
const amount = z.number().int().min(0);

export const proposalAction = z.discriminatedUnion('scope', [
  z.strictObject({ scope: z.literal('ExternalFunctionCall'), params: z.strictObject({ receiver_id: z.string(), method_name: z.string(), args: z.string(), deposit: amount }) }),
  z.strictObject({ scope: z.literal('Transfer'), params: z.strictObject({ receiver_id: z.string(), amount }) }),
  z.strictObject({ scope: z.literal('SetNumApprovals'), params: z.strictObject({ num_approvals: u32 }) }),
  z.strictObject({ scope: z.literal('SetActiveProposalsLimit'), params: z.strictObject({ active_proposals_limit: u32 }) }),
  z.strictObject({ scope: z.literal('SetContextValue'), params: z.strictObject({ key: bytes, value: bytes }) }),
  z.strictObject({ scope: z.literal('DeleteProposal'), params: z.strictObject({ proposal_id: id }) }),
]);

export const proposal = z.strictObject({ id, author_id: id, actions: z.array(proposalAction).max(256) });
export const proposalWithApprovals = z.object({ proposal_id: id, num_approvals: z.number().int().min(0) });

/** Upstream's pagination bounds (offset ≤ 1 000 000, limit 1..=1000). */
const page = { offset: z.number().int().min(0).max(1_000_000), limit: z.number().int().min(1).max(1000) };

/** POST /admin-api/contexts/:id/proposals (a list, despite the verb) */
export const getProposalsRequest = z.object(page);
/** POST …/proposals/context-storage-entries */
export const storageEntriesRequest = z.object(page);
/** POST …/proposals/get-context-value: the key as a UTF-8 string. */
export const contextValueRequest = z.object({ key: z.string().min(1).max(1024) });
/** POST …/proposals/create-and-approve */
export const createAndApproveRequest = z.object({ signerId: id, proposal });
/** POST …/proposals/approve */
export const approveRequest = z.object({ signerId: id, proposalId: id });

export const proposalsResponse = data(z.array(proposal));
export const proposalResponse = data(proposal);
export const approvalsCountResponse = data(proposalWithApprovals);
export const approversResponse = data(z.array(id));
/** GET …/proposals/count: upstream answers the active-proposals limit here (its proxy has no count). */
export const proposalsCountResponse = data(z.number().int().min(0));
export const proposalWithApprovalsResponse = data(proposalWithApprovals.nullable());
export const contextValueResponse = data(bytes);
export const storageEntriesResponse = data(z.array(z.object({ key: bytes, value: bytes })));
export const proxyContractResponse = data(z.string());
