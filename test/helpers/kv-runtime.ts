/**
 * kv-store run through the runtime alone (Runtime.call), over a committed state the test holds: a map of record
 * names to values. A call's writes are applied to the state, as the node would commit them.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { outDir } from '../../apps/build.ts';
import type { Outcome, Runtime, RuntimeHost } from '../../src/runtime/index.ts';

export type KvState = Map<string, Uint8Array>;

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A host over `state` (names as UTF-8). */
export function stateHost(state: KvState): RuntimeHost {
  return { storageRead: async (k) => state.get(dec(k)) ?? null };
}

/** Runs a kv-store method; returns its parsed JSON result and applies its writes to `state`. */
export async function runKv(
  runtime: Runtime,
  state: KvState,
  method: string,
  args: unknown,
  o: { host?: RuntimeHost; stateVersion?: number } = {},
): Promise<{ result: unknown; outcome: Outcome }> {
  const outcome = await runtime.call({
    moduleId: 'kv-store',
    wasm: () => readFile(join(outDir, 'kv-store.wasm')),
    method,
    input: enc(JSON.stringify(args)),
    contextId: new Uint8Array(32).fill(7),
    executorId: new Uint8Array(32).fill(8),
    host: o.host ?? stateHost(state),
    stateVersion: o.stateVersion,
  });
  assert.equal(outcome.error, null, outcome.error?.message);
  for (const w of outcome.writes.values()) w.value ? state.set(dec(w.key), w.value) : state.delete(dec(w.key));
  const ret = outcome.returns as { ok: Uint8Array } | null;
  return { result: ret && 'ok' in ret ? JSON.parse(dec(ret.ok)) : undefined, outcome };
}
