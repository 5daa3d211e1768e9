import type { z } from 'zod';
import * as admin from '../wire/admin.ts';
import { jsonrpcResponse } from '../wire/jsonrpc.ts';
import { ApiError, RpcError } from './errors.ts';

export { ApiError, RpcError };

export type Token = string | undefined | (() => Promise<string | undefined> | string | undefined);

export interface ClientOptions {
  /** Node URL, e.g. http://127.0.0.1:2528 */
  url: string;
  /** Bearer token (or a function returning the current one) for auth-enabled nodes. */
  token?: Token;
  fetch?: typeof fetch;
}

type Json = Record<string, unknown> | unknown[] | string | number | boolean | null;

/** Bytes on the wire are JSON arrays of numbers; a JSON value given as params is UTF-8 encoded first. */
export function jsonBytes(value: unknown): number[] {
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return value as number[];
  return value === undefined ? [] : [...new TextEncoder().encode(JSON.stringify(value))];
}

/**
 * Typed client of the node server. REST methods validate responses with the same zod schemas the server
 * uses (src/wire); it runs in browsers too (fetch only). WebSocket/SSE helpers for Node are in ./node.ts.
 */
export class MeroClient {
  readonly url: string;
  private readonly token: Token;
  private readonly fetchFn: typeof fetch;

  constructor(o: ClientOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.token = o.token;
    this.fetchFn = o.fetch ?? ((...a) => fetch(...a));
  }

  async authHeader(): Promise<Record<string, string>> {
    const t = typeof this.token === 'function' ? await this.token() : this.token;
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  /** Sends a request; non-2xx answers throw ApiError. Returns the parsed JSON (or null for an empty body). */
  async request(method: string, path: string, body?: unknown, extra: RequestInit = {}): Promise<unknown> {
    const headers: Record<string, string> = { ...(await this.authHeader()), ...((extra.headers as Record<string, string>) ?? {}) };
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) payload = body as unknown as BodyInit;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.fetchFn(this.url + path, { ...extra, method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* text body */
    }
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed;
  }

  private async typed<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> {
    return schema.parse(await this.request(method, path, body));
  }

  // ---- node ---------------------------------------------------------------------------------------------------

  async health(): Promise<{ status: string }> {
    return ((await this.request('GET', '/admin-api/health')) as { data: { status: string } }).data;
  }
  async isAuthed(): Promise<boolean> {
    try {
      await this.request('GET', '/admin-api/is-authed');
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return false;
      throw err;
    }
  }
  async certificate(): Promise<string> {
    return (await this.request('GET', '/admin-api/certificate')) as string;
  }
  async nodeInfo(): Promise<{ peerId: string; listen: string[]; authMode: string; version: string }> {
    return ((await this.request('GET', '/admin-api/node-info')) as { data: never }).data;
  }
  async peers(): Promise<number> {
    return ((await this.request('GET', '/admin-api/peers')) as { count: number }).count;
  }

  // ---- applications -------------------------------------------------------------------------------------------

  async installApplication(o: { url: string; hash?: string; metadata?: unknown; package?: string; version?: string }): Promise<string> {
    const r = await this.typed(admin.installApplicationResponse, 'POST', '/admin-api/install-application', { ...o, metadata: jsonBytes(o.metadata) });
    return r.data.applicationId;
  }
  async installDevApplication(o: { path: string; metadata?: unknown; package?: string; version?: string }): Promise<string> {
    const r = await this.typed(admin.installApplicationResponse, 'POST', '/admin-api/install-dev-application', { ...o, metadata: jsonBytes(o.metadata) });
    return r.data.applicationId;
  }
  async listApplications(): Promise<admin.Application[]> {
    return (await this.typed(admin.listApplicationsResponse, 'GET', '/admin-api/applications')).data.apps;
  }
  async getApplication(id: string): Promise<admin.Application | null> {
    return (await this.typed(admin.getApplicationResponse, 'GET', `/admin-api/applications/${enc(id)}`)).data.application;
  }
  async uninstallApplication(id: string): Promise<void> {
    await this.typed(admin.uninstallApplicationResponse, 'DELETE', `/admin-api/applications/${enc(id)}`);
  }

  // ---- blobs --------------------------------------------------------------------------------------------------

  async uploadBlob(bytes: Uint8Array, o: { hash?: string } = {}): Promise<{ blob_id: string; size: number }> {
    const q = o.hash ? `?hash=${enc(o.hash)}` : '';
    return (await this.typed(admin.uploadBlobResponse, 'PUT', `/admin-api/blobs${q}`, bytes)).data;
  }
  async listBlobs(): Promise<Array<{ blob_id: string; size: number }>> {
    return (await this.typed(admin.listBlobsResponse, 'GET', '/admin-api/blobs')).data.blobs;
  }
  async downloadBlob(id: string): Promise<Uint8Array> {
    const res = await this.fetchFn(`${this.url}/admin-api/blobs/${enc(id)}`, { headers: await this.authHeader() });
    if (!res.ok) throw new ApiError(res.status, await res.text());
    return new Uint8Array(await res.arrayBuffer());
  }
  async blobInfo(id: string): Promise<{ size: number; mimeType: string; hash: string } | null> {
    const res = await this.fetchFn(`${this.url}/admin-api/blobs/${enc(id)}`, { method: 'HEAD', headers: await this.authHeader() });
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, '');
    return { size: Number(res.headers.get('content-length')), mimeType: res.headers.get('x-blob-mime-type') ?? '', hash: res.headers.get('x-blob-hash') ?? '' };
  }
  async deleteBlob(id: string): Promise<void> {
    await this.typed(admin.deleteBlobResponse, 'DELETE', `/admin-api/blobs/${enc(id)}`);
  }

