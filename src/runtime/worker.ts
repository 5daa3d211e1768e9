/**
 * Execution worker: runs guest calls one at a time. Storage reads and other node lookups are synchronous for
 * the guest: the worker posts a request to the main thread, blocks in Atomics.wait on a shared flag, and takes
 * the answer from a dedicated MessagePort with receiveMessageOnPort once the main thread raises the flag.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { errors, HostTrap } from './errors.ts';
import { execute } from './exec.ts';
import { VMLogic } from './logic.ts';
import { packOutcome } from './outcome.ts';
import { ReadCache, unpackEntries } from './read-cache.ts';
import { Instances } from './reuse.ts';
import type { CallMessage, HostReply, HostRequest, RuntimeMessage, WorkerMessage } from './protocol.ts';
import { syncHost, type HostArgs, type HostOp, type HostResult, type SyncHost } from './services.ts';

const port = parentPort!;
const flag = new Int32Array(workerData.flag);
const replies: MessagePort = workerData.replies;
const modules = new Map<string, Instances>();
/** The host side of this worker's calls (one at a time). */
const logic = new VMLogic();

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
 * Committed state this worker has read, per context, valid for one state version (a counter the node bumps
 * around every commit that writes the context's state): single values and scanned ranges (read-cache.ts).
 * A call at another version starts afresh. Bounded.
 */
const readCache = new ReadCache();

function cachedRead(msg: CallMessage, version: number, key: Uint8Array): Uint8Array | null {
  const ctx = Buffer.from(msg.contextId).toString('hex');
  let reads = readCache.at(ctx, version, msg.changes);
  const hit = reads.get(key);
  if (hit !== undefined) return hit && hit.slice();
  const scan = msg.offered.includes('storageReadAhead') ? reads.nextAhead() : 0;
  if (scan === 0) {
    const value = request(msg.callId, 'storageRead', [key]);
    readCache.trim(ctx, reads).putValue(key, value);
    return value;
  }
  const ahead = request(msg.callId, 'storageReadAhead', [key, scan]);
  const entries = unpackEntries(ahead.entries);
  // A scan of another version (a commit overlapped it) answers this read only.
  if (ahead.version !== version) return entries[0] && Buffer.compare(entries[0][0], key) === 0 ? entries[0][1].slice() : null;
  reads = readCache.trim(ctx, reads);
  const value = reads.putScan(key, entries, ahead.toEnd);
  return value && value.slice();
}

function hostFor(msg: CallMessage): SyncHost {
  const host = syncHost(msg.offered, (op, args) => request(msg.callId, op, args));
  const version = msg.stateVersion;
  if (version !== undefined) host.storageRead = (key) => cachedRead(msg, version, key);
  return host;
}

port.on('message', (msg: RuntimeMessage) => {
  if (msg.type === 'forget') {
    modules.get(msg.moduleKey)?.drop();
    modules.delete(msg.moduleKey);
    return;
  }
  if (msg.module) {
    modules.get(msg.moduleKey)?.drop();
    modules.set(msg.moduleKey, new Instances(msg.module, msg.sigs!, msg.reset ?? null, logic.env));
  }
  const instances = modules.get(msg.moduleKey);
  if (!instances) {
    send({ type: 'done', callId: msg.callId, outcome: null, missingModule: true });
    return;
  }
  const before = instances.reused;
  const outcome = execute(instances, logic, msg.method, {
    input: msg.input,
    contextId: msg.contextId,
    executorId: msg.executorId,
    limits: msg.limits,
    host: hostFor(msg),
  });
  send({ type: 'done', callId: msg.callId, outcome: packOutcome(outcome), reused: instances.reused > before });
  // After the answer is on its way: the reset of a reusable instance is off the call's latency.
  instances.release(outcome.error === null);
});

send({ type: 'ready' });
