/**
 * Execution limits of one guest call. Names and defaults follow upstream `VMLimits::default()` at 0.10.0
 * (crates/runtime/src/logic.rs); `maxReturnSize` is ours (upstream bounds a return value only by guest memory).
 */
export interface VMLimits {
  /** Maximum linear memory of the guest, in 64 KiB pages. */
  maxMemoryPages: number;
  /** Stack size for guest code, in bytes (applied to the worker's stack, rounded up to whole MiB). */
  maxStackSize: number;
  maxRegisters: number;
  maxRegisterSize: number;
  /** Sum of all register sizes (plus 8 bytes of bookkeeping per register). */
  maxRegistersCapacity: number;
  maxLogs: number;
  maxLogSize: number;
  maxEvents: number;
  maxEventKindSize: number;
  maxEventDataSize: number;
  maxXcalls: number;
  maxXcallFunctionSize: number;
  maxXcallParamsSize: number;
  maxStorageKeySize: number;
  maxStorageValueSize: number;
  maxBlobHandles: number;
  maxBlobChunkSize: number;
  maxMethodNameSize: number;
  maxModuleSize: number;
  /** Ours: the largest value a call may hand to `value_return`. */
  maxReturnSize: number;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

export const DEFAULT_LIMITS: Readonly<VMLimits> = Object.freeze({
  maxMemoryPages: 1024,
  maxStackSize: 200 * KIB,
  maxRegisters: 100,
  maxRegisterSize: 100 * MIB,
  maxRegistersCapacity: GIB,
  maxLogs: 100,
  maxLogSize: 16 * KIB,
  maxEvents: 100,
  maxEventKindSize: 100,
  maxEventDataSize: 16 * KIB,
  maxXcalls: 100,
  maxXcallFunctionSize: 100,
  maxXcallParamsSize: 16 * KIB,
  maxStorageKeySize: MIB,
  maxStorageValueSize: 10 * MIB,
  maxBlobHandles: 100,
  maxBlobChunkSize: 10 * MIB,
  maxMethodNameSize: 256,
  maxModuleSize: 10 * MIB,
  maxReturnSize: 10 * MIB,
});

/** Merges overrides onto the defaults, ignoring undefined entries. */
export function resolveLimits(...overrides: Array<Partial<VMLimits> | undefined>): VMLimits {
  const out: VMLimits = { ...DEFAULT_LIMITS };
  for (const o of overrides) {
    if (!o) continue;
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue;
      if (!(k in DEFAULT_LIMITS)) throw new TypeError(`unknown VM limit: ${k}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TypeError(`VM limit ${k} must be a non-negative number`);
      (out as unknown as Record<string, number>)[k] = v;
    }
  }
  if (out.maxMemoryPages > 65536) throw new TypeError('VM limit maxMemoryPages cannot exceed 65536');
  return out;
}
