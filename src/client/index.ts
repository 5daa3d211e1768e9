import { nodeRoutes as r } from '../wire/routes/index.ts';
import { authRoutes as ar } from '../wire/routes/auth.ts';
import type { RouteDef } from '../http/route.ts';
import { ApiError, ResponseError, RpcError } from './errors.ts';
import { blobHeaders, errorBody, jsonBytes, type BlobHeaders } from './body.ts';
import { HttpClient } from './http.ts';
import { ProposalsApi } from './proposals.ts';
import { subscribeSse, type SseOptions, type SseSubscription } from './sse.ts';
import { connectWs, wsUrl, type WsOptions, type WsSubscription } from './ws.ts';
import type {
  AliasKind,
  Capability,
  Application,
  BlobInfo,
  BlobSource,
  Context,
  ContextUser,
  ContextWithExecutors,
  ClientKeyInfo,
  Did,
  Json,
  NodeEvent,
  NodeInfo,
  RootKeyInfo,
  SyncStatus,
  SignedOpenInvitation,
  IssuedOpenInvitation,
  TokenPair,
} from './types.ts';

export { ApiError, ResponseError, RpcError };
export type * from './types.ts';
export type { SseOptions, SseSubscription } from './sse.ts';
export type { WebSocketFactory, WebSocketLike, WsOptions, WsSubscription } from './ws.ts';
export { parseSse, type SseMessage } from './sse-parser.ts';
export { jsonBytes, bytesToJson, hashBytes, type BlobHeaders } from './body.ts';
export { HttpClient, type CallArgs, type ClientOptions, type RawRequestInit, type TokenSource } from './http.ts';
/** The route declarations the client calls (`client.call(routes.getContext, { params: { context_id } })`). */
export { nodeRoutes as routes } from '../wire/routes/index.ts';
export { authRoutes } from '../wire/routes/auth.ts';

export interface CreateContextOptions {
  applicationId: string;
  /**
   * Argument of the app's `init`: bytes as given (`Uint8Array` or an array of numbers 0..255), any other
   * value is JSON-encoded. Default: no bytes.
   */
  initializationParams?: unknown;
  protocol?: string;
  /** base58 of 32 bytes: derives the context key (and so the context id) deterministically. */
  contextSeed?: string;
}

export interface CallOptions {
  /** Aliases whose `{alias}` occurrences in the serialised args are replaced by the member's public key. */
  substitute?: string[];
}

type InstallOptions = { metadata?: unknown; package?: string; version?: string };

/** The alias routes of each kind (identity aliases are scoped by a context in the path). */
const ALIASES: Record<AliasKind, { create: RouteDef; lookup: RouteDef; remove: RouteDef; list: RouteDef; field: string }> = {
  context: { create: r.createContextAlias, lookup: r.lookupContextAlias, remove: r.deleteContextAlias, list: r.listContextAliases, field: 'contextId' },
  application: {
    create: r.createApplicationAlias,
    lookup: r.lookupApplicationAlias,
    remove: r.deleteApplicationAlias,
    list: r.listApplicationAliases,
    field: 'applicationId',
  },
  identity: { create: r.createIdentityAlias, lookup: r.lookupIdentityAlias, remove: r.deleteIdentityAlias, list: r.listIdentityAliases, field: 'identity' },
};

/**
 * Typed client of the node server (admin API, JSON-RPC, WebSocket and SSE events) and of mero-auth. Each method
 * is a thin call of a declared route (src/wire/routes): its path, body and answer types come from the
 * declaration, and every JSON answer is validated with the wire schema the server itself uses. Only `fetch`
 * (and a WebSocket, when `subscribeWs` is used) is needed, so it runs in browsers; in Node 20 use
 * `NodeMeroClient` (./node.ts) for WebSocket subscriptions.
 */
export class MeroClient extends HttpClient {
  private rpcId = 0;

  /** Absolute URL of a blob (`GET /admin-api/blobs/:id`), e.g. for `installApplication({url})`. */
  blobUrl(id: string): string {
    return this.urlOf(`/admin-api/blobs/${encodeURIComponent(id)}`);
  }

  // ---- node ---------------------------------------------------------------------------------------------------

