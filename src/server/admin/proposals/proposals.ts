/**
 * The proposal routes (upstream admin/handlers/proposals.rs): a context's emulated proxy contract
 * (src/node/proposals). Failures are upstream's `{"error":…}` answers (statuses in src/server/errors.ts).
 */
import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { proposalRoutes as r } from '../../../wire/routes/proposals.ts';
import { decodeId, encodeId, sameId } from '../../../util/ids.ts';
import { actionFromJson, actionToJson } from '../../../node/proposals/actions.ts';
import { MESSAGES, ProposalError, type Proposal } from '../../../node/proposals/rules.ts';
import { proxyContractId } from '../../../node/proposals/service.ts';
import { pathId } from '../params.ts';

type S = Pick<Services, 'sync'>;

function view(p: Proposal) {
  return { id: p.id, author_id: p.author, actions: p.actions.map(actionToJson) };
}

function page<T>(items: T[], q: { offset: number; limit: number }): T[] {
  return items.slice(q.offset, q.offset + q.limit);
}

export const approvalsCount = (s: S): Handler<typeof r.proposalApprovalsCount> => async ({ params }) => {
  const p = await s.sync.proposals.proposal(pathId(params.context_id), pathId(params.proposal_id));
  return { data: { proposal_id: p.id, num_approvals: p.approvals.length } };
};

export const approvers = (s: S): Handler<typeof r.proposalApprovers> => async ({ params }) => {
  const p = await s.sync.proposals.proposal(pathId(params.context_id), pathId(params.proposal_id));
  return { data: [...p.approvals] };
};

/** Upstream answers its proxy's active-proposals limit here (the proxy has no count). */
export const proposalsCount = (s: S): Handler<typeof r.proposalsCount> => async ({ params }) => {
  return { data: (await s.sync.proposals.state(pathId(params.context_id))).activeProposalsLimit };
};

export const listProposals = (s: S): Handler<typeof r.listProposals> => async ({ params, body }) => {
  const state = await s.sync.proposals.state(pathId(params.context_id));
  return { data: page([...state.proposals.values()], body).map(view) };
};

export const getProposal = (s: S): Handler<typeof r.getProposal> => async ({ params }) => {
  return { data: view(await s.sync.proposals.proposal(pathId(params.context_id), pathId(params.proposal_id))) };
};

export const createAndApprove = (s: S): Handler<typeof r.createAndApproveProposal> => async ({ params, body }) => {
  const ctx = pathId(params.context_id);
  const signer = decodeId(body.signerId);
  if (!sameId(signer, decodeId(body.proposal.author_id))) throw new ProposalError('author_mismatch', MESSAGES.author_mismatch);
  const a = await s.sync.proposals.propose(ctx, signer, decodeId(body.proposal.id), body.proposal.actions.map(actionFromJson));
  return { data: { proposal_id: encodeId(a.proposalId), num_approvals: a.numApprovals } };
};

export const approve = (s: S): Handler<typeof r.approveProposal> => async ({ params, body }) => {
  const a = await s.sync.proposals.approve(pathId(params.context_id), decodeId(body.signerId), decodeId(body.proposalId));
  return { data: { proposal_id: encodeId(a.proposalId), num_approvals: a.numApprovals } };
};

/** The key is sent as a string and looked up as its UTF-8 bytes, as upstream. */
export const contextValue = (s: S): Handler<typeof r.getContextValue> => async ({ params, body }) => {
  const state = await s.sync.proposals.state(pathId(params.context_id));
  const v = state.values.get(Buffer.from(body.key, 'utf8').toString('hex'));
  if (!v) throw new ProposalError('value_not_found', MESSAGES.value_not_found);
  return { data: [...v.value] };
};

export const storageEntries = (s: S): Handler<typeof r.contextStorageEntries> => async ({ params, body }) => {
  const state = await s.sync.proposals.state(pathId(params.context_id));
  return { data: page([...state.values.values()], body).map((e) => ({ key: [...e.key], value: [...e.value] })) };
};

export const proxyContract = (s: S): Handler<typeof r.proxyContract> => async ({ params }) => {
  const ctx = pathId(params.context_id);
  await s.sync.proposals.state(ctx); // Context not found
  return { data: proxyContractId(ctx) };
};
