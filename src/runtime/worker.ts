/**
 * Execution worker: runs guest calls one at a time. Storage reads and other node lookups are synchronous for
 * the guest: the worker posts a request to the main thread, blocks in Atomics.wait on a shared flag, and takes
 * the answer from a dedicated MessagePort with receiveMessageOnPort once the main thread raises the flag.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { errors, HostTrap } from './errors.ts';
import { execute } from './exec.ts';
import type { ExportSig } from './module.ts';
import type { CallMessage, HostReply, HostRequest, RuntimeMessage, WorkerMessage } from './protocol.ts';
import { syncHost, type HostArgs, type HostOp, type HostResult, type SyncHost } from './services.ts';

const port = parentPort!;
const flag = new Int32Array(workerData.flag);
const replies: MessagePort = workerData.replies;
const modules = new Map<string, { module: WebAssembly.Module; sigs: Record<string, ExportSig> }>();

function send<K extends HostOp>(msg: WorkerMessage<K>): void {
  port.postMessage(msg);
}

/** Asks the main thread for one service of the current call and blocks until it answers. */
function request<K extends HostOp>(callId: number, op: K, args: HostArgs<K>): HostResult<K> {
  Atomics.store(flag, 0, 0);
  const ask: HostRequest<K> = { type: 'host', callId, op, args };
  send(ask);
  while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
  let got = receiveMessageOnPort(replies);
  while (!got) {
    Atomics.wait(flag, 0, 1, 1);
    got = receiveMessageOnPort(replies);
  }
  const reply: HostReply<K> = got.message;
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

function cachedRead(msg: CallMessage, version: number, key: Uint8Array): Uint8Array | null {
  const ctx = Buffer.from(msg.contextId).toString('hex');
  let c = readCache.get(ctx);
  if (!c || c.version !== version) {
    cachedBytes -= c?.bytes ?? 0;
    c = { version, values: new Map(), bytes: 0 };
    readCache.set(ctx, c);
  }
  const k = Buffer.from(key).toString('hex');
  const hit = c.values.get(k);
  if (hit !== undefined) return hit && hit.slice();
  const value = request(msg.callId, 'storageRead', [key]);
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

function hostFor(msg: CallMessage): SyncHost {
  const host = syncHost(msg.offered, (op, args) => request(msg.callId, op, args));
  const version = msg.stateVersion;
  if (version !== undefined) host.storageRead = (key) => cachedRead(msg, version, key);
  return host;
}

port.on('message', (msg: RuntimeMessage) => {
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
    host: hostFor(msg),
  });
  send({ type: 'done', callId: msg.callId, outcome });
});

send({ type: 'ready' });
