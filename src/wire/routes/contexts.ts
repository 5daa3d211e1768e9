import { route } from '../../http/route.ts';
import { permission } from '../permission.ts';
import {
  contextsWithExecutorsResponse,
  contextUsersResponse,
  createContextRequest,
  createContextResponse,
  deleteContextResponse,
  emptyResponse,
  generateIdentityResponse,
  inviteSpecializedNodeRequest,
  inviteSpecializedNodeResponse,
  getContextResponse,
  identitiesResponse,
  listContextsResponse,
  storageResponse,
  updateContextApplicationRequest,
} from '../admin.ts';
import { syncStatusResponse } from '../sync-status.ts';
import { capabilitiesRequest, capabilitiesResponse, inviteRequest, inviteResponse, joinRequest, joinResponse, leaveResponse } from '../membership.ts';
import { inviteByOpenInvitationRequest, inviteByOpenInvitationResponse, joinByOpenInvitationRequest, joinByOpenInvitationResponse } from '../membership.ts';
import { issuedInvitationsResponse, revokeOpenInvitationResponse } from '../membership.ts';

type P = { params: Record<string, string> };
const ctx = ({ params }: P) => params.context_id!;
const app = ({ params }: P) => params.application_id!;

/** Contexts and their members. */
export const contextRoutes = {
  /** Creates a context of an installed application and runs its `init`. */
  createContext: route({
    method: 'POST',
    url: '/admin-api/contexts',
    access: 'protected',
    permission: () => permission('context', 'create'),
    body: { schema: createContextRequest, errors: 'validated' },
    response: createContextResponse,
  }),
  listContexts: route({
    method: 'GET',
    url: '/admin-api/contexts',
    access: 'protected',
    permission: () => permission('context', 'list'),
    response: listContextsResponse,
  }),
  getContext: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id',
    access: 'protected',
    permission: (p) => permission('context', 'list', ctx(p)),
    response: getContextResponse,
  }),
  /** Deleting an unknown context is `{"isDeleted":false}` with 200, as upstream. */
  deleteContext: route({
    method: 'DELETE',
    url: '/admin-api/contexts/:context_id',
    access: 'protected',
    permission: (p) => permission('context', 'delete', ctx(p)),
    response: deleteContextResponse,
  }),
  /** Every member of the context. */
  identities: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/identities',
    access: 'protected',
    permission: (p) => permission('context', 'list', ctx(p)),
    response: identitiesResponse,
  }),
  /** Members whose private key this node holds. */
  identitiesOwned: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/identities-owned',
    access: 'protected',
    permission: (p) => permission('context', 'list', ctx(p)),
    response: identitiesResponse,
  }),
  /** Real size of the context's state in bytes (upstream's handler is a stub answering 0). */
  contextStorage: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/storage',
    access: 'protected',
    permission: (p) => permission('context', 'list', ctx(p)),
    response: storageResponse,
  }),
  contextsForApplication: route({
    method: 'GET',
    url: '/admin-api/contexts/for-application/:application_id',
    access: 'protected',
    permission: (p) => permission('context', 'list', app(p)),
    response: listContextsResponse,
  }),
  /** Unwrapped and snake_case, as upstream. */
  contextsWithExecutors: route({
    method: 'GET',
    url: '/admin-api/contexts/with-executors/for-application/:application_id',
    access: 'protected',
    permission: (p) => permission('context', 'list', app(p)),
    response: contextsWithExecutorsResponse,
  }),
  /** Switches the context to another installed application, then runs `migrateMethod` (if given). */
  updateContextApplication: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/application',
    access: 'protected',
    permission: (p) => permission('context', 'application:update', ctx(p)),
    body: { schema: updateContextApplicationRequest, errors: 'validated' },
    response: emptyResponse,
  }),
  /** Starts a catch-up with the connected peers of every context now; answers before it ends, as upstream. */
  syncContexts: route({
    method: 'POST',
    url: '/admin-api/contexts/sync',
    access: 'protected',
    response: emptyResponse,
  }),
  /** The same for one context; a malformed id means every context, as upstream's optional path. */
  syncContext: route({
    method: 'POST',
    url: '/admin-api/contexts/sync/:context_id',
    access: 'protected',
    response: emptyResponse,
  }),
  /**
   * Ours (upstream has none): the context's sync status — reachable and known peers, last sync, entries whose
   * merge failed, pending entries, heads (docs/network.md §5). 404 `Context not found` for an unknown context.
   * Needs `admin`: mero-auth's permission table (ours and upstream's, in proxy mode) names no permission for it.
   */
  contextSyncStatus: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/sync-status',
    access: 'protected',
    response: syncStatusResponse,
  }),
  /** A new key pair in the node's identity pool (body ignored). */
  generateContextIdentity: route({
    method: 'POST',
    url: '/admin-api/identity/context',
    access: 'protected',
    response: generateIdentityResponse,
  }),
};

