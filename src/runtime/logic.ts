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
import type { VMLimits } from './limits.ts';
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
 * The `env` imports of every area for one call. Two areas defining the same name is a programming error
 * (checked by logic.test.ts).
 */
export function hostFunctions(cx: CallContext, host: SyncHost): HostFunctions[] {
  return [system(cx), storage(cx, host), blobs(cx, host), context(cx, host), governance(cx), utility(cx), jsCollections()];
}

export class VMLogic {
  private readonly memory = new GuestMemory();
  private readonly effects = noEffects();
  /** The `env` imports of this call. */
  readonly env: HostFunctions;

  constructor(call: CallInput) {
    const cx: CallContext = {
      input: call.input,
      contextId: call.contextId,
      executorId: call.executorId,
      limits: call.limits,
      memory: this.memory,
      registers: new Registers(call.limits),
      effects: this.effects,
    };
    this.env = Object.assign({}, ...hostFunctions(cx, call.host));
  }

  attachMemory(memory: WebAssembly.Memory): void {
    this.memory.attach(memory);
  }

  memoryPages(): number {
    return this.memory.pages();
  }

  /** The outcome; on error the state-changing parts are dropped so nothing of a failed call can be applied. */
  finish(error: RuntimeErrorData | null): OutcomeData {
    return outcomeOf(this.effects, error, this.memoryPages());
  }
}
