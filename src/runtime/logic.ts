/**
 * The guest-facing half of the runtime: the `env` import object of upstream's host ABI (0.10.0) and the state
 * of one call (registers, return value, logs, events, storage overlay, …). It is synchronous: storage and other
 * node lookups go through a {@link SyncHost}, which in the worker blocks on the main thread.
 *
 * Conventions (see docs/apps.md and upstream crates/sys): every pointer, length and register id is an i64
 * (a BigInt here); `*_ptr` arguments point at descriptors in guest memory — Buffer {ptr u64, len u64},
 * Location {file Buffer, line u32, column u32}, Event {kind Buffer, data Buffer}, XCall {context Buffer,
 * function Buffer, params Buffer}, ValueReturn {discriminant u64 (0 ok / 1 err), Buffer}.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  errors,
  hostError,
  hostErrors,
  type HostErrorVariant,
  type RuntimeErrorData,
} from './errors.ts';
import type { VMLimits } from './limits.ts';

/** Thrown by a host function to end the call; carries the upstream error. */
export class HostTrap extends Error {
  constructor(readonly data: RuntimeErrorData) {
    super(data.message);
  }
}

/** Node services a call may need, answered synchronously. `undefined` = the node does not offer it. */
export interface SyncHost {
  storageRead(key: Uint8Array): Uint8Array | null;
  privateStorageRead?(key: Uint8Array): Uint8Array | null;
  blobRead?(blobId: Uint8Array): Uint8Array | null;
  blobPut?(data: Uint8Array): Uint8Array;
  contextMembers?(): Uint8Array[];
  resolveAlias?(alias: string): Uint8Array | null;
}

export interface Write {
  key: Uint8Array;
  value: Uint8Array | null;
}

export type ContextMutation =
  | { kind: 'AddMember'; publicKey: Uint8Array }
  | { kind: 'RemoveMember'; publicKey: Uint8Array }
  | { kind: 'CreateContext'; protocol: string; applicationId: Uint8Array; initArgs: Uint8Array; alias: string | null }
  | { kind: 'DeleteContext'; contextId: Uint8Array };

/** Everything a call produced, as plain data (it crosses the worker boundary). */
export interface OutcomeData {
  returns: { ok: Uint8Array } | { err: Uint8Array } | null;
  error: RuntimeErrorData | null;
  logs: string[];
  events: Array<{ kind: string; data: Uint8Array; handler: string | null }>;
  rootHash: Uint8Array | null;
  artifact: Uint8Array;
  writes: Map<string, Write>;
  privateWrites: Map<string, Write>;
  blobs: Array<{ id: Uint8Array; data: Uint8Array }>;
  blobAnnouncements: Array<{ blobId: Uint8Array; contextId: Uint8Array }>;
  xcalls: Array<{ contextId: Uint8Array; function: string; params: Uint8Array }>;
  proposals: Array<{ id: Uint8Array; actions: Uint8Array }>;
  approvals: Uint8Array[];
  contextMutations: ContextMutation[];
  /** Guest memory size at the end of the call, in 64 KiB pages. */
  memoryPages: number;
}

export interface CallInput {
  input: Uint8Array;
  contextId: Uint8Array;
  executorId: Uint8Array;
  limits: VMLimits;
  host: SyncHost;
}

const U64_MAX = (1n << 64n) - 1n;
const DIGEST = 32;
/** The node's blob store cuts blobs into 1 MiB chunks; a blob id is sha256 over the chunk hashes. */
const BLOB_CHUNK = 1 << 20;
const MAX_ALIAS_LEN = 50;

/** Upstream imports that depend on calimero-storage internals or the QuickJS SDK: they trap, named. */
export const UNSUPPORTED_IMPORTS = [
  'persist_root_state',
  'read_root_state',
  'apply_storage_delta',
  'flush_delta',
  'js_crdt_map_new',
  'js_crdt_map_get',
  'js_crdt_map_insert',
  'js_crdt_map_remove',
  'js_crdt_map_contains',
  'js_crdt_map_iter',
  'js_crdt_vector_new',
  'js_crdt_vector_len',
  'js_crdt_vector_push',
  'js_crdt_vector_get',
  'js_crdt_vector_pop',
  'js_crdt_set_new',
  'js_crdt_set_insert',
  'js_crdt_set_contains',
  'js_crdt_set_remove',
  'js_crdt_set_len',
  'js_crdt_set_iter',
  'js_crdt_set_clear',
  'js_crdt_lww_new',
  'js_crdt_lww_set',
  'js_crdt_lww_get',
  'js_crdt_lww_timestamp',
  'js_crdt_counter_new',
  'js_crdt_counter_increment',
  'js_crdt_counter_value',
  'js_crdt_counter_get_executor_count',
  'js_user_storage_new',
  'js_user_storage_insert',
  'js_user_storage_get',
  'js_user_storage_get_for_user',
  'js_user_storage_remove',
  'js_user_storage_contains',
  'js_user_storage_contains_user',
  'js_frozen_storage_new',
  'js_frozen_storage_add',
  'js_frozen_storage_get',
  'js_frozen_storage_contains',
] as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function fail(variant: HostErrorVariant): never {
  throw new HostTrap(hostError(variant));
}