  // ---- contexts -----------------------------------------------------------------------------------------------

  async createContext(o: { applicationId: string; initializationParams?: unknown; protocol?: string; contextSeed?: string }) {
    const body = {
      protocol: o.protocol ?? 'near',
      applicationId: o.applicationId,
      initializationParams: jsonBytes(o.initializationParams),
      ...(o.contextSeed ? { contextSeed: o.contextSeed } : {}),
    };
    return (await this.typed(admin.createContextResponse, 'POST', '/admin-api/contexts', body)).data;
  }
  async listContexts(): Promise<admin.Context[]> {
    return (await this.typed(admin.listContextsResponse, 'GET', '/admin-api/contexts')).data.contexts;
  }
  async getContext(id: string): Promise<admin.Context> {
    return (await this.typed(admin.getContextResponse, 'GET', `/admin-api/contexts/${enc(id)}`)).data;
  }
  async deleteContext(id: string): Promise<boolean> {
    return (await this.typed(admin.deleteContextResponse, 'DELETE', `/admin-api/contexts/${enc(id)}`)).data.isDeleted;
  }
  async identities(id: string, owned = false): Promise<string[]> {
    const path = `/admin-api/contexts/${enc(id)}/identities${owned ? '-owned' : ''}`;
    return (await this.typed(admin.identitiesResponse, 'GET', path)).data.identities;
  }
  async contextStorage(id: string): Promise<number> {
    return (await this.typed(admin.storageResponse, 'GET', `/admin-api/contexts/${enc(id)}/storage`)).data.sizeInBytes;
  }
  async contextsForApplication(applicationId: string): Promise<admin.Context[]> {
    return (await this.typed(admin.listContextsResponse, 'GET', `/admin-api/contexts/for-application/${enc(applicationId)}`)).data.contexts;
  }
  async updateContextApplication(id: string, o: { applicationId: string; executorPublicKey: string; migrateMethod?: string }): Promise<void> {
    await this.request('POST', `/admin-api/contexts/${enc(id)}/application`, o);
  }
  async generateContextIdentity(): Promise<string> {
    return (await this.typed(admin.generateIdentityResponse, 'POST', '/admin-api/identity/context')).data.publicKey;
  }
  async contextUsers(id: string) {
    return (await this.typed(admin.contextUsersResponse, 'GET', `/admin-api/contexts/${enc(id)}/users`)).data.contextUsers;
  }

  // ---- aliases ------------------------------------------------------------------------------------------------

  async createAlias(kind: 'context' | 'application' | 'identity', alias: string, value: string, context?: string): Promise<void> {
    const field = kind === 'context' ? 'contextId' : kind === 'application' ? 'applicationId' : 'identity';
    await this.request('POST', `/admin-api/alias/create/${kind}${scope(kind, context)}`, { alias, [field]: value });
  }
  async lookupAlias(kind: 'context' | 'application' | 'identity', alias: string, context?: string): Promise<string | null> {
    const path = `/admin-api/alias/lookup/${kind}${scope(kind, context)}/${enc(alias)}`;
    return (await this.typed(admin.lookupAliasResponse, 'POST', path)).data.value;
  }
  async deleteAlias(kind: 'context' | 'application' | 'identity', alias: string, context?: string): Promise<void> {
    await this.request('POST', `/admin-api/alias/delete/${kind}${scope(kind, context)}/${enc(alias)}`);
  }
  async listAliases(kind: 'context' | 'application' | 'identity', context?: string): Promise<Record<string, string>> {
    return (await this.typed(admin.listAliasesResponse, 'GET', `/admin-api/alias/list/${kind}${scope(kind, context)}`)).data;
  }

  // ---- JSON-RPC -----------------------------------------------------------------------------------------------

  /** Runs a method (`execute`: serialised per context, commits). Returns the output or throws RpcError. */
  async execute(contextId: string, method: string, args: unknown, executorPublicKey: string, o: { substitute?: string[] } = {}): Promise<Json> {
    return this.rpc('execute', contextId, method, args, executorPublicKey, o);
  }
  /** Read-only call: runs concurrently and never persists. */
  async query(contextId: string, method: string, args: unknown, executorPublicKey: string): Promise<Json> {
    return this.rpc('query', contextId, method, args, executorPublicKey);
  }
  async mutate(contextId: string, method: string, args: unknown, executorPublicKey: string): Promise<Json> {
    return this.rpc('mutate', contextId, method, args, executorPublicKey);
  }

  private rpcId = 0;
  private async rpc(kind: string, contextId: string, method: string, args: unknown, executorPublicKey: string, o: { substitute?: string[] } = {}): Promise<Json> {
    const body = { jsonrpc: '2.0', id: ++this.rpcId, method: kind, params: { contextId, method, argsJson: args ?? {}, executorPublicKey, ...o } };
    const r = jsonrpcResponse.parse(await this.request('POST', '/jsonrpc', body));
    if ('error' in r) throw new RpcError(r.error.type, r.error.data);
    return r.result.output as Json;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function scope(kind: string, context?: string): string {
  if (kind !== 'identity') return '';
  if (!context) throw new Error('identity aliases need a context id');
  return `/${enc(context)}`;
}
