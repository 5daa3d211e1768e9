import { z } from 'zod';
import { base58 } from '@scure/base';
import * as admin from '../wire/admin.ts';
import { sseSessionResponse, sseSubscribeResponse, sseUnsubscribeResponse } from '../wire/events.ts';
import { jsonrpcResponse } from '../wire/jsonrpc.ts';
import * as membership from '../wire/membership.ts';
import { ClientKeyInfoSchema, RootKeyInfoSchema } from '../auth/schemas.ts';
import { ApiError, ResponseError, RpcError, shapeMessage } from './errors.ts';
import { subscribeSse, type SseOptions, type SseSubscription } from './sse.ts';
import { connectWs, globalWebSocket, wsUrl, type WebSocketFactory, type WsOptions, type WsSubscription } from './ws.ts';
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
  TokenPair,
} from './types.ts';

export { ApiError, ResponseError, RpcError };
export type * from './types.ts';
export type { SseOptions, SseSubscription } from './sse.ts';
export type { WebSocketFactory, WebSocketLike, WsOptions, WsSubscription } from './ws.ts';
export { parseSse, type SseMessage } from './sse-parser.ts';

/** A bearer token, or a function returning the current one (called before every request). */
export type TokenSource = string | undefined | (() => Promise<string | undefined> | string | undefined);
/** @deprecated use TokenSource */
export type Token = TokenSource;

export interface ClientOptions {
  /** Node URL, e.g. http://127.0.0.1:2528 (a path prefix such as http://host/node1 is kept). */
  url: string;
  /** Bearer token for auth-enabled nodes: sent as `Authorization: Bearer …`, and as `?token=` for WS/SSE. */
  token?: TokenSource;
  /** fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** WebSocket constructor wrapper; default: the global WebSocket (browsers). NodeMeroClient uses `ws`. */
  webSocket?: WebSocketFactory;
  /** Extra headers sent with every HTTP request. */
  headers?: Record<string, string>;
  /**
   * Called when a request is answered 401. Resolve true (e.g. after refreshing the token) to have the request
   * sent once more, with the token read again; false to let the 401 through as an ApiError. If the retry is
   * answered 401 too, it is called once more with `retried: true` (its answer is then ignored), so an app can
   * send the user to a login page. Requests with a streamed body (ReadableStream, async iterable) cannot be
   * sent twice and are not retried.
   */
  onUnauthorized?: (info: { method: string; path: string; retried: boolean }) => Promise<boolean> | boolean;
  /**
   * Base URL of the routes upstream serves outside `NODE_PATH_PREFIX`: `/sse…` and mero-auth's `/auth/…` and
   * `/admin/…`. Default: `url`. Set it when `url` carries a path prefix (`http://host/node1` → `http://host`).
   */
  rootUrl?: string;
}

/** Extra options of `fetchRaw`. */
export interface RawRequestInit extends RequestInit {
  /** Also send the token as `?token=` (WebSocket-style; our node accepts it on `/sse`). */
  tokenInQuery?: boolean;
  /** Send no token and never call `onUnauthorized` (public routes such as `/auth/refresh`). */
  anonymous?: boolean;
}

/** The headers the node sends with a blob (HEAD / GET `/admin-api/blobs/:id`, server-api §4.5). */
export interface BlobHeaders {
  blobId: string;
  size: number;
  mimeType: string;
  /** hex sha256 of the whole content */
  hash: string;
  etag: string;
}

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

/**
 * Bytes on the wire are JSON arrays of numbers (never base64): a `Uint8Array` or an array of integers
 * 0..255 is sent as is, `undefined` as `[]`, any other value as the UTF-8 bytes of its JSON text.
 */
export function jsonBytes(value: unknown): number[] {
  if (value === undefined) return [];
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return value as number[];
  return [...new TextEncoder().encode(JSON.stringify(value))];
}

/** Decodes wire bytes (`[123,125]`) as JSON, or returns undefined when they are not JSON text. */
export function bytesToJson(bytes: number[] | Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)));
  } catch {
    return undefined;
  }
}

