/**
 * The node services a guest call may reach, declared once: {@link RuntimeHost} gathers the service interfaces
 * each host-function area declares (host/storage.ts, host/blobs.ts, host/context.ts). Everything that crosses
 * the worker boundary for them is derived from it: the operation names ({@link HostOp}), their arguments and
 * answers, the synchronous form the guest side sees ({@link SyncHost}), and one generic dispatch on each side
 * ({@link invoke} on the main thread, {@link syncHost} in the worker).
 */
import { BLOB_SERVICES, type BlobServices } from './host/blobs.ts';
import type { Synced } from './host/call.ts';
import { CONTEXT_SERVICES, type ContextServices } from './host/context.ts';
import { STORAGE_SERVICES, type StorageServices } from './host/storage.ts';

/** Node services for one call. Lives on the main thread; every method may be async. */
export interface RuntimeHost extends StorageServices, BlobServices, ContextServices {}

/** One service, by name. */
export type HostOp = keyof RuntimeHost;

/** Each service's arguments and answer, as data. */
type ServiceMap = {
  [K in HostOp]-?: { args: Parameters<NonNullable<RuntimeHost[K]>>; result: Awaited<ReturnType<NonNullable<RuntimeHost[K]>>> };
};
export type HostArgs<K extends HostOp> = ServiceMap[K]['args'];
export type HostResult<K extends HostOp> = ServiceMap[K]['result'];

/** The services as the guest side calls them, synchronously (in the worker, each blocks on the main thread). */
export type SyncHost = Synced<RuntimeHost>;

/** Every service name, at run time. */
export const HOST_OPS: HostOp[] = [...STORAGE_SERVICES, ...BLOB_SERVICES, ...CONTEXT_SERVICES];
// Fails to compile when an area's services are added to RuntimeHost but not to HOST_OPS.
const everyOp: [Exclude<HostOp, (typeof STORAGE_SERVICES | typeof BLOB_SERVICES | typeof CONTEXT_SERVICES)[number]>] extends [never] ? true : never = true;
void everyOp;

/** The services a host offers (the optional ones it leaves out behave as upstream without them). */
export function offeredOps(host: RuntimeHost): HostOp[] {
  return HOST_OPS.filter((op) => typeof host[op] === 'function');
}

type AsyncFn<K extends HostOp> = { [P in K]: (...args: HostArgs<P>) => Promise<HostResult<P>> }[K];
type SyncFn<K extends HostOp> = { [P in K]: (...args: HostArgs<P>) => HostResult<P> }[K];

/** Main thread: runs one service of `host` for the worker. */
export function invoke<K extends HostOp>(host: RuntimeHost, op: K, args: HostArgs<K>): Promise<HostResult<K>> {
  const services: { [P in HostOp]?: AsyncFn<P> } = host;
  const fn = services[op];
  if (!fn) return Promise.reject(new Error(`the node does not offer ${op}`));
  return fn.apply(host, args);
}

/** Worker: asks the main thread for one service and waits for the answer. */
export type Requester = <K extends HostOp>(op: K, args: HostArgs<K>) => HostResult<K>;

/** Worker: the synchronous services of one call, each a request to the main thread. */
export function syncHost(offered: readonly HostOp[], request: Requester): SyncHost {
  const host: SyncHost = { storageRead: (key) => request('storageRead', [key]) };
  for (const op of offered) bind(host, op, request);
  return host;
}

function bind<K extends HostOp>(host: { [P in K]?: SyncFn<P> }, op: K, request: Requester): void {
  host[op] = (...args: HostArgs<K>) => request(op, args);
}
