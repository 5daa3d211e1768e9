/**
 * What every host function works with: the guest's memory (read through upstream's descriptors), the call's
 * registers, its limits and ids, and the effects it records. The host functions themselves live in one file per
 * area beside this one (system, storage, blobs, context, governance, utility, js-collections), each returning
 * the `env` imports it defines; `VMLogic` (../logic.ts) composes them.
 *
 * Conventions (see docs/apps.md and upstream crates/sys): every pointer, length and register id is an i64
 * (a BigInt here); `*_ptr` arguments point at descriptors in guest memory — Buffer {ptr u64, len u64},
 * Location {file Buffer, line u32, column u32}, Event {kind Buffer, data Buffer}, XCall {context Buffer,
 * function Buffer, params Buffer}, ValueReturn {discriminant u64 (0 ok / 1 err), Buffer}.
 */
import { errors, fail, HostTrap, hostErrors } from '../errors.ts';
import type { VMLimits } from '../limits.ts';
import type { Effects } from '../outcome.ts';

/** One `env` import: wasm i64 arguments arrive as BigInt; the result is converted back by the engine. */
export type HostFunction = (...args: bigint[]) => unknown;
/** The `env` imports one area defines, by name. */
export type HostFunctions = Record<string, HostFunction>;

/**
 * The synchronous form of a group of node services (each area declares the services it needs as an interface
 * of async methods; inside the worker they answer synchronously). An optional service stays optional: the
 * host functions behave as upstream does without it.
 */
export type Synced<S> = {
  [K in keyof S]: S[K] extends ((...args: infer A) => Promise<infer R>) | undefined ? (...args: A) => R : never;
};

/** The method names of a service interface as a value (the compiler checks the table is complete). */
export function serviceNames<S>(names: { [K in keyof S]-?: K }): Array<keyof S> {
  return Object.values(names);
}

export const DIGEST = 32;
export const U64_MAX = (1n << 64n) - 1n;

export const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** A Buffer descriptor read from guest memory. */
export interface Buf {
  ptr: number;
  len: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The guest's linear memory, read and written through descriptors, with upstream's errors. */
export class GuestMemory {
  private memory: WebAssembly.Memory | null = null;

  /** The memory of the call's instance; null between calls (host functions then end the call as a host panic). */
  attach(memory: WebAssembly.Memory | null): void {
    this.memory = memory;
  }

  /** Size in 64 KiB pages (0 before the instance exists). */
  pages(): number {
    return this.memory ? this.memory.buffer.byteLength / 65536 : 0;
  }

  bytes(): Uint8Array {
    if (!this.memory) throw new HostTrap(errors.panic({ context: 'host', message: 'VM Memory not initialized' }));
    return new Uint8Array(this.memory.buffer);
  }

  /** Start and end of `len` bytes at `ptr`, checked against the memory's size. */
  range(ptr: bigint | number, len: bigint | number): [number, number] {
    const p = BigInt(ptr);
    const end = p + BigInt(len);
    if (end > BigInt(this.bytes().length)) fail('InvalidMemoryAccess');
    return [Number(p), Number(end)];
  }

  /** A typed descriptor of `size` bytes at `ptr`, as a DataView. */
  typed(ptr: bigint, size: number): DataView {
    const [start] = this.range(ptr, size);
    return new DataView(this.memory!.buffer, start, size);
  }

  /** The Buffer descriptor at `ptr`. */
  buffer(ptr: bigint): Buf {
    return this.bufAt(this.typed(ptr, 16), 0);
  }

  /** A Buffer descriptor inside a larger one. */
  bufAt(v: DataView, offset: number): Buf {
    const p = v.getBigUint64(offset, true);
    const l = v.getBigUint64(offset + 8, true);
    // Out-of-range values cannot address guest memory; they fail on access.
    return { ptr: p > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(p), len: l > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(l) };
  }

  /** A copy of the bytes a Buffer descriptor points at. */
  slice(b: Buf): Uint8Array {
    const [start, end] = this.range(b.ptr, b.len);
    return this.bytes().slice(start, end);
  }

  /** The bytes a Buffer descriptor points at, in place (for the host to write into). */
  view(b: Buf): Uint8Array {
    const [start, end] = this.range(b.ptr, b.len);
    return this.bytes().subarray(start, end);
  }

  /** The UTF-8 text a Buffer descriptor points at (BadUTF8 when it is not). */
  str(b: Buf): string {
    try {
      return utf8.decode(this.view(b));
    } catch (err) {
      if (err instanceof HostTrap) throw err;
      fail('BadUTF8');
    }
  }

  /** A copy of exactly `n` bytes (InvalidMemoryAccess for any other length). */
  sized(b: Buf, n: number): Uint8Array {
    const s = this.slice(b);
    if (s.length !== n) fail('InvalidMemoryAccess');
    return s;
  }
}

/** The call's registers, bounded by the register limits. */
export class Registers {
  private readonly values = new Map<bigint, Uint8Array>();
  private size = 0;

  constructor(private readonly limits: VMLimits) {}

  get(id: bigint): Uint8Array | undefined {
    return this.values.get(id);
  }

  set(id: bigint, data: Uint8Array): void {
    const len = data.length;
    const old = this.values.get(id);
    let ok = len <= this.limits.maxRegisterSize;
    if (ok && !old && this.values.size >= this.limits.maxRegisters) ok = false;
    const total = this.size - (old ? 8 + old.length : 0) + 8 + len;
    if (ok && total > this.limits.maxRegistersCapacity) ok = false;
    if (!ok) throw new HostTrap(hostErrors.registerLimit());
    this.size = total;
    this.values.set(id, data);
  }
}

/** An open blob of a call (blobs.ts): one being written in chunks, or one being read. */
export type BlobHandle =
  | { kind: 'write'; chunks: Uint8Array[]; size: number }
  | { kind: 'read'; blobId: Uint8Array; data: Uint8Array | null | undefined; position: number };

/**
 * The state of the call in progress, which host functions share. The host functions are built once (per
 * execution worker) around one such object, which `VMLogic.begin` refills for every call; they read the
 * current call through it and keep nothing of a call themselves.
 */
export interface CallContext<Host = unknown> {
  input: Uint8Array;
  contextId: Uint8Array;
  executorId: Uint8Array;
  limits: VMLimits;
  readonly memory: GuestMemory;
  registers: Registers;
  /** What the call produced so far (the outcome, once the call ends). */
  effects: Effects;
  /**
   * The node services of the call (synchronous: in a worker, each blocks on the main thread); each area names
   * the ones it uses (`CallContext<Synced<StorageServices>>`), VMLogic holds them all (services.ts `SyncHost`).
   */
  host: Host;
  /** Blob handles the call opened, and the next descriptor. */
  blobHandles: Map<bigint, BlobHandle>;
  nextBlobFd: bigint;
}

/** Host functions of upstream's ABI that this node cannot honour: each traps, named. */
export function unsupported(names: readonly string[]): HostFunctions {
  const env: HostFunctions = {};
  for (const name of names) {
    env[name] = () => {
      throw new HostTrap(errors.unsupported(name));
    };
  }
  return env;
}