/** base58 sha256 of some bytes: the `hash` an install-application request or blob upload can carry. */
export async function hashBytes(bytes: Uint8Array): Promise<string> {
  return base58.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

const enc = encodeURIComponent;

/**
 * Typed client of the node server (admin API, JSON-RPC, WebSocket and SSE events). Every JSON answer is
 * validated with the wire schema the server itself uses (src/wire). Only `fetch` (and a WebSocket, when
 * `subscribeWs` is used) is needed, so it runs in browsers; in Node 20 use `NodeMeroClient` (./node.ts) for
 * WebSocket subscriptions.
 */
export class MeroClient {
  readonly url: string;
  private readonly token: TokenSource;
  private readonly fetchFn: typeof fetch;
  private readonly webSocket: WebSocketFactory;
  private readonly headers: Record<string, string>;
  private readonly onUnauthorized: ClientOptions['onUnauthorized'];
  /** Base URL of `/sse`, `/auth/…` and `/admin/…` (see ClientOptions.rootUrl). */
  readonly rootUrl: string;
  private rpcId = 0;

  constructor(o: ClientOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.rootUrl = (o.rootUrl ?? o.url).replace(/\/+$/, '');
    this.token = o.token;
    this.fetchFn = o.fetch ?? ((...a) => fetch(...a));
    this.webSocket = o.webSocket ?? globalWebSocket;
    this.headers = o.headers ?? {};
    this.onUnauthorized = o.onUnauthorized;
  }

  /** Absolute URL of a route: `/sse…`, `/auth/…`, `/admin/…` under `rootUrl`, everything else under `url`. */
  urlOf(path: string): string {
    return (/^\/(sse|auth|admin)(?=[/?]|$)/.test(path) ? this.rootUrl : this.url) + path;
  }

  /** Absolute URL of a blob (`GET /admin-api/blobs/:id`), e.g. for `installApplication({url})`. */
  blobUrl(id: string): string {
    return this.urlOf(`/admin-api/blobs/${enc(id)}`);
  }

  /** The current bearer token (undefined when none). */
  async bearerToken(): Promise<string | undefined> {
    return (typeof this.token === 'function' ? await this.token() : this.token) || undefined;
  }

  async authHeader(): Promise<Record<string, string>> {
    const t = await this.bearerToken();
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  /**
   * A raw request with the client's headers and token; the caller reads the Response. A 401 goes through
   * `onUnauthorized` (and one retry) unless `anonymous`.
   */
  async fetchRaw(path: string, init: RawRequestInit = {}): Promise<Response> {
    const { tokenInQuery, anonymous, ...rest } = init;
    const method = (rest.method ?? 'GET').toUpperCase();
    const send = async (): Promise<Response> => {
      const token = anonymous ? undefined : await this.bearerToken();
      const headers: Record<string, string> = { ...this.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
      new Headers(rest.headers).forEach((v, k) => (headers[k] = v));
      let url = this.urlOf(path);
      if (tokenInQuery && token) url += `${url.includes('?') ? '&' : '?'}token=${enc(token)}`;
      return this.fetchFn(url, { ...rest, headers });
    };
    let res = await send();
    if (res.status !== 401 || anonymous || !this.onUnauthorized) return res;
    const retry = await this.onUnauthorized({ method, path, retried: false });
    if (!retry || !replayable(rest.body)) return res;
    await res.body?.cancel().catch(() => undefined);
    res = await send();
    if (res.status === 401) await this.onUnauthorized({ method, path, retried: true });
    return res;
  }

  /**
   * Sends a request and returns the parsed JSON body (null when empty, the text when not JSON). A JSON
   * value `body` is sent as `application/json`; bytes and streams as they are. Non-2xx → ApiError.
   */
  async request(method: string, path: string, body?: unknown, extra: RawRequestInit = {}): Promise<unknown> {
    const headers = new Headers(extra.headers);
    let payload: BodyInit | undefined;
    let duplex: 'half' | undefined;
    if (body === undefined) payload = undefined;
    else if (isBinary(body)) {
      ({ payload, duplex } = toBody(body as BlobSource));
      if (!headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
    } else {
      payload = JSON.stringify(body);
      headers.set('content-type', 'application/json');
    }
    const res = await this.fetchRaw(path, { ...extra, method, headers, body: payload, ...(duplex ? { duplex } : {}) } as RawRequestInit);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : res.ok ? null : '';
    } catch {
      /* a text body */
    }
    if (!res.ok) throw new ApiError(res.status, parsed, method, path);
    return parsed;
  }

  /** `request` + validation of the answer with a wire schema. */
  async typed<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown, extra: RawRequestInit = {}): Promise<z.infer<S>> {
    const raw = await this.request(method, path, body, extra);
    const r = schema.safeParse(raw);
    if (!r.success) throw new ResponseError(shapeMessage(method, path, r.error.issues), raw, r.error.issues, method, path);
    return r.data;
  }

  /**
   * A mero-auth route: its `{"data": …, "error": null}` envelope is checked and unwrapped; an answer with
   * `error` set is an ApiError even when the status is 2xx.
   */
  async authTyped<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown, extra: RawRequestInit = {}): Promise<z.infer<S> | null> {
    const env = (await this.typed(z.object({ data: schema.nullable(), error: z.string().nullable().optional() }), method, path, body, extra)) as {
      data: z.infer<S> | null;
      error?: string | null;
    };
    if (env.error) throw new ApiError(200, { error: env.error }, method, path);
    return env.data as z.infer<S> | null;
  }

  // ---- node ---------------------------------------------------------------------------------------------------

  /** GET /admin-api/health (public) → `{status:"alive"}`. */
  async health(): Promise<{ status: string }> {
    return (await this.typed(admin.healthResponse, 'GET', '/admin-api/health')).data;
  }

  /**
   * Whether this client may use the protected API: true when `/admin-api/is-authed` answers (the node
   * itself always answers 200; an auth proxy in front answers 401 without a valid token) and a protected
   * route accepts the token.
   */
  async isAuthed(): Promise<boolean> {
    try {
      await this.request('GET', '/admin-api/is-authed');
      await this.request('GET', '/admin-api/peers');
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return false;
      throw err;
    }
  }

  /** GET /admin-api/certificate (public): the node's TLS certificate as PEM text. */
  async certificate(): Promise<string> {
    const pem = await this.request('GET', '/admin-api/certificate');
    if (typeof pem !== 'string') throw new ResponseError('certificate is not text', pem);
    return pem;
  }

  /** GET /admin-api/node-info (ours): peer id, listen URLs, auth mode, version. */
  async nodeInfo(): Promise<NodeInfo> {
    return (await this.typed(admin.nodeInfoResponse, 'GET', '/admin-api/node-info')).data;
  }

  /** GET /admin-api/peers → the number of connected peers. */
  async peers(): Promise<number> {
    return (await this.typed(admin.peersResponse, 'GET', '/admin-api/peers')).count;
  }

  // ---- applications -------------------------------------------------------------------------------------------

  /** Installs a WASM module the node downloads from `url`; `hash` = base58 sha256 of the file. → application id. */
  async installApplication(o: { url: string; hash?: string; metadata?: unknown; package?: string; version?: string }): Promise<string> {
    return this.install('/admin-api/install-application', { ...o, metadata: jsonBytes(o.metadata) });
  }

  /** Installs a WASM module (or .mpk bundle) from a path on the **node's** filesystem. → application id. */
  async installDevApplication(o: { path: string; metadata?: unknown; package?: string; version?: string }): Promise<string> {
    return this.install('/admin-api/install-dev-application', { ...o, metadata: jsonBytes(o.metadata) });
  }

  private async install(path: string, body: Record<string, unknown>): Promise<string> {
    const clean = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    return (await this.typed(admin.installApplicationResponse, 'POST', path, clean)).data.applicationId;
  }

  async listApplications(): Promise<Application[]> {
    return (await this.typed(admin.listApplicationsResponse, 'GET', '/admin-api/applications')).data.apps;
  }

  /** The application, or null when it is not installed. */
  async getApplication(id: string): Promise<Application | null> {
    return (await this.typed(admin.getApplicationResponse, 'GET', `/admin-api/applications/${enc(id)}`)).data.application;
  }

  /** DELETE /admin-api/applications/:id (answers 200 even for an unknown id, as upstream). → the id. */
  async uninstallApplication(id: string): Promise<string> {
    return (await this.typed(admin.uninstallApplicationResponse, 'DELETE', `/admin-api/applications/${enc(id)}`)).data.applicationId;
  }

  // ---- blobs --------------------------------------------------------------------------------------------------

  /** PUT /admin-api/blobs: bytes or a stream (sent streamed). `hash` (base58 sha256) is checked by the node. */
  async uploadBlob(source: BlobSource, o: { hash?: string; contextId?: string } = {}): Promise<BlobInfo> {
    const q = new URLSearchParams();
    if (o.hash) q.set('hash', o.hash);
    if (o.contextId) q.set('context_id', o.contextId);
    const qs = q.toString();
    const path = `/admin-api/blobs${qs ? `?${qs}` : ''}`;
    return (await this.typed(admin.uploadBlobResponse, 'PUT', path, source)).data;
  }

  /** Root blobs (chunks are not listed). */
  async listBlobs(): Promise<BlobInfo[]> {
    return (await this.typed(admin.listBlobsResponse, 'GET', '/admin-api/blobs')).data.blobs;
  }

  /** Opens a blob for streaming: its headers and the body stream. */
  async openBlob(id: string, o: { contextId?: string } = {}): Promise<BlobHeaders & { body: ReadableStream<Uint8Array> }> {
    const path = `/admin-api/blobs/${enc(id)}${o.contextId ? `?context_id=${enc(o.contextId)}` : ''}`;
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
    const path = `/admin-api/blobs/${enc(id)}`;
    const res = await this.fetchRaw(path, { method: 'HEAD' });
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, '', 'HEAD', path);
    return blobHeaders(id, res.headers);
  }

  /** DELETE /admin-api/blobs/:id. A missing blob is an ApiError `Failed to delete blob: Blob not found` (upstream 500, this node 404). */
  async deleteBlob(id: string): Promise<boolean> {
    return (await this.typed(admin.deleteBlobResponse, 'DELETE', `/admin-api/blobs/${enc(id)}`)).deleted;
  }

  // ---- contexts -----------------------------------------------------------------------------------------------

  /** Creates a context (runs the app's `init`). → `{contextId, memberPublicKey}`. */
  async createContext(o: CreateContextOptions): Promise<{ contextId: string; memberPublicKey: string }> {
    return (await this.typed(admin.createContextResponse, 'POST', '/admin-api/contexts', createContextBody(o))).data;
  }

  async listContexts(): Promise<Context[]> {
    return (await this.typed(admin.listContextsResponse, 'GET', '/admin-api/contexts')).data.contexts;
  }

  /** The context; a missing one is ApiError 404 `{"error":"Context not found"}`. */
  async getContext(id: string): Promise<Context> {
    return (await this.typed(admin.getContextResponse, 'GET', `/admin-api/contexts/${enc(id)}`)).data;
  }

  /** → whether a context was deleted (false for an unknown id). */
  async deleteContext(id: string): Promise<boolean> {
    return (await this.typed(admin.deleteContextResponse, 'DELETE', `/admin-api/contexts/${enc(id)}`)).data.isDeleted;
  }

  /** Members of a context (`owned`: only those whose private key this node holds). */
  async identities(id: string, owned = false): Promise<string[]> {
    const path = `/admin-api/contexts/${enc(id)}/identities${owned ? '-owned' : ''}`;
    return (await this.typed(admin.identitiesResponse, 'GET', path)).data.identities;
  }

  async identitiesOwned(id: string): Promise<string[]> {
    return this.identities(id, true);
  }

  /** Size of the context's state in bytes. */
  async contextStorage(id: string): Promise<number> {
    return (await this.typed(admin.storageResponse, 'GET', `/admin-api/contexts/${enc(id)}/storage`)).data.sizeInBytes;
  }

  async contextsForApplication(applicationId: string): Promise<Context[]> {
    const path = `/admin-api/contexts/for-application/${enc(applicationId)}`;
    return (await this.typed(admin.listContextsResponse, 'GET', path)).data.contexts;
  }

  /** Contexts of an application with the identities this node owns in each (snake_case, as upstream). */
  async contextsWithExecutors(applicationId: string): Promise<ContextWithExecutors[]> {
    const path = `/admin-api/contexts/with-executors/for-application/${enc(applicationId)}`;
    return (await this.typed(admin.contextsWithExecutorsResponse, 'GET', path)).contexts;
  }

  /** Switches a context to another application (optionally running `migrateMethod`). */
  async updateContextApplication(id: string, o: { applicationId: string; executorPublicKey: string; migrateMethod?: string }): Promise<void> {
    const body = { applicationId: o.applicationId, executorPublicKey: o.executorPublicKey, ...(o.migrateMethod ? { migrateMethod: o.migrateMethod } : {}) };
    await this.typed(admin.emptyResponse, 'POST', `/admin-api/contexts/${enc(id)}/application`, body);
  }

  /** POST /admin-api/identity/context: a fresh key pair kept by the node. → its public key. */
  async generateContextIdentity(): Promise<string> {
    return (await this.typed(admin.generateIdentityResponse, 'POST', '/admin-api/identity/context')).data.publicKey;
  }

  // ---- participating contexts (docs/network.md) ----------------------------------------------------------------

  /**
   * POST /admin-api/contexts/invite: `inviterId` (an owned member with ManageMembers) adds `inviteeId` to the
   * context. → the base58 invitation payload to hand to the invitee's node; null for an unknown context.
   */
  async invite(contextId: string, inviterId: string, inviteeId: string): Promise<string | null> {
    return (await this.typed(membership.inviteResponse, 'POST', '/admin-api/contexts/invite', { contextId, inviterId, inviteeId })).data;
  }

  /** POST /admin-api/contexts/join: joins with an invitation (its invitee key must be in this node's identity pool). */
  async join(invitationPayload: string): Promise<{ contextId: string; memberPublicKey: string }> {
    return (await this.typed(membership.joinResponse, 'POST', '/admin-api/contexts/join', { invitationPayload })).data;
  }

  /** DELETE /admin-api/contexts/:id/membership: leaves (every owned member, or `member`), then deletes the context here. */
  async leave(contextId: string, member?: string): Promise<boolean> {
    const q = member ? `?member=${enc(member)}` : '';
    return (await this.typed(membership.leaveResponse, 'DELETE', `/admin-api/contexts/${enc(contextId)}/membership${q}`)).data.isDeleted;
  }

  /** POST /admin-api/contexts/:id/capabilities/grant: `signerId` (with ManageMembers) grants each [member, capability]. */
  async grantCapabilities(contextId: string, signerId: string, capabilities: Array<[string, Capability]>): Promise<void> {
    await this.typed(membership.capabilitiesResponse, 'POST', `/admin-api/contexts/${enc(contextId)}/capabilities/grant`, { capabilities, signer_id: signerId });
  }

  /** POST /admin-api/contexts/:id/capabilities/revoke */
  async revokeCapabilities(contextId: string, signerId: string, capabilities: Array<[string, Capability]>): Promise<void> {
    await this.typed(membership.capabilitiesResponse, 'POST', `/admin-api/contexts/${enc(contextId)}/capabilities/revoke`, { capabilities, signer_id: signerId });
  }

  // ---- aliases ------------------------------------------------------------------------------------------------

  /** Names a context id, application id, or (scoped by `context`) a member public key. Duplicate → ApiError 409/500. */
  async createAlias(kind: AliasKind, alias: string, value: string, context?: string): Promise<void> {
    const field = kind === 'context' ? 'contextId' : kind === 'application' ? 'applicationId' : 'identity';
    await this.typed(admin.emptyResponse, 'POST', `/admin-api/alias/create/${kind}${scope(kind, context)}`, { alias, [field]: value });
  }

  /** → the aliased id, or null. */
  async lookupAlias(kind: AliasKind, alias: string, context?: string): Promise<string | null> {
    const path = `/admin-api/alias/lookup/${kind}${scope(kind, context)}/${enc(alias)}`;
    return (await this.typed(admin.lookupAliasResponse, 'POST', path)).data.value;
  }

  /** Deleting a missing alias succeeds. */
  async deleteAlias(kind: AliasKind, alias: string, context?: string): Promise<void> {
    await this.typed(admin.emptyResponse, 'POST', `/admin-api/alias/delete/${kind}${scope(kind, context)}/${enc(alias)}`);
  }

  /** → `{alias: id}`. */
  async listAliases(kind: AliasKind, context?: string): Promise<Record<string, string>> {
    return (await this.typed(admin.listAliasesResponse, 'GET', `/admin-api/alias/list/${kind}${scope(kind, context)}`)).data;
  }

  // ---- the seed's historical routes (server-api §12) ---------------------------------------------------------

  /** GET /admin-api/contexts/:id/users → `[{userId, joinedAt}]`. */
  async contextUsers(id: string): Promise<ContextUser[]> {
    return (await this.typed(admin.contextUsersResponse, 'GET', `/admin-api/contexts/${enc(id)}/users`)).data.contextUsers;
  }

  /** The seed's `/admin-api/dev/*` routes (same answers as their current counterparts). */
  readonly dev = {
    installApplication: async (o: { url: string; hash?: string; metadata?: unknown }): Promise<string> =>
      this.install('/admin-api/dev/install-application', { ...o, metadata: jsonBytes(o.metadata) }),
    listApplications: async (): Promise<Application[]> =>
      (await this.typed(admin.listApplicationsResponse, 'GET', '/admin-api/dev/applications')).data.apps,
    listContexts: async (): Promise<Context[]> => (await this.typed(admin.listContextsResponse, 'GET', '/admin-api/dev/contexts')).data.contexts,
    createContext: async (o: CreateContextOptions): Promise<{ contextId: string; memberPublicKey: string }> =>
      (await this.typed(admin.createContextResponse, 'POST', '/admin-api/dev/contexts', createContextBody(o))).data,
  };

  /** GET /admin-api/did: the seed's wallet login keys (root and client keys of NEAR / MetaMask wallets). */
  async did(): Promise<Did> {
    return (await this.typed(admin.didResponse, 'GET', '/admin-api/did')).data.did;
  }

  /** DELETE /admin-api/identity/keys: forgets every wallet root and client key (the seed's route). */
  async deleteWalletKeys(): Promise<void> {
    await this.request('DELETE', '/admin-api/identity/keys');
  }

  // ---- mero-auth: tokens and keys (embedded, or behind the proxy; under `rootUrl`) -----------------------------

  /**
   * POST /auth/refresh: exchanges an expired access token and its refresh token for a new pair (the refresh
   * token is single use). Sent without the client's token and never retried through `onUnauthorized`.
   */
  async refreshToken(pair: TokenPair): Promise<TokenPair> {
    const body = { access_token: pair.accessToken, refresh_token: pair.refreshToken };
    const data = await this.authTyped(z.object({ access_token: z.string(), refresh_token: z.string() }), 'POST', '/auth/refresh', body, { anonymous: true });
    if (!data) throw new ResponseError('unexpected answer to POST /auth/refresh: no tokens', data, [], 'POST', '/auth/refresh');
    return { accessToken: data.access_token, refreshToken: data.refresh_token };
  }

  /** GET /admin/keys: mero-auth's root keys (the first login creates one). */
  async listRootKeys(): Promise<RootKeyInfo[]> {
    return (await this.authTyped(z.array(RootKeyInfoSchema), 'GET', '/admin/keys')) ?? [];
  }

  /** GET /admin/keys/clients: client keys issued under the root keys. */
  async listClientKeys(): Promise<ClientKeyInfo[]> {
    return (await this.authTyped(z.array(ClientKeyInfoSchema), 'GET', '/admin/keys/clients')) ?? [];
  }

  /**
   * DELETE /admin/keys/:key_id: revokes a root key and its refresh tokens. → its `revoked_at`. mero-auth refuses
   * to delete the last active root key with a 200 `{status:false, message}`: that is an ApiError here.
   */
  async deleteRootKey(keyId: string): Promise<{ keyId: string; revokedAt: number | null }> {
    const path = `/admin/keys/${enc(keyId)}`;
    const r = (await this.authTyped(z.unknown(), 'DELETE', path)) as { status?: boolean; message?: string; key_id?: string; revoked_at?: number } | null;
    if (r && r.status === false) throw new ApiError(200, r, 'DELETE', path);
    return { keyId: r?.key_id ?? keyId, revokedAt: r?.revoked_at ?? null };
  }

  /** DELETE /admin/keys/:key_id/clients/:client_id: revokes a client key. */
  async revokeClientKey(rootKeyId: string, clientId: string): Promise<void> {
    await this.authTyped(z.unknown(), 'DELETE', `/admin/keys/${enc(rootKeyId)}/clients/${enc(clientId)}`);
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
    const raw = await this.request('POST', '/jsonrpc', { jsonrpc: '2.0', id, method: kind, params });
    const r = jsonrpcResponse.safeParse(raw);
    if (!r.success) throw new ResponseError(shapeMessage('POST', '/jsonrpc', r.error.issues), raw, r.error.issues, 'POST', '/jsonrpc');
    if ('error' in r.data) throw new RpcError(r.data.error.type, r.data.error.data);
    return r.data.result.output;
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
    const body = { id: sessionId, method: 'subscribe', params: { contextIds } };
    return (await this.typed(sseSubscribeResponse, 'POST', '/sse/subscription', body)).result.contexts;
  }

  /** POST /sse/subscription (unsubscribe). */
  async sseUnsubscribe(sessionId: string, contextIds: string[]): Promise<{ unsubscribed: string[]; requested: string[] }> {
    const body = { id: sessionId, method: 'unsubscribe', params: { contextIds } };
    const r = (await this.typed(sseUnsubscribeResponse, 'POST', '/sse/subscription', body)).result;
    return { unsubscribed: r.unsubscribed, requested: r.requested };
  }

  /** GET /sse/session/:id → the session's subscriptions, event counter and status. */
  async sseSession(sessionId: string): Promise<{ sessionId: string; subscriptions: string[]; eventCounter: number; status: 'active' | 'persisted' }> {
    const r = (await this.typed(sseSessionResponse, 'GET', `/sse/session/${enc(sessionId)}`)).result;
    // session_id is a u64 that JSON.parse may round: report the id asked for.
    return { sessionId, subscriptions: r.subscriptions, eventCounter: r.event_counter, status: r.status };
  }
}

