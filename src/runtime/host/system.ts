/**
 * System host functions (upstream host_functions/system.rs): panics, registers, the call's input and ids, its
 * return value, logs, events, cross-context calls and the state commit.
 */
import { errors, fail, HostTrap, hostErrors } from '../errors.ts';
import { DIGEST, U64_MAX, unsupported, type CallContext, type HostFunctions } from './call.ts';

/** Upstream's calimero-storage internals (root state, storage deltas): not available here. */
export const SYSTEM_UNSUPPORTED = ['persist_root_state', 'read_root_state', 'apply_storage_delta', 'flush_delta'] as const;

const utf8Lossy = new TextDecoder('utf-8');

export function system(cx: CallContext): HostFunctions {
  const { memory, registers, limits, effects } = cx;
  let committed = false;

  /** A Location descriptor {file Buffer, line u32, column u32}. */
  const locationAt = (v: DataView) => {
    const file = memory.str(memory.bufAt(v, 0));
    return { file, line: v.getUint32(16, true), column: v.getUint32(20, true) };
  };

  const pushLog = (message: string): void => {
    if (effects.logs.length >= limits.maxLogs) fail('LogsOverflow');
    if (Buffer.byteLength(message) > limits.maxLogSize) fail('LogLengthOverflow');
    effects.logs.push(message);
  };

  /** An Event descriptor {kind Buffer, data Buffer}, with an optional handler name. */
  const pushEvent = (ptr: bigint, handlerPtr: bigint | null): void => {
    const v = memory.typed(ptr, 32);
    const kindBuf = memory.bufAt(v, 0);
    const dataBuf = memory.bufAt(v, 16);
    if (kindBuf.len > limits.maxEventKindSize) fail('EventKindSizeOverflow');
    if (dataBuf.len > limits.maxEventDataSize) fail('EventDataSizeOverflow');
    if (effects.events.length >= limits.maxEvents) fail('EventsOverflow');
    const kind = memory.str(kindBuf);
    const data = memory.slice(dataBuf);
    let handler: string | null = null;
    if (handlerPtr !== null && handlerPtr !== 0n) {
      const hb = memory.buffer(handlerPtr);
      try {
        handler = memory.str(hb);
      } catch {
        handler = null; // upstream: an unreadable handler name is dropped, not an error
      }
    }
    effects.events.push({ kind, data, handler });
  };

  return {
    panic: (locationPtr) => {
      const location = locationAt(memory.typed(locationPtr, 24));
      throw new HostTrap(errors.panic({ context: 'guest', message: 'explicit panic', location }));
    },
    panic_utf8: (msgPtr, locationPtr) => {
      const msgBuf = memory.buffer(msgPtr);
      const v = memory.typed(locationPtr, 24);
      const message = memory.str(msgBuf);
      throw new HostTrap(errors.panic({ context: 'guest', message, location: locationAt(v) }));
    },
    register_len: (id) => {
      const r = registers.get(id);
      return r ? BigInt(r.length) : U64_MAX;
    },
    read_register: (id, ptr) => {
      const dest = memory.buffer(ptr);
      const data = registers.get(id);
      if (!data) throw new HostTrap(hostErrors.invalidRegisterId(id));
      if (data.length !== dest.len) return 0;
      memory.view(dest).set(data);
      return 1;
    },
    context_id: (reg) => {
      registers.set(reg, cx.contextId.slice());
    },
    executor_id: (reg) => {
      registers.set(reg, cx.executorId.slice());
    },
    input: (reg) => {
      registers.set(reg, cx.input.slice());
    },
    value_return: (ptr) => {
      const v = memory.typed(ptr, 24);
      const discriminant = v.getBigUint64(0, true);
      if (discriminant > 1n) fail('DeserializationError');
      const b = memory.bufAt(v, 8);
      if (b.len > limits.maxReturnSize) throw new HostTrap(hostErrors.returnTooLarge(b.len, limits.maxReturnSize));
      const bytes = memory.slice(b);
      effects.returns = discriminant === 0n ? { ok: bytes } : { err: bytes };
    },
    log_utf8: (ptr) => {
      pushLog(memory.str(memory.buffer(ptr)));
    },
    js_std_d_print: (_ctx, ptr, len) => {
      const [start, end] = memory.range(ptr, len);
      pushLog(utf8Lossy.decode(memory.bytes().subarray(start, end)));
      return 0;
    },
    emit: (ptr) => {
      pushEvent(ptr, null);
    },
    emit_with_handler: (ptr, handlerPtr) => {
      pushEvent(ptr, handlerPtr);
    },
    xcall: (ptr) => {
      const v = memory.typed(ptr, 48);
      const ctx = memory.bufAt(v, 0);
      const fn = memory.bufAt(v, 16);
      const params = memory.bufAt(v, 32);
      if (fn.len > limits.maxXcallFunctionSize) fail('XCallFunctionSizeOverflow');
      if (params.len > limits.maxXcallParamsSize) fail('XCallParamsSizeOverflow');
      if (effects.xcalls.length >= limits.maxXcalls) fail('XCallsOverflow');
      effects.xcalls.push({ contextId: memory.sized(ctx, DIGEST), function: memory.str(fn), params: memory.slice(params) });
    },
    commit: (rootPtr, artifactPtr) => {
      const root = memory.buffer(rootPtr);
      const artifact = memory.buffer(artifactPtr);
      const rootHash = memory.sized(root, DIGEST);
      const bytes = memory.slice(artifact);
      if (committed) fail('InvalidMemoryAccess');
      effects.rootHash = rootHash;
      effects.artifact = bytes;
      committed = true;
    },
    ...unsupported(SYSTEM_UNSUPPORTED),
  };
}
