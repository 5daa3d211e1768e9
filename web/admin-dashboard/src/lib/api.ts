/**
 * The node's Admin API, JSON-RPC and mero-auth `/admin` routes as typed functions. Every answer is checked
 * against the wire schema in src/wire (or src/auth/schemas.ts for mero-auth) — one schema for server, client,
 * tests and this dashboard.
 */
import { z } from 'zod';
import {
  createContextResponse,
  deleteBlobResponse,
  deleteContextResponse,
  getApplicationResponse,
  getContextResponse,
  identitiesResponse,
  installApplicationResponse,
  listApplicationsResponse,
  listBlobsResponse,
  listContextsResponse,
  storageResponse,
  uninstallApplicationResponse,
  uploadBlobResponse,
  type Application,
  type Context,
  type CreateContextRequest,
  type InstallApplicationRequest,
  type InstallDevApplicationRequest,
} from '../../../../src/wire/admin.ts';
import { jsonrpcResponse, type JsonRpcResponse } from '../../../../src/wire/jsonrpc.ts';
import { ClientKeyInfoSchema, RootKeyInfoSchema, envelopeSchema } from '../../../../src/auth/schemas.ts';
import { ApiError, requestJson, send } from './http.ts';
import { authUrl, nodeUrl } from './paths.ts';

export type { Application, Context };
export type RootKeyInfo = z.infer<typeof RootKeyInfoSchema>;
export type ClientKeyInfo = z.infer<typeof ClientKeyInfoSchema>;

function parse<S extends z.ZodType>(schema: S, body: unknown, method: string, path: string): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new ApiError(200, `unexpected answer from the node${where}: ${issue?.message ?? 'invalid shape'}`, method, path, body);
}

async function call<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.infer<S>> {
  const url = nodeUrl(path);
  return parse(schema, await requestJson(method, url, { body }), method, url);
}

const enc = (s: string) => encodeURIComponent(s);

// ---- node -----------------------------------------------------------------------------------------------

export const nodeInfoSchema = z.object({
  data: z.object({
    peerId: z.string(),
    listen: z.array(z.string()),
    authMode: z.string(),
    version: z.string().optional(),
  }),
});
export type NodeInfo = z.infer<typeof nodeInfoSchema>['data'];

export async function nodeInfo(): Promise<NodeInfo> {
  return (await call(nodeInfoSchema, 'GET', '/admin-api/node-info')).data;
}

export async function health(): Promise<string> {
  const r = await call(z.object({ data: z.object({ status: z.string() }) }), 'GET', '/admin-api/health');
  return r.data.status;
}

export async function peersCount(): Promise<number> {
  return (await call(z.object({ count: z.number() }), 'GET', '/admin-api/peers')).count;
}

const walletKey = z.looseObject({});
export const didSchema = z.object({
  data: z.object({ did: z.object({ id: z.string(), root_keys: z.array(walletKey), client_keys: z.array(walletKey) }) }),
});
export type Did = z.infer<typeof didSchema>['data']['did'];

export async function did(): Promise<Did> {
  return (await call(didSchema, 'GET', '/admin-api/did')).data.did;
}

/** Legacy `DELETE /admin-api/identity/keys`: forgets every wallet root and client key (200, empty body). */
export async function deleteAllKeys(): Promise<void> {
  await send('DELETE', nodeUrl('/admin-api/identity/keys'));
}

// ---- mero-auth keys (embedded, or behind the proxy) -----------------------------------------------------------

async function authCall<S extends z.ZodType>(schema: S, method: string, path: string): Promise<z.infer<S>> {
  const url = authUrl(path);
  const body = parse(envelopeSchema(schema), await requestJson(method, url), method, url) as { data: unknown; error: string | null };
  if (body.error) throw new ApiError(200, body.error, method, url, body);
  return body.data as z.infer<S>;
}

export async function rootKeys(): Promise<RootKeyInfo[]> {
  return (await authCall(z.array(RootKeyInfoSchema), 'GET', '/admin/keys')) ?? [];
}

export async function clientKeys(): Promise<ClientKeyInfo[]> {
  return (await authCall(z.array(ClientKeyInfoSchema), 'GET', '/admin/keys/clients')) ?? [];
}

export async function deleteRootKey(keyId: string): Promise<void> {
  const r = (await authCall(z.unknown(), 'DELETE', `/admin/keys/${enc(keyId)}`)) as { status?: boolean; message?: string } | null;
  // "Cannot delete the last active root key" comes back as 200 {status:false, message}.
  if (r && r.status === false) throw new ApiError(200, r.message ?? 'the key was not deleted', 'DELETE', `/admin/keys/${keyId}`, r);
}