  /** GET /admin-api/health (public) → `{status:"alive"}`. */
  async health(): Promise<{ status: string }> {
    return (await this.call(r.health)).data;
  }

  /**
   * Whether this client may use the protected API: true when `/admin-api/is-authed` answers (the node
   * itself always answers 200; an auth proxy in front answers 401 without a valid token) and a protected
   * route accepts the token.
   */
  async isAuthed(): Promise<boolean> {
    try {
      await this.request('GET', r.isAuthed.url);
      await this.request('GET', r.peers.url);
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return false;
      throw err;
    }
  }

  /** GET /admin-api/certificate (public): the node's TLS certificate as PEM text. */
  async certificate(): Promise<string> {
    const pem = await this.call(r.certificate);
    if (typeof pem !== 'string') throw new ResponseError('certificate is not text', pem);
    return pem;
  }

  /** GET /admin-api/node-info (ours): peer id, listen URLs, auth mode, version. */
  async nodeInfo(): Promise<NodeInfo> {
    return (await this.call(r.nodeInfo)).data;
  }

  /** GET /admin-api/peers → the number of connected peers. */
  async peers(): Promise<number> {
    return (await this.call(r.peers)).count;
  }

  // ---- applications -------------------------------------------------------------------------------------------

  /** Installs a WASM module the node downloads from `url`; `hash` = base58 sha256 of the file. → application id. */
  async installApplication(o: { url: string; hash?: string } & InstallOptions): Promise<string> {
    return (await this.call(r.installApplication, { body: defined({ ...o, metadata: jsonBytes(o.metadata) }) })).data.applicationId;
  }

  /** Installs a WASM module (or .mpk bundle) from a path on the **node's** filesystem. → application id. */
  async installDevApplication(o: { path: string } & InstallOptions): Promise<string> {
    return (await this.call(r.installDevApplication, { body: defined({ ...o, metadata: jsonBytes(o.metadata) }) })).data.applicationId;
  }

  async listApplications(): Promise<Application[]> {
    return (await this.call(r.listApplications)).data.apps;
  }

  /** The application, or null when it is not installed. */
  async getApplication(id: string): Promise<Application | null> {
    return (await this.call(r.getApplication, { params: { application_id: id } })).data.application;
  }

  /** DELETE /admin-api/applications/:id (answers 200 even for an unknown id, as upstream). → the id. */
  async uninstallApplication(id: string): Promise<string> {
    return (await this.call(r.uninstallApplication, { params: { application_id: id } })).data.applicationId;
  }

  /** Distinct package names of the installed applications (`unknown` for those installed without one). */
  async listPackages(): Promise<string[]> {
    return (await this.call(r.listPackages)).packages;
  }

  /** Versions of a package, one per installed application. */
  async listVersions(pkg: string): Promise<string[]> {
    return (await this.call(r.listVersions, { params: { package: pkg } })).versions;
  }

  /** The newest version of a package and its application (both null when none is installed). */
  async getLatestVersion(pkg: string): Promise<{ applicationId: string | null; version: string | null }> {
    return this.call(r.latestVersion, { params: { package: pkg } });
  }

  // ---- blobs --------------------------------------------------------------------------------------------------

  /** PUT /admin-api/blobs: bytes or a stream (sent streamed). `hash` (base58 sha256) is checked by the node. */
  async uploadBlob(source: BlobSource, o: { hash?: string; contextId?: string } = {}): Promise<BlobInfo> {
    return (await this.call(r.uploadBlob, { body: source, query: { hash: o.hash || undefined, context_id: o.contextId || undefined } })).data;
  }

  /** Root blobs (chunks are not listed). */
  async listBlobs(): Promise<BlobInfo[]> {
    return (await this.call(r.listBlobs)).data.blobs;
  }

  /** Opens a blob for streaming: its headers and the body stream. */
  async openBlob(id: string, o: { contextId?: string } = {}): Promise<BlobHeaders & { body: ReadableStream<Uint8Array> }> {
    const { path } = this.target(r.downloadBlob, { params: { blob_id: id }, query: { context_id: o.contextId || undefined } });
    const res = await this.fetchRaw(path);
    if (!res.ok || !res.body) throw new ApiError(res.status, await errorBody(res), 'GET', path);
    return { ...blobHeaders(id, res.headers), body: res.body };
  }

