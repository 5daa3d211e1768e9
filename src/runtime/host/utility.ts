/**
 * Utility host functions (upstream host_functions/utility.rs): randomness, the clock, ed25519 signature checks,
 * and `fetch`, which upstream 0.10.0 ships disabled.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fail } from '../errors.ts';
import type { CallContext, HostFunctions } from './call.ts';

const FETCH_DISABLED = new TextEncoder().encode("Host function 'fetch' is temporarily disabled.");

export function utility(cx: CallContext): HostFunctions {
  return {
    fetch: (_url, _method, _headers, _body, reg) => {
      // Upstream 0.10.0 answers every fetch with this message and status 1.
      cx.registers.set(reg, FETCH_DISABLED.slice());
      return 1;
    },
    random_bytes: (ptr) => {
      const dest = cx.memory.view(cx.memory.buffer(ptr));
      for (let off = 0; off < dest.length; off += 65536) crypto.getRandomValues(dest.subarray(off, off + 65536) as Uint8Array<ArrayBuffer>);
    },
    time_now: (ptr) => {
      const b = cx.memory.buffer(ptr);
      if (b.len !== 8) fail('InvalidMemoryAccess');
      const nanos = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
      const dest = cx.memory.view(b);
      new DataView(dest.buffer, dest.byteOffset, 8).setBigUint64(0, nanos, true);
    },
    ed25519_verify: (sigPtr, pkPtr, msgPtr) => {
      const sigBuf = cx.memory.buffer(sigPtr);
      const pkBuf = cx.memory.buffer(pkPtr);
      const msgBuf = cx.memory.buffer(msgPtr);
      const signature = cx.memory.sized(sigBuf, 64);
      const publicKey = cx.memory.sized(pkBuf, 32);
      const message = cx.memory.slice(msgBuf);
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
  };
}
