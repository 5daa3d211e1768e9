import { route } from '../../http/route.ts';
import {
  approvalsCountResponse,
  approveRequest,
  approversResponse,
  contextValueRequest,
  contextValueResponse,
  createAndApproveRequest,
  getProposalsRequest,
  proposalResponse,
  proposalsCountResponse,
  proposalsResponse,
  proposalWithApprovalsResponse,
  proxyContractResponse,
  storageEntriesRequest,
  storageEntriesResponse,
} from '../proposals.ts';

/**
 * A context's proposals, approvals and context values: upstream's proxy-contract routes, answered from the
 * emulation (src/node/proposals). mero-auth's table names none of them, so each needs `admin`.
 */
export const proposalRoutes = {
  proposalApprovalsCount: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/proposals/:proposal_id/approvals/count',
    access: 'protected',
    response: approvalsCountResponse,
  }),
  proposalApprovers: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/proposals/:proposal_id/approvals/users',
    access: 'protected',
    response: approversResponse,
  }),
  proposalsCount: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/proposals/count',
    access: 'protected',
    response: proposalsCountResponse,
  }),
  listProposals: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/proposals',
    access: 'protected',
    body: { schema: getProposalsRequest, errors: 'validated' },
    response: proposalsResponse,
  }),
  createAndApproveProposal: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/proposals/create-and-approve',
    access: 'protected',
    body: { schema: createAndApproveRequest, errors: 'validated' },
    response: proposalWithApprovalsResponse,
  }),
  approveProposal: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/proposals/approve',
    access: 'protected',
    body: { schema: approveRequest, errors: 'validated' },
    response: proposalWithApprovalsResponse,
  }),
  getProposal: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/proposals/:proposal_id',
    access: 'protected',
    response: proposalResponse,
  }),
  getContextValue: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/proposals/get-context-value',
    access: 'protected',
    body: { schema: contextValueRequest, errors: 'validated' },
    response: contextValueResponse,
  }),
  contextStorageEntries: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/proposals/context-storage-entries',
    access: 'protected',
    body: { schema: storageEntriesRequest, errors: 'validated' },
    response: storageEntriesResponse,
  }),
  proxyContract: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/proxy-contract',
    access: 'protected',
    response: proxyContractResponse,
  }),
};