  async downloadBlob(id: string, o: { contextId?: string } = {}): Promise<Uint8Array> {
    const { body } = await this.openBlob(id, o);
    return new Uint8Array(await new Response(body).arrayBuffer());
  }

  /** HEAD /admin-api/blobs/:id → the blob's headers, or null when it does not exist. */
  async blobInfo(id: string): Promise<BlobHeaders | null> {
    const { path } = this.target(r.blobInfo, { params: { blob_id: id } });
    const res = await this.fetchRaw(path, { method: 'HEAD' });
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, '', 'HEAD', path);
    return blobHeaders(id, res.headers);
  }

  /** DELETE /admin-api/blobs/:id. A missing blob is an ApiError `Failed to delete blob: Blob not found` (upstream 500, this node 404). */
  async deleteBlob(id: string): Promise<boolean> {
    return (await this.call(r.deleteBlob, { params: { blob_id: id } })).deleted;
  }

  // ---- contexts -----------------------------------------------------------------------------------------------

  /** Creates a context (runs the app's `init`). → `{contextId, memberPublicKey}`. */
  async createContext(o: CreateContextOptions): Promise<{ contextId: string; memberPublicKey: string }> {
    return (await this.call(r.createContext, { body: createContextBody(o) })).data;
  }

  async listContexts(): Promise<Context[]> {
    return (await this.call(r.listContexts)).data.contexts;
  }

  /** The context; a missing one is ApiError 404 `{"error":"Context not found"}`. */
  async getContext(id: string): Promise<Context> {
    return (await this.call(r.getContext, { params: { context_id: id } })).data;
  }

  /** → whether a context was deleted (false for an unknown id). */
  async deleteContext(id: string): Promise<boolean> {
    return (await this.call(r.deleteContext, { params: { context_id: id } })).data.isDeleted;
  }

  /** Members of a context (`owned`: only those whose private key this node holds). */
  async identities(id: string, owned = false): Promise<string[]> {
    return (await this.call(owned ? r.identitiesOwned : r.identities, { params: { context_id: id } })).data.identities;
  }

  async identitiesOwned(id: string): Promise<string[]> {
    return this.identities(id, true);
  }

  /** Size of the context's state in bytes. */
  async contextStorage(id: string): Promise<number> {
    return (await this.call(r.contextStorage, { params: { context_id: id } })).data.sizeInBytes;
  }

  async contextsForApplication(applicationId: string): Promise<Context[]> {
    return (await this.call(r.contextsForApplication, { params: { application_id: applicationId } })).data.contexts;
  }

  /** Contexts of an application with the identities this node owns in each (snake_case, as upstream). */
  async contextsWithExecutors(applicationId: string): Promise<ContextWithExecutors[]> {
    return (await this.call(r.contextsWithExecutors, { params: { application_id: applicationId } })).contexts;
  }

  /** Switches a context to another application (optionally running `migrateMethod`). */
  async updateContextApplication(id: string, o: { applicationId: string; executorPublicKey: string; migrateMethod?: string }): Promise<void> {
    const body = { applicationId: o.applicationId, executorPublicKey: o.executorPublicKey, ...(o.migrateMethod ? { migrateMethod: o.migrateMethod } : {}) };
    await this.call(r.updateContextApplication, { params: { context_id: id }, body });
  }

  /** POST /admin-api/identity/context: a fresh key pair kept by the node. → its public key. */
  async generateContextIdentity(): Promise<string> {
    return (await this.call(r.generateContextIdentity)).data.publicKey;
  }

  /** Asks the node to pull from its peers now: one context, or every context without an id. Answers at once. */
  async syncContext(id?: string): Promise<void> {
    await (id === undefined ? this.call(r.syncContexts) : this.call(r.syncContext, { params: { context_id: id } }));
  }

  /** Ours: the context's sync status (peers, last sync, failed merges, pending entries, heads). */
  async syncStatus(id: string): Promise<SyncStatus> {
    return (await this.call(r.contextSyncStatus, { params: { context_id: id } })).data;
  }

  // ---- participating contexts (docs/network.md) ----------------------------------------------------------------

  /**
   * POST /admin-api/contexts/invite: `inviterId` (an owned member with ManageMembers) adds `inviteeId` to the
   * context. → the base58 invitation payload to hand to the invitee's node; null for an unknown context.
   */
  async invite(contextId: string, inviterId: string, inviteeId: string): Promise<string | null> {
    return (await this.call(r.invite, { body: { contextId, inviterId, inviteeId } })).data;
  }

  /** POST /admin-api/contexts/join: joins with an invitation (its invitee key must be in this node's identity pool). */
  async join(invitationPayload: string): Promise<{ contextId: string; memberPublicKey: string }> {
    return (await this.call(r.join, { body: { invitationPayload } })).data;
  }

  /** POST /admin-api/contexts/invite_by_open_invitation: an invitation anyone may use for `validForBlocks` seconds. */
  async inviteByOpenInvitation(contextId: string, inviterId: string, validForBlocks: number): Promise<SignedOpenInvitation | null> {
    return (await this.call(r.inviteByOpenInvitation, { body: { contextId, inviterId, validForBlocks } })).data;
  }

  /** GET /admin-api/contexts/:id/open-invitations (ours): the open invitations this node signed, newest first. */
  async openInvitations(contextId: string): Promise<IssuedOpenInvitation[]> {
    return (await this.call(r.listOpenInvitations, { params: { context_id: contextId } })).data;
  }

  /** DELETE /admin-api/contexts/:id/open-invitations/:salt (ours): later joins with that invitation are refused. */
  async revokeOpenInvitation(contextId: string, salt: string): Promise<void> {
    await this.call(r.revokeOpenInvitation, { params: { context_id: contextId, salt } });
  }

  /** POST /admin-api/contexts/join_by_open_invitation as `newMemberPublicKey` (an identity of this node's pool). */
  async joinByOpenInvitation(invitation: SignedOpenInvitation, newMemberPublicKey: string): Promise<{ contextId: string; memberPublicKey: string } | null> {
    return (await this.call(r.joinByOpenInvitation, { body: { invitation, newMemberPublicKey } })).data;
  }

  /** DELETE /admin-api/contexts/:id/membership: leaves (every owned member, or `member`), then deletes the context here. */
  async leave(contextId: string, member?: string): Promise<boolean> {
    return (await this.call(r.leave, { params: { context_id: contextId }, query: { member: member || undefined } })).data.isDeleted;
  }

  /** POST /admin-api/contexts/:id/capabilities/grant: `signerId` (with ManageMembers) grants each [member, capability]. */
  async grantCapabilities(contextId: string, signerId: string, capabilities: Array<[string, Capability]>): Promise<void> {
    await this.call(r.grantCapabilities, { params: { context_id: contextId }, body: { capabilities, signer_id: signerId } });
  }

  /** POST /admin-api/contexts/:id/capabilities/revoke */
  async revokeCapabilities(contextId: string, signerId: string, capabilities: Array<[string, Capability]>): Promise<void> {
    await this.call(r.revokeCapabilities, { params: { context_id: contextId }, body: { capabilities, signer_id: signerId } });
  }

  /** The proposal routes of a context's proxy contract (./proposals.ts). */
  readonly proposals = new ProposalsApi(this);

  // ---- aliases ------------------------------------------------------------------------------------------------

  /** Names a context id, application id, or (scoped by `context`) a member public key. Duplicate → ApiError 409/500. */
  async createAlias(kind: AliasKind, alias: string, value: string, context?: string): Promise<void> {
    const a = ALIASES[kind];
    await this.invoke(a.create, { params: scope(kind, context), body: { alias, [a.field]: value } });
  }

  /** → the aliased id, or null. */
  async lookupAlias(kind: AliasKind, alias: string, context?: string): Promise<string | null> {
    const out = (await this.invoke(ALIASES[kind].lookup, { params: { ...scope(kind, context), name: alias } })) as { data: { value: string | null } };
    return out.data.value;
  }

  /** Deleting a missing alias succeeds. */
  async deleteAlias(kind: AliasKind, alias: string, context?: string): Promise<void> {
    await this.invoke(ALIASES[kind].remove, { params: { ...scope(kind, context), name: alias } });
  }

  /** → `{alias: id}`. */
  async listAliases(kind: AliasKind, context?: string): Promise<Record<string, string>> {
    return ((await this.invoke(ALIASES[kind].list, { params: scope(kind, context) })) as { data: Record<string, string> }).data;
  }

  // ---- the seed's historical routes ----------------------------------------------------------------------------

  /** GET /admin-api/contexts/:id/users → `[{userId, joinedAt}]`. */
  async contextUsers(id: string): Promise<ContextUser[]> {
    return (await this.call(r.contextUsers, { params: { context_id: id } })).data.contextUsers;
  }

  /** The seed's `/admin-api/dev/*` routes (same answers as their current counterparts). */
  readonly dev = {
    installApplication: async (o: { url: string; hash?: string; metadata?: unknown }): Promise<string> =>
      (await this.call(r.devInstallApplication, { body: defined({ ...o, metadata: jsonBytes(o.metadata) }) })).data.applicationId,
    listApplications: async (): Promise<Application[]> => (await this.call(r.devListApplications)).data.apps,
    listContexts: async (): Promise<Context[]> => (await this.call(r.devListContexts)).data.contexts,
    createContext: async (o: CreateContextOptions): Promise<{ contextId: string; memberPublicKey: string }> =>
      (await this.call(r.devCreateContext, { body: createContextBody(o) })).data,
  };

  /** GET /admin-api/did: the seed's wallet login keys (root and client keys of NEAR / MetaMask wallets). */
  async did(): Promise<Did> {
    return (await this.call(r.did)).data.did;
  }

  /** DELETE /admin-api/identity/keys: forgets every wallet root and client key (the seed's route). */
  async deleteWalletKeys(): Promise<void> {
    await this.call(r.deleteWalletKeys);
  }

  // ---- mero-auth: tokens and keys (embedded, or behind the proxy; under `rootUrl`) -----------------------------

  /**
   * POST /auth/refresh: exchanges an expired access token and its refresh token for a new pair (the refresh
   * token is single use). Sent without the client's token and never retried through `onUnauthorized`.
   */
  async refreshToken(pair: TokenPair): Promise<TokenPair> {
    const body = { access_token: pair.accessToken, refresh_token: pair.refreshToken };
    const data = await this.callAuth(ar.refresh, { body, init: { anonymous: true } });
    if (!data) throw new ResponseError('unexpected answer to POST /auth/refresh: no tokens', data, [], 'POST', ar.refresh.url);
    return { accessToken: data.access_token, refreshToken: data.refresh_token };
  }

  /** GET /admin/keys: mero-auth's root keys (the first login creates one). */
  async listRootKeys(): Promise<RootKeyInfo[]> {
    return (await this.callAuth(ar.listRootKeys)) ?? [];
  }

  /** GET /admin/keys/clients: client keys issued under the root keys. */
  async listClientKeys(): Promise<ClientKeyInfo[]> {
    return (await this.callAuth(ar.listClientKeys)) ?? [];
  }

  /**
   * DELETE /admin/keys/:key_id: revokes a root key and its refresh tokens. → its `revoked_at`. mero-auth refuses
   * to delete the last active root key with a 200 `{status:false, message}`: that is an ApiError here.
   */
  async deleteRootKey(keyId: string): Promise<{ keyId: string; revokedAt: number | null }> {
    const r = await this.callAuth(ar.deleteRootKey, { params: { key_id: keyId } });
    if (r && 'status' in r) throw new ApiError(200, r, 'DELETE', this.target(ar.deleteRootKey, { params: { key_id: keyId } }).path);
    return { keyId: r?.key_id ?? keyId, revokedAt: r?.revoked_at ?? null };
  }

  /** DELETE /admin/keys/:key_id/clients/:client_id: revokes a client key. */
  async revokeClientKey(rootKeyId: string, clientId: string): Promise<void> {
    await this.callAuth(ar.revokeClientKey, { params: { key_id: rootKeyId, client_id: clientId } });
  }

  // ---- JSON-RPC -----------------------------------------------------------------------------------------------

  /** Runs `method` of the context's app as `executorPublicKey` (a member this node owns). → its JSON output. */
  async execute<T = Json>(contextId: string, method: string, args: unknown, executorPublicKey: string, o: CallOptions = {}): Promise<T> {
    return this.rpc('execute', contextId, method, args, executorPublicKey, o) as Promise<T>;
  }

  /** The seed's read-only call: runs concurrently with other calls and never persists. */
  async query<T = Json>(contextId: string, method: string, args: unknown, executorPublicKey: string, o: CallOptions = {}): Promise<T> {
    return this.rpc('query', contextId, method, args, executorPublicKey, o) as Promise<T>;
  }

  /** The seed's name for `execute`. */
  async mutate<T = Json>(contextId: string, method: string, args: unknown, executorPublicKey: string, o: CallOptions = {}): Promise<T> {
    return this.rpc('mutate', contextId, method, args, executorPublicKey, o) as Promise<T>;
  }

  private async rpc(kind: string, contextId: string, method: string, args: unknown, executorPublicKey: string, o: CallOptions): Promise<unknown> {
    const id = ++this.rpcId;
    const params = { contextId, method, argsJson: args === undefined ? {} : args, executorPublicKey, ...(o.substitute?.length ? { substitute: o.substitute } : {}) };
    const answer = await this.call(r.execute, { body: { jsonrpc: '2.0', id, method: kind, params } });
    if ('error' in answer) throw new RpcError(answer.error.type, answer.error.data);
    return answer.result.output;
  }

  // ---- events -------------------------------------------------------------------------------------------------

  /**
   * Subscribes over SSE (fetch streaming; Node and browsers). With `lastEventId` it resumes that session and
   * receives the events it missed; the stream reconnects by itself unless `reconnect: false`.
   */
  subscribeSse(contextIds: string[], onEvent: (event: NodeEvent, meta: { id: string }) => void, o: SseOptions = {}): Promise<SseSubscription> {
    return subscribeSse(this, contextIds, onEvent, o);
  }

  /** Subscribes over WebSocket; resolves once the node confirmed the subscription. */
  async subscribeWs(contextIds: string[], onEvent: (event: NodeEvent) => void, o: WsOptions = {}): Promise<WsSubscription> {
    const token = await this.bearerToken();
    const socket = this.webSocket(wsUrl(this.url, token), { ...this.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) });
    return connectWs(socket, contextIds, onEvent, o);
  }

  /** POST /sse/subscription (subscribe). → the ids the node echoed. */
  async sseSubscribe(sessionId: string, contextIds: string[]): Promise<string[]> {
    const r0 = (await this.call(r.sseSubscription, { body: { id: sessionId, method: 'subscribe', params: { contextIds } } })).result;
    if (!('contexts' in r0)) throw new ResponseError('unexpected answer to POST /sse/subscription (subscribe)', r0, [], 'POST', r.sseSubscription.url);
    return r0.contexts;
  }

  /** POST /sse/subscription (unsubscribe). */
  async sseUnsubscribe(sessionId: string, contextIds: string[]): Promise<{ unsubscribed: string[]; requested: string[] }> {
    const r0 = (await this.call(r.sseSubscription, { body: { id: sessionId, method: 'unsubscribe', params: { contextIds } } })).result;
    if (!('unsubscribed' in r0)) throw new ResponseError('unexpected answer to POST /sse/subscription (unsubscribe)', r0, [], 'POST', r.sseSubscription.url);
    return { unsubscribed: r0.unsubscribed, requested: r0.requested };
  }

  /** GET /sse/session/:id → the session's subscriptions, event counter and status. */
  async sseSession(sessionId: string): Promise<{ sessionId: string; subscriptions: string[]; eventCounter: number; status: 'active' | 'persisted' }> {
    const s = (await this.call(r.sseSession, { params: { session_id: sessionId } })).result;
    // session_id is a u64 that JSON.parse may round: report the id asked for.
    return { sessionId, subscriptions: s.subscriptions, eventCounter: s.event_counter, status: s.status };
  }
}

/** A body without its undefined fields. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function createContextBody(o: CreateContextOptions) {
  return {
    protocol: o.protocol ?? 'near',
    applicationId: o.applicationId,
    initializationParams: jsonBytes(o.initializationParams),
    ...(o.contextSeed ? { contextSeed: o.contextSeed } : {}),
  };
}

/** The path parameters of an alias route's scope: identity aliases need a context. */
function scope(kind: AliasKind, context?: string): Record<string, string> {
  if (kind !== 'identity') return {};
  if (!context) throw new Error('identity aliases need a context id');
  return { context };
}
