/**
 * Errors of a guest call. `message` follows the Display text of upstream's `FunctionCallError` / `HostError`
 * (crates/runtime/src/errors.rs at 0.10.0) where upstream has one; `variant` names the upstream enum variant
 * (or ours, for Timeout / MemoryLimit / UnsupportedHostFunction / WorkerCrashed).
 */
export type RuntimeErrorType =
  | 'MethodNotFound' // MethodResolutionError::MethodNotFound
  | 'InvalidMethod' // other MethodResolutionError variants (empty / too long / bad character / bad signature)
  | 'Panic' // HostError::Panic (guest or host)
  | 'Trap' // WasmTrap::*
  | 'Timeout' // ours: the wall-clock budget ran out and the worker was terminated
  | 'MemoryLimit' // ours: max_memory_pages reached (or the worker ran out of heap)
  | 'HostLimit' // a VMLimits bound was exceeded inside a host function (logs, events, keys, registers, …)
  | 'HostError' // other HostError variants (invalid memory access, bad UTF-8, invalid register id, …)
  | 'UnsupportedHostFunction' // ours: an upstream import this node cannot honour yet
  | 'InvalidModule' // compilation error, missing `memory` export
  | 'ModuleTooLarge' // FunctionCallError::ModuleSizeLimitExceeded
  | 'LinkError' // the module imports something we do not provide
  | 'Internal'; // the host side failed (storage read rejected, worker crashed)

export interface PanicInfo {
  context: 'guest' | 'host';
  message: string;
  location?: { file: string; line: number; column: number };
}

/** The plain-data form that crosses the worker boundary. */
export interface RuntimeErrorData {
  type: RuntimeErrorType;
  variant: string;
  message: string;
  panic?: PanicInfo;
}

export class RuntimeError extends Error {
  readonly type: RuntimeErrorType;
  readonly variant: string;
  readonly panic?: PanicInfo;
  constructor(data: RuntimeErrorData) {
    super(data.message);
    this.name = 'RuntimeError';
    this.type = data.type;
    this.variant = data.variant;
    if (data.panic) this.panic = data.panic;
  }
  toData(): RuntimeErrorData {
    const d: RuntimeErrorData = { type: this.type, variant: this.variant, message: this.message };
    if (this.panic) d.panic = this.panic;
    return d;
  }
  toJSON(): RuntimeErrorData {
    return this.toData();
  }
  static from(data: RuntimeErrorData): RuntimeError {
    return new RuntimeError(data);
  }
}

/** Rust's `{:?}` of a string, close enough for error texts: double quotes, backslash escapes. */
export function debugStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

