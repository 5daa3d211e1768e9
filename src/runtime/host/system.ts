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
  /** A Location descriptor {file Buffer, line u32, column u32}. */
  const locationAt = (v: DataView) => {
    const file = cx.memory.str(cx.memory.bufAt(v, 0));
    return { file, line: v.getUint32(16, true), column: v.getUint32(20, true) };
  };

  const pushLog = (message: string): void => {
    if (cx.effects.logs.length >= cx.limits.maxLogs) fail('LogsOverflow');
    if (Buffer.byteLength(message) > cx.limits.maxLogSize) fail('LogLengthOverflow');
    cx.effects.logs.push(message);
  };

  /** An Event descriptor {kind Buffer, data Buffer}, with an optional handler name. */
  const pushEvent = (ptr: bigint, handlerPtr: bigint | null): void => {
    const v = cx.memory.typed(ptr, 32);
    const kindBuf = cx.memory.bufAt(v, 0);
    const dataBuf = cx.memory.bufAt(v, 16);
    if (kindBuf.len > cx.limits.maxEventKindSize) fail('EventKindSizeOverflow');
    if (dataBuf.len > cx.limits.maxEventDataSize) fail('EventDataSizeOverflow');
    if (cx.effects.events.length >= cx.limits.maxEvents) fail('EventsOverflow');
    const kind = cx.memory.str(kindBuf);
    const data = cx.memory.slice(dataBuf);
    let handler: string | null = null;
    if (handlerPtr !== null && handlerPtr !== 0n) {
      const hb = cx.memory.buffer(handlerPtr);
      try {
        handler = cx.memory.str(hb);
      } catch {
        handler = null; // upstream: an unreadable handler name is dropped, not an error
      }
    }
    cx.effects.events.push({ kind, data, handler });
  };

  return {
    panic: (locationPtr) => {
      const location = locationAt(cx.memory.typed(locationPtr, 24));
      throw new HostTrap(errors.panic({ context: 'guest', message: 'explicit panic', location }));
    },
    panic_utf8: (msgPtr, locationPtr) => {
      const msgBuf = cx.memory.buffer(msgPtr);
      const v = cx.memory.typed(locationPtr, 24);
      const message = cx.memory.str(msgBuf);
      throw new HostTrap(errors.panic({ context: 'guest', message, location: locationAt(v) }));
    },
    register_len: (id) => {
      const r = cx.registers.get(id);
      return r ? BigInt(r.length) : U64_MAX;
    },
    read_register: (id, ptr) => {
      const dest = cx.memory.buffer(ptr);
      const data = cx.registers.get(id);
      if (!data) throw new HostTrap(hostErrors.invalidRegisterId(id));
      if (data.length !== dest.len) return 0;
      cx.memory.view(dest).set(data);
      return 1;
    },
    context_id: (reg) => {
      cx.registers.set(reg, cx.contextId.slice());
    },
    executor_id: (reg) => {
      cx.registers.set(reg, cx.executorId.slice());
    },
    input: (reg) => {
      cx.registers.set(reg, cx.input.slice());
    },
    value_return: (ptr) => {
      const v = cx.memory.typed(ptr, 24);
      const discriminant = v.getBigUint64(0, true);
      if (discriminant > 1n) fail('DeserializationError');
      const b = cx.memory.bufAt(v, 8);
      if (b.len > cx.limits.maxReturnSize) throw new HostTrap(hostErrors.returnTooLarge(b.len, cx.limits.maxReturnSize));
      const bytes = cx.memory.slice(b);
      cx.effects.returns = discriminant === 0n ? { ok: bytes } : { err: bytes };
    },
    log_utf8: (ptr) => {
      pushLog(cx.memory.str(cx.memory.buffer(ptr)));
    },
    js_std_d_print: (_ctx, ptr, len) => {
      const [start, end] = cx.memory.range(ptr, len);
      pushLog(utf8Lossy.decode(cx.memory.bytes().subarray(start, end)));
      return 0;
    },
    emit: (ptr) => {
      pushEvent(ptr, null);
    },
    emit_with_handler: (ptr, handlerPtr) => {
      pushEvent(ptr, handlerPtr);
    },
    xcall: (ptr) => {
      const v = cx.memory.typed(ptr, 48);
      const ctx = cx.memory.bufAt(v, 0);
      const fn = cx.memory.bufAt(v, 16);
      const params = cx.memory.bufAt(v, 32);
      if (fn.len > cx.limits.maxXcallFunctionSize) fail('XCallFunctionSizeOverflow');
      if (params.len > cx.limits.maxXcallParamsSize) fail('XCallParamsSizeOverflow');
      if (cx.effects.xcalls.length >= cx.limits.maxXcalls) fail('XCallsOverflow');
      cx.effects.xcalls.push({ contextId: cx.memory.sized(ctx, DIGEST), function: cx.memory.str(fn), params: cx.memory.slice(params) });
    },
    commit: (rootPtr, artifactPtr) => {
      const root = cx.memory.buffer(rootPtr);
      const artifact = cx.memory.buffer(artifactPtr);
      const rootHash = cx.memory.sized(root, DIGEST);
      const bytes = cx.memory.slice(artifact);
      if (cx.effects.rootHash) fail('InvalidMemoryAccess'); // commit() once per call
      cx.effects.rootHash = rootHash;
      cx.effects.artifact = bytes;
    },
    ...unsupported(SYSTEM_UNSUPPORTED),
  };
}