interface Buf {
  ptr: number;
  len: number;
}

type BlobHandle =
  | { kind: 'write'; chunks: Uint8Array[]; size: number }
  | { kind: 'read'; blobId: Uint8Array; data: Uint8Array | null | undefined; position: number };

/** Blob id the node's blob store gives these bytes (src/node/blobs.ts): sha256 of the concatenated chunk hashes. */
export function blobIdOf(data: Uint8Array): Uint8Array {
  const h = sha256.create();
  if (data.length === 0) return h.digest();
  for (let off = 0; off < data.length; off += BLOB_CHUNK) h.update(sha256(data.subarray(off, off + BLOB_CHUNK)));
  return h.digest();
}

export class VMLogic {
  private memory: WebAssembly.Memory | null = null;
  private readonly registers = new Map<bigint, Uint8Array>();
  private registersSize = 0;
  private returns: OutcomeData['returns'] = null;
  private readonly logs: string[] = [];
  private readonly events: OutcomeData['events'] = [];
  private readonly xcalls: OutcomeData['xcalls'] = [];
  private rootHash: Uint8Array | null = null;
  private artifact: Uint8Array = new Uint8Array(0);
  private commitCalled = false;
  private readonly writes = new Map<string, Write>();
  private readonly privateWrites = new Map<string, Write>();
  private readonly proposals: OutcomeData['proposals'] = [];
  private readonly approvals: Uint8Array[] = [];
  private readonly contextMutations: ContextMutation[] = [];
  private readonly blobHandles = new Map<bigint, BlobHandle>();
  private nextBlobFd = 1n;
  private readonly createdBlobs: OutcomeData['blobs'] = [];
  private readonly blobAnnouncements: OutcomeData['blobAnnouncements'] = [];
  private readonly limits: VMLimits;
  private readonly host: SyncHost;

  constructor(private readonly call: CallInput) {
    this.limits = call.limits;
    this.host = call.host;
  }

