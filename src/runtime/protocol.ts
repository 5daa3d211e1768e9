/**
 * Messages between the runtime (main thread) and its execution workers. Host requests and their answers are
 * typed from the service declaration (services.ts): a request names one service and carries exactly its
 * arguments; the answer carries its result.
 */
import type { VMLimits } from './limits.ts';
import type { ExportSig, ResetPlan } from './module.ts';
import type { PackedOutcome } from './outcome.ts';
import type { StateChange } from './read-cache.ts';
import type { HostArgs, HostOp, HostResult } from './services.ts';

export interface CallMessage {
  type: 'call';
  callId: number;
  moduleKey: string;
  /** Sent the first time a worker runs this module; workers keep their own copy afterwards. */
  module?: WebAssembly.Module;
  sigs?: Record<string, ExportSig>;
  /** With `module`: how its instances are reset for reuse (null: they are not reused). */
  reset?: ResetPlan | null;
  method: string;
  input: Uint8Array;
  contextId: Uint8Array;
  executorId: Uint8Array;
  limits: VMLimits;
  /**
   * Version of the context's committed state (changes with every commit that touches it). When set, the worker
   * may answer the guest's storage reads from values it read earlier at the same version.
   */
  stateVersion?: number;
  /**
   * The context's commits since the version this worker last ran a call of it at, up to `stateVersion`: what
   * the worker needs to carry its reads over (read-cache.ts). Absent when there is nothing to say.
   */
  changes?: StateChange[];
  /** The services the call's host offers. */
  offered: HostOp[];
}

/** Main thread → worker. */
export type RuntimeMessage = CallMessage | { type: 'forget'; moduleKey: string };

/** A worker asks for one service (one union member per service, so `op` and `args` stay paired). */
export type HostRequest<K extends HostOp = HostOp> = { [P in K]: { type: 'host'; callId: number; op: P; args: HostArgs<P> } }[K];

/** Worker → main thread. */
export type WorkerMessage<K extends HostOp = HostOp> =
  | { type: 'ready' }
  | HostRequest<K>
  | { type: 'done'; callId: number; outcome: PackedOutcome | null; missingModule?: boolean; reused?: boolean };

/** The main thread's answer to a host request, on the worker's reply port. */
export type HostReply<K extends HostOp = HostOp> = { value: HostResult<K> } | { error: string };