export async function deleteClientKey(rootKeyId: string, clientId: string): Promise<void> {
  await authCall(z.unknown(), 'DELETE', `/admin/keys/${enc(rootKeyId)}/clients/${enc(clientId)}`);
}

// ---- applications ---------------------------------------------------------------------------------------

export async function listApplications(): Promise<Application[]> {
  return (await call(listApplicationsResponse, 'GET', '/admin-api/applications')).data.apps;
}

export async function getApplication(id: string): Promise<Application | null> {
  return (await call(getApplicationResponse, 'GET', `/admin-api/applications/${enc(id)}`)).data.application;
}

export async function installApplication(req: InstallApplicationRequest): Promise<string> {
  return (await call(installApplicationResponse, 'POST', '/admin-api/install-application', req)).data.applicationId;
}

export async function installDevApplication(req: InstallDevApplicationRequest): Promise<string> {
  return (await call(installApplicationResponse, 'POST', '/admin-api/install-dev-application', req)).data.applicationId;
}

export async function uninstallApplication(id: string): Promise<string> {
  return (await call(uninstallApplicationResponse, 'DELETE', `/admin-api/applications/${enc(id)}`)).data.applicationId;
}

// ---- contexts ---------------------------------------------------------------------------------------------

export async function listContexts(): Promise<Context[]> {
  return (await call(listContextsResponse, 'GET', '/admin-api/contexts')).data.contexts;
}

export async function contextsForApplication(appId: string): Promise<Context[]> {
  return (await call(listContextsResponse, 'GET', `/admin-api/contexts/for-application/${enc(appId)}`)).data.contexts;
}

export async function getContext(id: string): Promise<Context> {
  return (await call(getContextResponse, 'GET', `/admin-api/contexts/${enc(id)}`)).data;
}

export async function createContext(req: CreateContextRequest): Promise<{ contextId: string; memberPublicKey: string }> {
  return (await call(createContextResponse, 'POST', '/admin-api/contexts', req)).data;
}

export async function deleteContext(id: string): Promise<boolean> {
  return (await call(deleteContextResponse, 'DELETE', `/admin-api/contexts/${enc(id)}`)).data.isDeleted;
}

export async function contextIdentities(id: string, owned = false): Promise<string[]> {
  const path = `/admin-api/contexts/${enc(id)}/identities${owned ? '-owned' : ''}`;
  return (await call(identitiesResponse, 'GET', path)).data.identities;
}

export async function contextStorage(id: string): Promise<number> {
  return (await call(storageResponse, 'GET', `/admin-api/contexts/${enc(id)}/storage`)).data.sizeInBytes;
}

// ---- blobs ------------------------------------------------------------------------------------------------

export type BlobInfo = { blob_id: string; size: number };

export async function listBlobs(): Promise<BlobInfo[]> {
  return (await call(listBlobsResponse, 'GET', '/admin-api/blobs')).data.blobs;
}

export async function uploadBlob(file: Blob): Promise<BlobInfo> {
  const url = nodeUrl('/admin-api/blobs');
  const body = await requestJson('PUT', url, { body: file, headers: { 'content-type': file.type || 'application/octet-stream' } });
  return parse(uploadBlobResponse, body, 'PUT', url).data;
}

export async function downloadBlob(id: string): Promise<Blob> {
  return (await send('GET', nodeUrl(`/admin-api/blobs/${enc(id)}`), { headers: { accept: '*/*' } })).blob();
}

export async function deleteBlob(id: string): Promise<boolean> {
  return (await call(deleteBlobResponse, 'DELETE', `/admin-api/blobs/${enc(id)}`)).deleted;
}

// ---- JSON-RPC -----------------------------------------------------------------------------------------------

let rpcId = 1;

export interface ExecuteParams {
  contextId: string;
  method: string;
  argsJson: unknown;
  executorPublicKey: string;
}

/** `POST /jsonrpc` method `execute`. Returns the whole response (result or error object); throws on transport errors. */
export async function execute(params: ExecuteParams): Promise<{ request: unknown; response: JsonRpcResponse }> {
  const request = { jsonrpc: '2.0', id: rpcId++, method: 'execute', params };
  const url = nodeUrl('/jsonrpc');
  const response = parse(jsonrpcResponse, await requestJson('POST', url, { body: request }), 'POST', url);
  return { request, response };
}