  attachMemory(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  memoryPages(): number {
    return this.memory ? this.memory.buffer.byteLength / 65536 : 0;
  }

  // ---- guest memory ------------------------------------------------------------------------------------

  private mem(): Uint8Array {
    if (!this.memory) throw new HostTrap(errors.panic({ context: 'host', message: 'VM Memory not initialized' }));
    return new Uint8Array(this.memory.buffer);
  }

  private range(ptr: bigint | number, len: bigint | number): [number, number] {
    const p = BigInt(ptr);
    const end = p + BigInt(len);
    if (end > BigInt(this.mem().length)) fail('InvalidMemoryAccess');
    return [Number(p), Number(end)];
  }

  /** A typed descriptor of `size` bytes at `ptr`, as a DataView. */
  private typed(ptr: bigint, size: number): DataView {
    const [start] = this.range(ptr, size);
    return new DataView(this.memory!.buffer, start, size);
  }

  private buffer(ptr: bigint): Buf {
    const v = this.typed(ptr, 16);
    return this.bufAt(v, 0);
  }

  private bufAt(v: DataView, offset: number): Buf {
    const p = v.getBigUint64(offset, true);
    const l = v.getBigUint64(offset + 8, true);
    // Out-of-range values cannot address guest memory; they fail on access.
    return { ptr: p > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(p), len: l > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(l) };
  }

  /** A copy of the bytes a Buffer descriptor points at. */
  private slice(b: Buf): Uint8Array {
    const [start, end] = this.range(b.ptr, b.len);
    return this.mem().slice(start, end);
  }

  private view(b: Buf): Uint8Array {
    const [start, end] = this.range(b.ptr, b.len);
    return this.mem().subarray(start, end);
  }

  private str(b: Buf): string {
    try {
      return utf8.decode(this.view(b));
    } catch (err) {
      if (err instanceof HostTrap) throw err;
      fail('BadUTF8');
    }
  }

  private sized(b: Buf, n: number): Uint8Array {
    const s = this.slice(b);
    if (s.length !== n) fail('InvalidMemoryAccess');
    return s;
  }

  // ---- registers ---------------------------------------------------------------------------------------

  private setRegister(id: bigint, data: Uint8Array): void {
    const len = data.length;
    const old = this.registers.get(id);
    let ok = len <= this.limits.maxRegisterSize;
    if (ok && !old && this.registers.size >= this.limits.maxRegisters) ok = false;
    const total = this.registersSize - (old ? 8 + old.length : 0) + 8 + len;
    if (ok && total > this.limits.maxRegistersCapacity) ok = false;
    if (!ok) throw new HostTrap(hostErrors.registerLimit());
    this.registersSize = total;
    this.registers.set(id, data);
  }

  // ---- storage overlay ---------------------------------------------------------------------------------

  private checkKey(b: Buf): void {
    if (b.len > this.limits.maxStorageKeySize) fail('KeyLengthOverflow');
  }

  private current(key: Uint8Array): Uint8Array | null {
    const w = this.writes.get(hex(key));
    if (w) return w.value;
    return this.host.storageRead(key);
  }

  private currentPrivate(key: Uint8Array): Uint8Array | null {
    const w = this.privateWrites.get(hex(key));
    if (w) return w.value;
    return this.host.privateStorageRead!(key);
  }

  // ---- blobs -------------------------------------------------------------------------------------------

  private blobsSupported(): boolean {
    return typeof this.host.blobRead === 'function';
  }

  private newBlobFd(handle: BlobHandle): bigint {
    if (this.blobHandles.size >= this.limits.maxBlobHandles) throw new HostTrap(hostErrors.tooManyBlobHandles(this.limits.maxBlobHandles));
    const fd = this.nextBlobFd++;
    this.blobHandles.set(fd, handle);
    return fd;
  }

  private blobBytes(blobId: Uint8Array): Uint8Array | null {
    const id = hex(blobId);
    const own = this.createdBlobs.find((b) => hex(b.id) === id);
    if (own) return own.data;
    return this.host.blobRead!(blobId);
  }

  // ---- the import object -------------------------------------------------------------------------------

  imports(): WebAssembly.Imports {
    const env: Record<string, (...args: bigint[]) => unknown> = {
      panic: (locationPtr) => {
        const v = this.typed(locationPtr, 24);
        const file = this.str(this.bufAt(v, 0));
        const line = v.getUint32(16, true);
        const column = v.getUint32(20, true);
        throw new HostTrap(errors.panic({ context: 'guest', message: 'explicit panic', location: { file, line, column } }));
      },
      panic_utf8: (msgPtr, locationPtr) => {
        const msgBuf = this.buffer(msgPtr);
        const v = this.typed(locationPtr, 24);
        const message = this.str(msgBuf);
        const file = this.str(this.bufAt(v, 0));
        const line = v.getUint32(16, true);
        const column = v.getUint32(20, true);
        throw new HostTrap(errors.panic({ context: 'guest', message, location: { file, line, column } }));
      },
      register_len: (id) => {
        const r = this.registers.get(id);
        return r ? BigInt(r.length) : U64_MAX;
      },
      read_register: (id, ptr) => {
        const dest = this.buffer(ptr);
        const data = this.registers.get(id);
        if (!data) throw new HostTrap(hostErrors.invalidRegisterId(id));
        if (data.length !== dest.len) return 0;
        this.view(dest).set(data);
        return 1;
      },
      context_id: (reg) => {
        this.setRegister(reg, this.call.contextId.slice());
      },
      executor_id: (reg) => {
        this.setRegister(reg, this.call.executorId.slice());
      },
      input: (reg) => {
        this.setRegister(reg, this.call.input.slice());
      },
      value_return: (ptr) => {
        const v = this.typed(ptr, 24);
        const discriminant = v.getBigUint64(0, true);
        if (discriminant > 1n) fail('DeserializationError');
        const b = this.bufAt(v, 8);
        if (b.len > this.limits.maxReturnSize) throw new HostTrap(hostErrors.returnTooLarge(b.len, this.limits.maxReturnSize));
        const bytes = this.slice(b);
        this.returns = discriminant === 0n ? { ok: bytes } : { err: bytes };
      },
      log_utf8: (ptr) => {
        const message = this.str(this.buffer(ptr));
        this.pushLog(message);
      },
      js_std_d_print: (_ctx, ptr, len) => {
        const [start, end] = this.range(ptr, len);
        this.pushLog(utf8Lossy.decode(this.mem().subarray(start, end)));
        return 0;
      },
      emit: (ptr) => {
        this.pushEvent(ptr, null);
      },
      emit_with_handler: (ptr, handlerPtr) => {
        this.pushEvent(ptr, handlerPtr);
      },
      xcall: (ptr) => {
        const v = this.typed(ptr, 48);
        const ctx = this.bufAt(v, 0);
        const fn = this.bufAt(v, 16);
        const params = this.bufAt(v, 32);
        if (fn.len > this.limits.maxXcallFunctionSize) fail('XCallFunctionSizeOverflow');
        if (params.len > this.limits.maxXcallParamsSize) fail('XCallParamsSizeOverflow');
        if (this.xcalls.length >= this.limits.maxXcalls) fail('XCallsOverflow');
        this.xcalls.push({ contextId: this.sized(ctx, DIGEST), function: this.str(fn), params: this.slice(params) });
      },
      commit: (rootPtr, artifactPtr) => {
        const root = this.buffer(rootPtr);
        const artifact = this.buffer(artifactPtr);
        const rootHash = this.sized(root, DIGEST);
        const bytes = this.slice(artifact);
        if (this.commitCalled) fail('InvalidMemoryAccess');
        this.rootHash = rootHash;
        this.artifact = bytes;
        this.commitCalled = true;
      },
      storage_read: (keyPtr, reg) => {
        const k = this.buffer(keyPtr);
        this.checkKey(k);
        const value = this.current(this.slice(k));
        if (!value) return 0;
        this.setRegister(reg, value);
        return 1;
      },
      storage_remove: (keyPtr, reg) => {
        const k = this.buffer(keyPtr);
        this.checkKey(k);
        const key = this.slice(k);
        const value = this.current(key);
        if (!value) return 0;
        this.writes.set(hex(key), { key, value: null });
        this.setRegister(reg, value);
        return 1;
      },
      storage_write: (keyPtr, valuePtr, reg) => {
        const k = this.buffer(keyPtr);
        const val = this.buffer(valuePtr);
        this.checkKey(k);
        if (val.len > this.limits.maxStorageValueSize) fail('ValueLengthOverflow');
        const key = this.slice(k);
        const value = this.slice(val);
        const evicted = this.current(key);
        this.writes.set(hex(key), { key, value });
        if (!evicted) return 0;
        this.setRegister(reg, evicted);
        return 1;
      },
      private_storage_read: (keyPtr, reg) => {
        const k = this.buffer(keyPtr);
        this.checkKey(k);
        const key = this.slice(k);
        if (!this.host.privateStorageRead) return 0;
        const value = this.currentPrivate(key);
        if (!value) return 0;
        this.setRegister(reg, value);
        return 1;
      },
      private_storage_remove: (keyPtr, reg) => {
        const k = this.buffer(keyPtr);
        this.checkKey(k);
        const key = this.slice(k);
        if (!this.host.privateStorageRead) return 0;
        const value = this.currentPrivate(key);
        if (!value) return 0;
        this.privateWrites.set(hex(key), { key, value: null });
        this.setRegister(reg, value);
        return 1;
      },
      private_storage_write: (keyPtr, valuePtr) => {
        const k = this.buffer(keyPtr);
        const val = this.buffer(valuePtr);
        this.checkKey(k);
        if (val.len > this.limits.maxStorageValueSize) fail('ValueLengthOverflow');
        const key = this.slice(k);
        const value = this.slice(val);
        if (!this.host.privateStorageRead) return 0;
        this.privateWrites.set(hex(key), { key, value });
        return 1;
      },
      fetch: (_url, _method, _headers, _body, reg) => {
        // Upstream 0.10.0 ships `fetch` disabled: it answers with this message and status 1.
        this.setRegister(reg, new TextEncoder().encode("Host function 'fetch' is temporarily disabled."));
        return 1;
      },
      random_bytes: (ptr) => {
        const dest = this.view(this.buffer(ptr));
        for (let off = 0; off < dest.length; off += 65536) crypto.getRandomValues(dest.subarray(off, off + 65536) as Uint8Array<ArrayBuffer>);
      },
      time_now: (ptr) => {
        const b = this.buffer(ptr);
        if (b.len !== 8) fail('InvalidMemoryAccess');
        const nanos = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
        const dest = this.view(b);
        new DataView(dest.buffer, dest.byteOffset, 8).setBigUint64(0, nanos, true);
      },
      ed25519_verify: (sigPtr, pkPtr, msgPtr) => {
        const sigBuf = this.buffer(sigPtr);
        const pkBuf = this.buffer(pkPtr);
        const msgBuf = this.buffer(msgPtr);
        const signature = this.sized(sigBuf, 64);
        const publicKey = this.sized(pkBuf, 32);
        const message = this.slice(msgBuf);
        try {
          ed25519.Point.fromBytes(publicKey);
        } catch {
          fail('Ed25519IncorrectPublicKey');
        }
        try {
          return ed25519.verify(signature, message, publicKey) ? 1 : 0;
        } catch {
          return 0;
        }
      },
      send_proposal: (actionsPtr, idPtr) => {
        const actions = this.slice(this.buffer(actionsPtr));
        const dest = this.buffer(idPtr);
        const out = this.view(dest);
        if (out.length !== DIGEST) fail('InvalidMemoryAccess');
        const id = crypto.getRandomValues(new Uint8Array(DIGEST));
        out.set(id);
        this.proposals.push({ id, actions });
      },
      approve_proposal: (ptr) => {
        this.approvals.push(this.sized(this.buffer(ptr), DIGEST));
      },
      context_create: (protocolPtr, appIdPtr, argsPtr, aliasPtr) => {
        const protocol = this.str(this.buffer(protocolPtr));
        const applicationId = this.sized(this.buffer(appIdPtr), DIGEST);
        const initArgs = this.slice(this.buffer(argsPtr));
        let alias: string | null = null;
        if (aliasPtr !== 0n) {
          const a = this.buffer(aliasPtr);
          if (a.len > 0) alias = this.str(a);
        }
        if (alias !== null && Buffer.byteLength(alias) > MAX_ALIAS_LEN) throw new HostTrap(hostErrors.aliasTooLong(Buffer.byteLength(alias)));
        this.contextMutations.push({ kind: 'CreateContext', protocol, applicationId, initArgs, alias });
      },
      context_delete: (ptr) => {
        this.contextMutations.push({ kind: 'DeleteContext', contextId: this.sized(this.buffer(ptr), DIGEST) });
      },
      context_add_member: (ptr) => {
        this.contextMutations.push({ kind: 'AddMember', publicKey: this.sized(this.buffer(ptr), DIGEST) });
      },
      context_remove_member: (ptr) => {
        this.contextMutations.push({ kind: 'RemoveMember', publicKey: this.sized(this.buffer(ptr), DIGEST) });
      },
      context_is_member: (ptr) => {
        const pk = hex(this.sized(this.buffer(ptr), DIGEST));
        const members = this.host.contextMembers?.() ?? [];
        return members.some((m) => hex(m) === pk) ? 1 : 0;
      },
      context_members: (reg) => {
        const members = this.host.contextMembers?.() ?? [];
        const out = new Uint8Array(4 + DIGEST * members.length); // borsh Vec<[u8; 32]>
        new DataView(out.buffer).setUint32(0, members.length, true);
        members.forEach((m, i) => out.set(m.subarray(0, DIGEST), 4 + i * DIGEST));
        this.setRegister(reg, out);
      },
      context_resolve_alias: (ptr, reg) => {
        const alias = this.str(this.buffer(ptr));
        if (!this.host.resolveAlias) fail('NodeClientNotAvailable');
        if (Buffer.byteLength(alias) > MAX_ALIAS_LEN) throw new HostTrap(hostErrors.aliasTooLong(Buffer.byteLength(alias)));
        const id = this.host.resolveAlias(alias);
        if (!id) return 0;
        this.setRegister(reg, id.slice());
        return 1;
      },
      blob_create: () => {
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        return this.newBlobFd({ kind: 'write', chunks: [], size: 0 });
      },
      blob_write: (fd, dataPtr) => {
        const b = this.buffer(dataPtr);
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        if (b.len > this.limits.maxBlobChunkSize) throw new HostTrap(hostErrors.blobWriteTooLarge(b.len, this.limits.maxBlobChunkSize));
        const data = this.slice(b);
        const h = this.blobHandles.get(fd);
        if (!h || h.kind !== 'write') fail('InvalidBlobHandle');
        h.chunks.push(data);
        h.size += data.length;
        return BigInt(data.length);
      },
      blob_close: (fd, idPtr) => {
        const dest = this.buffer(idPtr);
        if (dest.len !== DIGEST) fail('InvalidMemoryAccess');
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        this.view(dest);
        const h = this.blobHandles.get(fd);
        if (!h) fail('InvalidBlobHandle');
        this.blobHandles.delete(fd);
        let id: Uint8Array;
        if (h.kind === 'write') {
          const data = Buffer.concat(h.chunks);
          const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
          id = this.host.blobPut ? this.host.blobPut(bytes) : blobIdOf(bytes);
          this.createdBlobs.push({ id, data: bytes });
        } else id = h.blobId;
        this.view(dest).set(id);
        return 1;
      },
      blob_open: (idPtr) => {
        const b = this.buffer(idPtr);
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        if (this.blobHandles.size >= this.limits.maxBlobHandles) throw new HostTrap(hostErrors.tooManyBlobHandles(this.limits.maxBlobHandles));
        const blobId = this.sized(b, DIGEST);
        return this.newBlobFd({ kind: 'read', blobId, data: undefined, position: 0 });
      },
      blob_read: (fd, destPtr) => {
        const dest = this.buffer(destPtr);
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        if (dest.len > this.limits.maxBlobChunkSize) throw new HostTrap(hostErrors.blobBufferTooLarge(dest.len, this.limits.maxBlobChunkSize));
        if (dest.len === 0) return 0n;
        const h = this.blobHandles.get(fd);
        if (!h || h.kind !== 'read') fail('InvalidBlobHandle');
        if (h.data === undefined) h.data = this.blobBytes(h.blobId);
        if (!h.data) return 0n;
        const chunk = h.data.subarray(h.position, h.position + dest.len);
        if (chunk.length > 0) this.view({ ptr: dest.ptr, len: chunk.length }).set(chunk);
        h.position += chunk.length;
        return BigInt(chunk.length);
      },
      blob_announce_to_context: (blobPtr, ctxPtr) => {
        if (!this.blobsSupported()) fail('BlobsNotSupported');
        const blobId = this.sized(this.buffer(blobPtr), DIGEST);
        const contextId = this.sized(this.buffer(ctxPtr), DIGEST);
        if (!this.blobBytes(blobId)) fail('BlobsNotSupported');
        this.blobAnnouncements.push({ blobId, contextId });
        return 1;
      },
    };
    for (const name of UNSUPPORTED_IMPORTS) {
      env[name] = () => {
        throw new HostTrap(errors.unsupported(name));
      };
    }
    return { env };
  }

  private pushLog(message: string): void {
    if (this.logs.length >= this.limits.maxLogs) fail('LogsOverflow');
    if (Buffer.byteLength(message) > this.limits.maxLogSize) fail('LogLengthOverflow');
    this.logs.push(message);
  }

  private pushEvent(ptr: bigint, handlerPtr: bigint | null): void {
    const v = this.typed(ptr, 32);
    const kindBuf = this.bufAt(v, 0);
    const dataBuf = this.bufAt(v, 16);
    if (kindBuf.len > this.limits.maxEventKindSize) fail('EventKindSizeOverflow');
    if (dataBuf.len > this.limits.maxEventDataSize) fail('EventDataSizeOverflow');
    if (this.events.length >= this.limits.maxEvents) fail('EventsOverflow');
    const kind = this.str(kindBuf);
    const data = this.slice(dataBuf);
    let handler: string | null = null;
    if (handlerPtr !== null && handlerPtr !== 0n) {
      const hb = this.buffer(handlerPtr);
      try {
        handler = this.str(hb);
      } catch {
        handler = null; // upstream: an unreadable handler name is dropped, not an error
      }
    }
    this.events.push({ kind, data, handler });
  }

  /** The outcome; on error the state-changing parts are dropped so nothing of a failed call can be applied. */
  finish(error: RuntimeErrorData | null): OutcomeData {
    const failed = error !== null;
    return {
      returns: failed ? null : this.returns,
      error,
      logs: this.logs,
      events: this.events,
      rootHash: failed ? null : this.rootHash,
      artifact: failed ? new Uint8Array(0) : this.artifact,
      writes: failed ? new Map() : this.writes,
      privateWrites: failed ? new Map() : this.privateWrites,
      blobs: failed ? [] : this.createdBlobs,
      blobAnnouncements: failed ? [] : this.blobAnnouncements,
      xcalls: failed ? [] : this.xcalls,
      proposals: failed ? [] : this.proposals,
      approvals: failed ? [] : this.approvals,
      contextMutations: failed ? [] : this.contextMutations,
      memoryPages: this.memoryPages(),
    };
  }
}
