/**
 * Storage host functions (upstream host_functions/storage.rs): the context's state and the node-local private
 * storage. The runtime never writes a store: writes go to the call's write-sets, which reads see first; the
 * node commits them (mutation) or drops them (query).
 */
import { fail } from '../errors.ts';
import type { Write } from '../outcome.ts';
import type { ReadAhead } from '../read-cache.ts';
import { hex, serviceNames, type Buf, type CallContext, type HostFunctions, type Synced } from './call.ts';

/** The node services storage needs (main thread, async). */
export interface StorageServices {
  /** Committed state of the context (the call's own writes are layered on top by the runtime). */
  storageRead(key: Uint8Array): Promise<Uint8Array | null>;
  /** Node-local private storage; without it private_storage_* behave as upstream without private storage (0). */
  privateStorageRead?(key: Uint8Array): Promise<Uint8Array | null>;
  /**
   * Committed state from `key` on: its value and up to `limit` following entries, with the version they were
   * read at (read-cache.ts). Optional: without it the worker reads key by key.
   */
  storageReadAhead?(key: Uint8Array, limit: number): Promise<ReadAhead>;
}

export const STORAGE_SERVICES = serviceNames<StorageServices>({
  storageRead: 'storageRead',
  privateStorageRead: 'privateStorageRead',
  storageReadAhead: 'storageReadAhead',
});

export function storage(cx: CallContext<Synced<StorageServices>>): HostFunctions {
  const checkKey = (b: Buf): void => {
    if (b.len > cx.limits.maxStorageKeySize) fail('KeyLengthOverflow');
  };

  /** A key's value as this call sees it: its own last write, else what `read` answers. */
  const current = (writes: Map<string, Write>, read: (key: Uint8Array) => Uint8Array | null, key: Uint8Array): Uint8Array | null => {
    const w = writes.get(hex(key));
    if (w) return w.value;
    return read(key);
  };
  const privateValue = (key: Uint8Array) => current(cx.effects.privateWrites, (k) => cx.host.privateStorageRead!(k), key);
  const stateValue = (key: Uint8Array) => current(cx.effects.writes, (k) => cx.host.storageRead(k), key);

  /** The key and value descriptors of a write, checked against the limits, as bytes. */
  const keyValue = (keyPtr: bigint, valuePtr: bigint): [Uint8Array, Uint8Array] => {
    const k = cx.memory.buffer(keyPtr);
    const val = cx.memory.buffer(valuePtr);
    checkKey(k);
    if (val.len > cx.limits.maxStorageValueSize) fail('ValueLengthOverflow');
    return [cx.memory.slice(k), cx.memory.slice(val)];
  };

  const keyAt = (keyPtr: bigint): Uint8Array => {
    const k = cx.memory.buffer(keyPtr);
    checkKey(k);
    return cx.memory.slice(k);
  };

  /** Puts a value (if any) into a register: 1 when there was one, else 0. */
  const answer = (reg: bigint, value: Uint8Array | null): number => {
    if (!value) return 0;
    cx.registers.set(reg, value);
    return 1;
  };

  return {
    storage_read: (keyPtr, reg) => answer(reg, stateValue(keyAt(keyPtr))),
    storage_remove: (keyPtr, reg) => {
      const key = keyAt(keyPtr);
      const value = stateValue(key);
      if (!value) return 0;
      cx.effects.writes.set(hex(key), { key, value: null });
      return answer(reg, value);
    },
    storage_write: (keyPtr, valuePtr, reg) => {
      const [key, value] = keyValue(keyPtr, valuePtr);
      const evicted = stateValue(key);
      cx.effects.writes.set(hex(key), { key, value });
      return answer(reg, evicted);
    },
    private_storage_read: (keyPtr, reg) => {
      const key = keyAt(keyPtr);
      return cx.host.privateStorageRead ? answer(reg, privateValue(key)) : 0;
    },
    private_storage_remove: (keyPtr, reg) => {
      const key = keyAt(keyPtr);
      if (!cx.host.privateStorageRead) return 0;
      const value = privateValue(key);
      if (!value) return 0;
      cx.effects.privateWrites.set(hex(key), { key, value: null });
      return answer(reg, value);
    },
    private_storage_write: (keyPtr, valuePtr) => {
      const [key, value] = keyValue(keyPtr, valuePtr);
      if (!cx.host.privateStorageRead) return 0;
      cx.effects.privateWrites.set(hex(key), { key, value });
      return 1;
    },
  };
}
