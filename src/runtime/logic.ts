/**
 * The guest-facing half of the runtime: the state of one call and the `env` import object of upstream's host
 * ABI (0.10.0), composed from the host-function areas in ./host/. It is synchronous: node services go through a
 * {@link SyncHost}, which in the worker blocks on the main thread.
 */
import type { RuntimeErrorData } from './errors.ts';
import { blobs } from './host/blobs.ts';
import { GuestMemory, Registers, type CallContext, type HostFunctions } from './host/call.ts';
import { context } from './host/context.ts';
import { governance } from './host/governance.ts';
import { JS_COLLECTIONS, jsCollections } from './host/js-collections.ts';
import { storage } from './host/storage.ts';
import { SYSTEM_UNSUPPORTED, system } from './host/system.ts';
import { utility } from './host/utility.ts';
import { DEFAULT_LIMITS, type VMLimits } from './limits.ts';
import { noEffects, outcomeOf, type OutcomeData } from './outcome.ts';
import type { SyncHost } from './services.ts';

export interface CallInput {
  input: Uint8Array;
  contextId: Uint8Array;
  executorId: Uint8Array;
  limits: VMLimits;
  host: SyncHost;
}

/** Upstream imports that depend on calimero-storage internals or the QuickJS SDK: they trap, named. */
export const UNSUPPORTED_IMPORTS = [...SYSTEM_UNSUPPORTED, ...JS_COLLECTIONS] as const;

/**
 * The `env` imports of every area, around one call context. Two areas defining the same name is a programming
 * error (checked by logic.test.ts).
 */
export function hostFunctions(cx: CallContext<SyncHost>): HostFunctions[] {
  return [system(cx), storage(cx), blobs(cx), context(cx), governance(cx), utility(cx), jsCollections()];
}

/** A call context with no call in it (default limits, empty ids and input, no services, no memory). */
export function idleCallContext(): CallContext<SyncHost> {
  const none = new Uint8Array(0);
  return {
    input: none,
    contextId: none,
    executorId: none,
    limits: DEFAULT_LIMITS,
    memory: new GuestMemory(),
    registers: new Registers(DEFAULT_LIMITS),
    effects: noEffects(),
    host: { storageRead: () => null },
    blobHandles: new Map(),
    nextBlobFd: 1n,
  };
}

/**
 * The host side of guest calls, one call at a time: the `env` imports, built once, and the state of the call in
 * progress, which {@link VMLogic.begin} replaces for each call. An execution worker keeps one.
 */
export class VMLogic {
  private readonly cx: CallContext<SyncHost>;
  /** The `env` imports (the same functions for every call). */
  readonly env: HostFunctions;

  constructor() {
    this.cx = idleCallContext();
    this.env = Object.assign({}, ...hostFunctions(this.cx));
  }

  /** Starts a call: its inputs and services, empty registers, effects and blob handles, no memory yet. */
  begin(call: CallInput): void {
    const cx = this.cx;
    cx.input = call.input;
    cx.contextId = call.contextId;
    cx.executorId = call.executorId;
    cx.limits = call.limits;
    cx.host = call.host;
    cx.registers = new Registers(call.limits);
    cx.effects = noEffects();
    cx.blobHandles = new Map();
    cx.nextBlobFd = 1n;
    cx.memory.attach(null);
  }

  attachMemory(memory: WebAssembly.Memory): void {
    this.cx.memory.attach(memory);
  }

  memoryPages(): number {
    return this.cx.memory.pages();
  }

  /** The outcome; on error the state-changing parts are dropped so nothing of a failed call can be applied. */
  finish(error: RuntimeErrorData | null): OutcomeData {
    return outcomeOf(this.cx.effects, error, this.memoryPages());
  }
}
