import type { z } from 'zod';
import type * as admin from '../wire/admin.ts';
import type { ClientKeyInfo, RootKeyInfo } from '../wire/auth.ts';
import type { executionEvent, nodeEvent } from '../wire/events.ts';
import type { capability, issuedInvitation, signedOpenInvitation } from '../wire/membership.ts';

/** A node event pushed over WebSocket/SSE: `{contextId, type:"StateMutation", data:{newRoot, events}}`. */
export type NodeEvent = z.infer<typeof nodeEvent>;
export type ExecutionEvent = z.infer<typeof executionEvent>;
export type Application = admin.Application;
export type Context = admin.Context;
export type BlobInfo = z.infer<typeof admin.blobInfo>;
export type ContextUser = z.infer<typeof admin.contextUser>;
export type ContextWithExecutors = z.infer<typeof admin.contextsWithExecutorsResponse>['contexts'][number];
export type NodeInfo = z.infer<typeof admin.nodeInfoResponse>['data'];
/** The seed's DID document (`GET /admin-api/did`): wallet root and client keys. */
export type Did = z.infer<typeof admin.didResponse>['data']['did'];
/** mero-auth's keys (`GET /admin/keys`, `GET /admin/keys/clients`). */
export type { ClientKeyInfo, RootKeyInfo };
/** An access token and its refresh token (mero-auth). */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** A JSON value (what a JSON-RPC call returns). */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Bytes sent to `/admin-api/blobs`: whole (bytes, Blob) or streamed (a ReadableStream or any async iterable, e.g. a Node stream). */
export type BlobSource = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export type AliasKind = 'context' | 'application' | 'identity';

/** A member capability in a context (upstream's enum names). */
export type Capability = z.infer<typeof capability>;

/** A context's sync status (ours: GET /admin-api/contexts/:id/sync-status). */
export type { SyncStatusView as SyncStatus } from '../wire/sync-status.ts';

/** An open invitation as upstream's `SignedOpenInvitation` JSON (snake_case, ids as byte arrays). */
export type SignedOpenInvitation = z.infer<typeof signedOpenInvitation>;
/** One open invitation this node signed (ours: GET /admin-api/contexts/:id/open-invitations). */
export type IssuedOpenInvitation = z.infer<typeof issuedInvitation>;

// ---- proposals (the context's proxy contract) ----
export type Proposal = z.infer<typeof import('../wire/proposals.ts').proposal>;
export type ProposalActionJson = Proposal['actions'][number];
export type ProposalWithApprovals = z.infer<typeof import('../wire/proposals.ts').proposalWithApprovals>;