function createContextBody(o: CreateContextOptions) {
  return {
    protocol: o.protocol ?? 'near',
    applicationId: o.applicationId,
    initializationParams: jsonBytes(o.initializationParams),
    ...(o.contextSeed ? { contextSeed: o.contextSeed } : {}),
  };
}

function scope(kind: AliasKind, context?: string): string {
  if (kind !== 'identity') return '';
  if (!context) throw new Error('identity aliases need a context id');
  return `/${enc(context)}`;
}

function blobHeaders(id: string, h: Headers): BlobHeaders {
  const mime = h.get('x-blob-mime-type') ?? h.get('content-type') ?? 'application/octet-stream';
  return {
    blobId: h.get('x-blob-id') ?? id,
    size: Number(h.get('content-length') ?? NaN),
    mimeType: mime,
    hash: h.get('x-blob-hash') ?? '',
    etag: h.get('etag') ?? '',
  };
}

async function errorBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  try {
    return text ? JSON.parse(text) : '';
  } catch {
    return text;
  }
}

/** Whether a fetch body can be sent twice (not a one-shot stream). */
function replayable(body: BodyInit | null | undefined): boolean {
  return !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

function isBinary(v: unknown): boolean {
  return (
    v instanceof Uint8Array ||
    v instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && v instanceof Blob) ||
    (typeof ReadableStream !== 'undefined' && v instanceof ReadableStream) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.asyncIterator in v)
  );
}

/** A fetch body for bytes or a stream (streams need `duplex: 'half'`). */
function toBody(src: BlobSource): { payload: BodyInit; duplex?: 'half' } {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer) return { payload: src as BodyInit };
  if (typeof Blob !== 'undefined' && src instanceof Blob) return { payload: src };
  if (typeof ReadableStream !== 'undefined' && src instanceof ReadableStream) return { payload: src, duplex: 'half' };
  const it = (src as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { value, done } = await it.next();
      if (done) ctrl.close();
      else ctrl.enqueue(value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer));
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
  return { payload: stream, duplex: 'half' };
}
