/** Messages between the runtime (main thread) and its execution workers. */
import type { VMLimits } from './limits.ts';
import type { OutcomeData } from './logic.ts';
import type { ExportSig } from './module.ts';

export type HostOp = 'storageRead' | 'privateStorageRead' | 'blobRead' | 'blobPut' | 'contextMembers' | 'resolveAlias';

export interface CallMessage {
  type: 'call';
  callId: number;
  moduleKey: string;
  /** Sent the first time a worker runs this module; workers keep their own copy afterwards. */
  module?: WebAssembly.Module;
  sigs?: Record<string, ExportSig>;
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
  caps: { privateStorage: boolean; blobs: boolean; blobPut: boolean; members: boolean; alias: boolean };
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'host'; callId: number; op: HostOp; arg: Uint8Array | string | null }
  | { type: 'done'; callId: number; outcome: OutcomeData | null; missingModule?: boolean };

export type HostReply = { value: unknown } | { error: string };