function debugChar(ch: string): string {
  if (ch === "'") return "'\\''";
  const s = debugStr(ch).slice(1, -1).replace(/\\"/g, '"');
  return `'${s}'`;
}

export const errors = {
  methodNotFound: (name: string): RuntimeErrorData => ({
    type: 'MethodNotFound',
    variant: 'MethodNotFound',
    message: `method ${debugStr(name)} not found`,
  }),
  invalidSignature: (name: string): RuntimeErrorData => ({
    type: 'InvalidMethod',
    variant: 'InvalidSignature',
    message: `method ${debugStr(name)} has invalid signature: expected no arguments and no return value`,
  }),
  emptyMethodName: (): RuntimeErrorData => ({ type: 'InvalidMethod', variant: 'EmptyMethodName', message: 'method name is empty' }),
  methodNameTooLong: (length: number, max: number): RuntimeErrorData => ({
    type: 'InvalidMethod',
    variant: 'MethodNameTooLong',
    message: `method name too long: ${length} bytes (max: ${max})`,
  }),
  invalidMethodNameCharacter: (character: string, position: number): RuntimeErrorData => ({
    type: 'InvalidMethod',
    variant: 'InvalidMethodNameCharacter',
    message: `method name contains invalid character at position ${position}: ${debugChar(character)}`,
  }),
  moduleTooLarge: (size: number, max: number): RuntimeErrorData => ({
    type: 'ModuleTooLarge',
    variant: 'ModuleSizeLimitExceeded',
    message: `module size limit (max_module_size) exceeded: ${size} bytes > ${max} bytes limit`,
  }),
  compilation: (detail: string): RuntimeErrorData => ({ type: 'InvalidModule', variant: 'CompilationError', message: `compilation error: ${detail}` }),
  link: (detail: string): RuntimeErrorData => ({ type: 'LinkError', variant: 'LinkError', message: `link error: ${detail}` }),
  /** Upstream reports a module without a `memory` export through ExportError::Missing, i.e. as "method not found". */
  missingMemory: (): RuntimeErrorData => ({ type: 'InvalidModule', variant: 'MethodNotFound', message: 'method "memory" not found' }),
  panic: (p: PanicInfo): RuntimeErrorData => ({
    type: 'Panic',
    variant: 'Panic',
    message: `${p.context} panicked: ${p.message}${p.location ? ` at ${p.location.file}:${p.location.line}:${p.location.column}` : ''}`,
    panic: p,
  }),
  timeout: (ms: number): RuntimeErrorData => ({
    type: 'Timeout',
    variant: 'Timeout',
    message: `execution timed out after ${ms} ms (the guest was terminated)`,
  }),
  memoryLimit: (pages: number): RuntimeErrorData => ({
    type: 'MemoryLimit',
    variant: 'MemoryLimit',
    message: `memory limit exceeded: the guest reached max_memory_pages (${pages} pages, ${pages * 64} KiB)`,
  }),
  workerOutOfMemory: (): RuntimeErrorData => ({
    type: 'MemoryLimit',
    variant: 'WorkerOutOfMemory',
    message: 'memory limit exceeded: the execution worker ran out of memory',
  }),
  unsupported: (name: string): RuntimeErrorData => ({
    type: 'UnsupportedHostFunction',
    variant: 'UnsupportedHostFunction',
    message: `host function ${debugStr(name)} is not supported by this node`,
  }),
  internal: (detail: string): RuntimeErrorData => ({ type: 'Internal', variant: 'Internal', message: `internal runtime error: ${detail}` }),
};

/** WasmTrap variants with upstream Display texts. */
export const TRAPS = {
  StackOverflow: 'stack overflow',
  MemoryOutOfBounds: 'memory out of bounds',
  HeapMisaligned: 'heap misaligned',
  TableAccessOutOfBounds: 'table access out of bounds',
  IndirectCallToNull: 'indirect call to null',
  BadSignature: 'bad signature',
  IllegalArithmetic: 'illegal arithmetic operation',
  Unreachable: 'unreachable code reached',
  UnalignedAtomic: 'unaligned atomic operation',
  Indeterminate: 'indeterminate trap',
} as const;
export type TrapVariant = keyof typeof TRAPS;

export function trap(variant: TrapVariant): RuntimeErrorData {
  return { type: 'Trap', variant, message: TRAPS[variant] };
}

/** Maps a V8 trap (WebAssembly.RuntimeError / RangeError) to upstream's WasmTrap like wasmer's TrapCode mapping. */
export function classifyTrap(err: unknown): RuntimeErrorData {
  if (err instanceof RangeError && /call stack/i.test(err.message)) return trap('StackOverflow');
  const msg = err instanceof Error ? err.message : String(err);
  if (/unreachable/i.test(msg)) return trap('Unreachable');
  if (/memory access out of bounds|out of bounds memory access/i.test(msg)) return trap('MemoryOutOfBounds');
  if (/table index is out of bounds|table access/i.test(msg)) return trap('MemoryOutOfBounds');
  if (/divide by zero|remainder by zero|integer overflow|unrepresentable|divide result unrepresentable/i.test(msg)) {
    return trap('IllegalArithmetic');
  }
  if (/null function|indirect call to null/i.test(msg)) return trap('IndirectCallToNull');
  if (/signature mismatch/i.test(msg)) return trap('BadSignature');
  if (/misaligned|unaligned/i.test(msg)) return trap('UnalignedAtomic');
  return trap('Indeterminate');
}

/** HostError variants: [type, Display text]. */
export const HOST_ERRORS = {
  InvalidMemoryAccess: ['HostError', 'invalid memory access'],
  BadUTF8: ['HostError', 'invalid UTF-8 string'],
  DeserializationError: ['HostError', 'deserialization error'],
  SerializationError: ['HostError', 'serialization error'],
  IntegerOverflow: ['HostError', 'integer overflow'],
  KeyLengthOverflow: ['HostLimit', 'key length overflow'],
  ValueLengthOverflow: ['HostLimit', 'value length overflow'],
  LogLengthOverflow: ['HostLimit', 'log size overflow'],
  LogsOverflow: ['HostLimit', 'logs overflow'],
  EventsOverflow: ['HostLimit', 'events overflow'],
  EventKindSizeOverflow: ['HostLimit', 'event kind size overflow'],
  EventDataSizeOverflow: ['HostLimit', 'event data size overflow'],
  XCallsOverflow: ['HostLimit', 'xcalls overflow'],
  XCallFunctionSizeOverflow: ['HostLimit', 'xcall function size overflow'],
  XCallParamsSizeOverflow: ['HostLimit', 'xcall params size overflow'],
  BlobsNotSupported: ['HostError', 'blob operations not supported (NodeClient not available)'],
  InvalidBlobHandle: ['HostError', 'invalid blob handle'],
  Ed25519IncorrectPublicKey: ['HostError', 'incorrect ed25519 public key'],
  NodeClientNotAvailable: ['HostError', 'node client is not available'],
} as const satisfies Record<string, readonly [RuntimeErrorType, string]>;
export type HostErrorVariant = keyof typeof HOST_ERRORS;

export function hostError(variant: HostErrorVariant): RuntimeErrorData {
  const [type, message] = HOST_ERRORS[variant];
  return { type, variant, message };
}

/** Thrown by a host function to end the call; carries the upstream error the guest's call fails with. */
export class HostTrap extends Error {
  constructor(readonly data: RuntimeErrorData) {
    super(data.message);
  }
}

/** Ends the call with one of upstream's plain HostError variants. */
export function fail(variant: HostErrorVariant): never {
  throw new HostTrap(hostError(variant));
}

export const hostErrors = {
  invalidRegisterId: (id: bigint): RuntimeErrorData => ({ type: 'HostError', variant: 'InvalidRegisterId', message: `invalid register id: ${id}` }),
  /** Upstream reports register limits as InvalidMemoryAccess; we keep its text and flag it as a limit. */
  registerLimit: (): RuntimeErrorData => ({ type: 'HostLimit', variant: 'InvalidMemoryAccess', message: 'invalid memory access' }),
  tooManyBlobHandles: (max: number): RuntimeErrorData => ({ type: 'HostLimit', variant: 'TooManyBlobHandles', message: `too many blob handles (max: ${max})` }),
  blobWriteTooLarge: (size: number, max: number): RuntimeErrorData => ({
    type: 'HostLimit',
    variant: 'BlobWriteTooLarge',
    message: `blob write too large (size: ${size}, max: ${max})`,
  }),
  blobBufferTooLarge: (size: number, max: number): RuntimeErrorData => ({
    type: 'HostLimit',
    variant: 'BlobBufferTooLarge',
    message: `blob buffer too large (size: ${size}, max: ${max})`,
  }),
  aliasAlreadyExists: (alias: string): RuntimeErrorData => ({ type: 'HostError', variant: 'AliasAlreadyExists', message: `alias already exists: ${alias}` }),
  aliasTooLong: (len: number): RuntimeErrorData => ({ type: 'HostError', variant: 'AliasTooLong', message: `alias too long: ${len}` }),
  returnTooLarge: (size: number, max: number): RuntimeErrorData => ({
    type: 'HostLimit',
    variant: 'ReturnSizeOverflow',
    message: `return value size overflow (size: ${size}, max: ${max})`,
  }),
};
