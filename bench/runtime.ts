/**
 * Runtime bench: per-call overhead and the effect of the module cache, reported as ratios.
 *  - floor: instantiate + call in-process (same host logic, no worker, module already compiled), with a fresh
 *    instance per call and with a reused (reset) instance (src/runtime/reuse.ts);
 *  - Runtime.call with a cached module (worker round trip + instantiate + call);
 *  - Runtime.call without the cache (compile on every call);
 *  - kv-store set/get through Runtime.call (real app, storage reads served by the main thread).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApps, outDir } from '../apps/build.ts';
import { Runtime, DEFAULT_LIMITS } from '../src/runtime/index.ts';
import { execute } from '../src/runtime/exec.ts';
import { Instances } from '../src/runtime/reuse.ts';
import { VMLogic } from '../src/runtime/logic.ts';
import { compileModule } from '../src/runtime/module.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const CONTEXT = new Uint8Array(32).fill(1);
const EXECUTOR = new Uint8Array(32).fill(2);

async function timeIt(n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t0) / n) * 1000; // µs per call
}

const us = (x: number) => `${x.toFixed(1)} µs`;

export default async function bench(): Promise<void> {
  await buildApps();
  const abi = await readFile(join(outDir, 'abi.wasm'));
  const kvBytes = await readFile(join(outDir, 'kv-store.wasm'));
  const { module, exports, reset } = await compileModule(abi, DEFAULT_LIMITS.maxMemoryPages, DEFAULT_LIMITS.maxModuleSize);
  const input = enc('hello');

  const logic = new VMLogic();
  const inProcess = (instances: Instances) => () => {
    const o = execute(instances, logic, 'echo', { input, contextId: CONTEXT, executorId: EXECUTOR, limits: DEFAULT_LIMITS, host: { storageRead: () => null } });
    instances.release(o.error === null);
  };
  const floor = await timeIt(2000, inProcess(new Instances(module, exports, null, logic.env)));
  const reusing = new Instances(module, exports, reset, logic.env);
  const floorReused = await timeIt(2000, inProcess(reusing));
  if (reusing.reused === 0) throw new Error('abi.wasm instances were not reused');

  const rt = new Runtime({ workers: 1 });
  const host = { storageRead: async () => null };
  const req = (moduleId: string) => ({ moduleId, wasm: async () => abi, method: 'echo', input, contextId: CONTEXT, executorId: EXECUTOR, host });
  const cached = await timeIt(2000, () => rt.call(req('abi')));
  const uncached = await timeIt(200, async () => {
    rt.evict('abi-uncached');
    await rt.call(req('abi-uncached'));
  });

  const state = new Map<string, Uint8Array>();
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const kvHost = { storageRead: async (k: Uint8Array) => state.get(hex(k)) ?? null };
  const kv = async (method: string, args: unknown) => {
    const o = await rt.call({ moduleId: 'kv', wasm: async () => kvBytes, method, input: enc(JSON.stringify(args)), contextId: CONTEXT, executorId: EXECUTOR, host: kvHost });
    if (o.error) throw o.error;
    for (const w of o.writes.values()) w.value ? state.set(hex(w.key), w.value) : state.delete(hex(w.key));
  };
  await kv('init', {});
  const kvSet = await timeIt(1000, (i) => kv('set', { key: `k${i % 100}`, value: String(i) }));
  const kvGet = await timeIt(1000, (i) => kv('get', { key: `k${i % 100}` }));
  const kvUncached = await timeIt(100, async () => {
    rt.evict('kv');
    await kv('get', { key: 'k1' });
  });
  await rt.close();

  console.log('runtime (abi.wasm "echo", 1 worker):');
  console.log(`  instantiate + call in-process (floor)     ${us(floor)}`);
  console.log(`  reused instance + call in-process         ${us(floorReused)}   = ${(floorReused / floor).toFixed(2)}x the floor`);
  console.log(`  Runtime.call, module cached               ${us(cached)}   = ${(cached / floor).toFixed(1)}x the floor (worker round trip)`);
  console.log(`  Runtime.call, compiled on every call      ${us(uncached)}   = ${(uncached / cached).toFixed(1)}x cached (module-cache effect)`);
  console.log(`runtime (kv-store.wasm, ${kvBytes.length} bytes):`);
  console.log(`  set (storage reads via main thread)       ${us(kvSet)}`);
  console.log(`  get, module cached                        ${us(kvGet)}`);
  console.log(`  get, compiled on every call               ${us(kvUncached)}   = ${(kvUncached / kvGet).toFixed(1)}x cached (module-cache effect)`);
}