/** Membership of participating contexts (docs/network.md). */
export const membershipRoutes = {
  /** The inviter signs an "add member" entry; → the base58 invitation payload, `null` for an unknown context. */
  invite: route({
    method: 'POST',
    url: '/admin-api/contexts/invite',
    access: 'protected',
    body: { schema: inviteRequest, errors: 'validated' },
    response: inviteResponse,
  }),
  /**
   * Upstream broadcasts an invitation that a TEE node answers with a TDX attestation; this node cannot take part
   * in that exchange, so after upstream's own checks it answers 501 saying so.
   */
  inviteSpecializedNode: route({
    method: 'POST',
    url: '/admin-api/contexts/invite-specialized-node',
    access: 'protected',
    body: { schema: inviteSpecializedNodeRequest, errors: 'validated' },
    response: inviteSpecializedNodeResponse,
  }),
  /** Joins with an invitation payload (the invitee identity must be in this node's identity pool). */
  join: route({
    method: 'POST',
    url: '/admin-api/contexts/join',
    access: 'protected',
    body: { schema: joinRequest, errors: 'validated' },
    response: joinResponse,
  }),
  /** Open invitations (src/node/sync/open-invitation.ts): signed by a member with ManageMembers, no invitee. */
  inviteByOpenInvitation: route({
    method: 'POST',
    url: '/admin-api/contexts/invite_by_open_invitation',
    access: 'protected',
    body: { schema: inviteByOpenInvitationRequest, errors: 'validated' },
    response: inviteByOpenInvitationResponse,
  }),
  /** Joins as `newMemberPublicKey` (from the identity pool); the inviter's node adds it to the membership log. */
  joinByOpenInvitation: route({
    method: 'POST',
    url: '/admin-api/contexts/join_by_open_invitation',
    access: 'protected',
    body: { schema: joinByOpenInvitationRequest, errors: 'validated' },
    response: joinByOpenInvitationResponse,
  }),
  /**
   * Ours (upstream has neither): the open invitations this node signed for the context (who joined with each),
   * and revoking one — this node signs every join with such an invitation, so a revocation here is final.
   * 404 `Context not found` / `Open invitation not found`. Need `admin` (mero-auth's table names no permission).
   */
  listOpenInvitations: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/open-invitations',
    access: 'protected',
    response: issuedInvitationsResponse,
  }),
  revokeOpenInvitation: route({
    method: 'DELETE',
    url: '/admin-api/contexts/:context_id/open-invitations/:salt',
    access: 'protected',
    response: revokeOpenInvitationResponse,
  }),
  /** Ours: `?member=<pk>` (or every owned member) leaves, then the context is deleted here. */
  leave: route({
    method: 'DELETE',
    url: '/admin-api/contexts/:context_id/membership',
    access: 'protected',
    permission: (p) => permission('context', 'leave', ctx(p)),
    query: ['member'],
    response: leaveResponse,
  }),
  grantCapabilities: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/capabilities/grant',
    access: 'protected',
    permission: (p) => permission('context', 'capabilities:grant', ctx(p)),
    body: { schema: capabilitiesRequest, errors: 'validated' },
    response: capabilitiesResponse,
  }),
  revokeCapabilities: route({
    method: 'POST',
    url: '/admin-api/contexts/:context_id/capabilities/revoke',
    access: 'protected',
    permission: (p) => permission('context', 'capabilities:revoke', ctx(p)),
    body: { schema: capabilitiesRequest, errors: 'validated' },
    response: capabilitiesResponse,
  }),
};

/** The seed's historical routes (administrators only: upstream's permission table does not name them). */
export const legacyRoutes = {
  /** The seed's member list: `[{userId, joinedAt}]`. */
  contextUsers: route({
    method: 'GET',
    url: '/admin-api/contexts/:context_id/users',
    access: 'protected',
    response: contextUsersResponse,
  }),
};
