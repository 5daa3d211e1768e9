/**
 * What one guest call produced. Declared once, generic in the form of its error: inside the worker the error is
 * plain data ({@link OutcomeData}, it crosses the worker boundary by structured clone), on the main thread a
 * {@link RuntimeError} with the call's timing added ({@link Outcome}).
 */
import { RuntimeError, type RuntimeErrorData } from './errors.ts';

/** One entry of a write-set: `value` null means the key was removed. */
export interface Write {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** A change of contexts or membership the guest asked for (context_* host functions); the node applies it. */
export type ContextMutation =
  | { kind: 'AddMember'; publicKey: Uint8Array }
  | { kind: 'RemoveMember'; publicKey: Uint8Array }
  | { kind: 'CreateContext'; protocol: string; applicationId: Uint8Array; initArgs: Uint8Array; alias: string | null }
  | { kind: 'DeleteContext'; contextId: Uint8Array };

/** What the host functions record while the guest runs (everything of an outcome but its error and size). */
export interface Effects {
  /** What the guest passed to value_return (null when it never did, or the call failed). */
  returns: { ok: Uint8Array } | { err: Uint8Array } | null;
  logs: string[];
  events: Array<{ kind: string; data: Uint8Array; handler: string | null }>;
  /** From commit(). */
  rootHash: Uint8Array | null;
  artifact: Uint8Array;
  /** Final storage write-set keyed by hex key (value null = removed). */
  writes: Map<string, Write>;
  privateWrites: Map<string, Write>;
  /** Blobs the guest created (blob_create/write/close). */
  blobs: Array<{ id: Uint8Array; data: Uint8Array }>;
  blobAnnouncements: Array<{ blobId: Uint8Array; contextId: Uint8Array }>;
  xcalls: Array<{ contextId: Uint8Array; function: string; params: Uint8Array }>;
  proposals: Array<{ id: Uint8Array; actions: Uint8Array }>;
  approvals: Uint8Array[];
  contextMutations: ContextMutation[];
}

/** Everything a call produced. On error the state-changing parts are empty, so nothing of it can be applied. */
export interface CallOutcome<E> extends Effects {
  /** Set when the call failed; then the write-set and the other state-changing parts are empty. */
  error: E | null;
  /** Guest memory size at the end of the call, in 64 KiB pages. */
  memoryPages: number;
}

/** The outcome as the worker sends it. */
export type OutcomeData = CallOutcome<RuntimeErrorData>;

/** The outcome as callers of the runtime receive it. */
export interface Outcome extends CallOutcome<RuntimeError> {
  /** Wall-clock time of the call on the main thread (queueing excluded). */
  durationMs: number;
  /** Whether the compiled module came from the cache. */
  cached: boolean;
}

/** Effects of a call that did nothing yet. */
export function noEffects(): Effects {
  return {
    returns: null,
    logs: [],
    events: [],
    rootHash: null,
    artifact: new Uint8Array(0),
    writes: new Map(),
    privateWrites: new Map(),
    blobs: [],
    blobAnnouncements: [],
    xcalls: [],
    proposals: [],
    approvals: [],
    contextMutations: [],
  };
}

/**
 * The outcome of a finished call. A failed call keeps only what helps to understand it (logs, events, memory);
 * its return value, commit and every change it asked for are dropped.
 */
export function outcomeOf<E>(effects: Effects, error: E | null, memoryPages: number): CallOutcome<E> {
  if (error === null) return { ...effects, error, memoryPages };
  return { ...noEffects(), logs: effects.logs, events: effects.events, error, memoryPages };
}

/**
 * An outcome as the worker sends it: only the fields that differ from {@link noEffects} (a call usually
 * leaves most of them empty, and structured clone pays for every Map, array and typed array it copies).
 */
export type PackedOutcome = Partial<OutcomeData> & Pick<OutcomeData, 'error' | 'memoryPages'>;

/** Whether an effect field holds nothing: null, or an empty Map, Set, array or typed array. */
export function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (v instanceof Map || v instanceof Set) return v.size === 0;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return (v as ArrayLike<unknown>).length === 0;
  return false;
}

export function packOutcome(o: OutcomeData): PackedOutcome {
  const out: PackedOutcome = { error: o.error, memoryPages: o.memoryPages };
  for (const [k, v] of Object.entries(o)) if (!isEmpty(v)) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The main thread's view of a worker's outcome. */
export function received(data: PackedOutcome, started: number, cached: boolean): Outcome {
  // Spelled out (not spread): one object shape for every outcome, and no copy of the noEffects() defaults.
  return {
    returns: data.returns ?? null,
    logs: data.logs ?? [],
    events: data.events ?? [],
    rootHash: data.rootHash ?? null,
    artifact: data.artifact ?? new Uint8Array(0),
    writes: data.writes ?? new Map(),
    privateWrites: data.privateWrites ?? new Map(),
    blobs: data.blobs ?? [],
    blobAnnouncements: data.blobAnnouncements ?? [],
    xcalls: data.xcalls ?? [],
    proposals: data.proposals ?? [],
    approvals: data.approvals ?? [],
    contextMutations: data.contextMutations ?? [],
    error: data.error ? new RuntimeError(data.error) : null,
    memoryPages: data.memoryPages,
    durationMs: performance.now() - started,
    cached,
  };
}

/** The outcome of a call that never ran to its end in a worker (module refused, deadline, crash, shutdown). */
export function failed(error: RuntimeErrorData, started: number, cached = false): Outcome {
  return received(outcomeOf(noEffects(), error, 0), started, cached);
}
