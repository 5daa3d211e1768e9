/**
 * Execution worker: runs guest calls one at a time. Storage reads and other node lookups are synchronous for
 * the guest: the worker posts a request to the main thread, blocks in Atomics.wait on a shared flag, and takes
 * the answer from a dedicated MessagePort with receiveMessageOnPort once the main thread raises the flag.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { errors } from './errors.ts';
import { execute } from './exec.ts';
import { HostTrap, type SyncHost } from './logic.ts';
import type { ExportSig } from './module.ts';
import type { CallMessage, HostOp, HostReply, WorkerMessage } from './protocol.ts';

const port = parentPort!;
const flag = new Int32Array(workerData.flag as SharedArrayBuffer);
const replies = workerData.replies as MessagePort;
const modules = new Map<string, { module: WebAssembly.Module; sigs: Record<string, ExportSig> }>();

function send(msg: WorkerMessage): void {
  port.postMessage(msg);
}

function request(callId: number, op: HostOp, arg: Uint8Array | string | null): unknown {
  Atomics.store(flag, 0, 0);
  send({ type: 'host', callId, op, arg });
  while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
  let got = receiveMessageOnPort(replies);
  while (!got) {
    Atomics.wait(flag, 0, 1, 1);
    got = receiveMessageOnPort(replies);
  }
  const reply = got.message as HostReply;
  if ('error' in reply) throw new HostTrap(errors.internal(`host ${op} failed: ${reply.error}`));
  return reply.value;
}

/**
 * Committed-state values this worker has read, per context, valid for one state version (a counter the node
 * bumps after every commit that writes the context's state). A call at another version starts afresh. Bounded.
 */
const readCache = new Map<string, { version: number; values: Map<string, Uint8Array | null>; bytes: number }>();
const READ_CACHE_BYTES = 16 << 20;
let cachedBytes = 0;

function cachedRead(msg: CallMessage, key: Uint8Array): Uint8Array | null {
  const ctx = Buffer.from(msg.contextId).toString('hex');
  let c = readCache.get(ctx);
  if (!c || c.version !== msg.stateVersion) {
    cachedBytes -= c?.bytes ?? 0;
    c = { version: msg.stateVersion!, values: new Map(), bytes: 0 };
    readCache.set(ctx, c);
  }
  const k = Buffer.from(key).toString('hex');
  const hit = c.values.get(k);
  if (hit !== undefined) return hit && hit.slice();
  const value = request(msg.callId, 'storageRead', key) as Uint8Array | null;
  const size = k.length + (value?.length ?? 0) + 64;
  if (cachedBytes + size > READ_CACHE_BYTES) {
    readCache.clear();
    cachedBytes = 0;
    return value;
  }
  c.values.set(k, value && value.slice());
  c.bytes += size;
  cachedBytes += size;
  return value;
}

function syncHost(msg: CallMessage): SyncHost {
  const id = msg.callId;
  const host: SyncHost = {
    storageRead: msg.stateVersion === undefined ? (key) => request(id, 'storageRead', key) as Uint8Array | null : (key) => cachedRead(msg, key),
  };
  if (msg.caps.privateStorage) host.privateStorageRead = (key) => request(id, 'privateStorageRead', key) as Uint8Array | null;
  if (msg.caps.blobs) host.blobRead = (blobId) => request(id, 'blobRead', blobId) as Uint8Array | null;
  if (msg.caps.blobPut) host.blobPut = (data) => request(id, 'blobPut', data) as Uint8Array;
  if (msg.caps.members) host.contextMembers = () => request(id, 'contextMembers', null) as Uint8Array[];
  if (msg.caps.alias) host.resolveAlias = (alias) => request(id, 'resolveAlias', alias) as Uint8Array | null;
  return host;
}

port.on('message', (msg: CallMessage | { type: 'forget'; moduleKey: string }) => {
  if (msg.type === 'forget') {
    modules.delete(msg.moduleKey);
    return;
  }
  if (msg.module) modules.set(msg.moduleKey, { module: msg.module, sigs: msg.sigs! });
  const entry = modules.get(msg.moduleKey);
  if (!entry) {
    send({ type: 'done', callId: msg.callId, outcome: null, missingModule: true });
    return;
  }
  const outcome = execute(entry.module, entry.sigs, msg.method, {
    input: msg.input,
    contextId: msg.contextId,
    executorId: msg.executorId,
    limits: msg.limits,
    host: syncHost(msg),
  });
  send({ type: 'done', callId: msg.callId, outcome });
});

send({ type: 'ready' });
