/**
 * A fixed concurrent load for the CPU profiler and for quick A/B runs of the call path: one in-process node,
 * kv-store, autocannon (32 connections, in a child process) on JSON-RPC `execute` get (`PROFILE_METHOD=set` for
 * set, `PROFILE_RPC=query` for query; `PROFILE_APP=<path of a .wasm>` for another kv-store build, e.g. upstream's
 * kv_store from the compatibility corpus) for 2 s of warm-up, then 8 s measured; prints req/s, latency and the CPU
 * time of this process per request. Under the profiler, one .cpuprofile per thread:
 *   MEROD_MDNS=0 node --cpu-prof --cpu-prof-dir=prof --import tsx bench/profile-load.ts
 * (docs/performance.md). bench/profile.ts is the sequential (one client) counterpart.
 */
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { load } from './load.ts';
const METHOD = process.env.PROFILE_METHOD ?? 'get';
const RPC = process.env.PROFILE_RPC ?? 'execute';
const n = await startInProcNode({}, process.env.PROFILE_WORKERS ? { config: [`runtime.workers=${process.env.PROFILE_WORKERS}`] } : {});
const APP = process.env.PROFILE_APP || undefined;
const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: APP ?? appPath('kv-store'), metadata: [] })).json.data.applicationId;
const init = APP ? [...Buffer.from('{}')] : [];
const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: init })).json.data;
const rpc = (method: string, fn: string, args: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { contextId: ctx.contextId, method: fn, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
// PROFILE_WRITES_FIRST=n: n sets before the load (a node whose first calls were writes).
for (let i = 0; i < Math.max(1, Number(process.env.PROFILE_WRITES_FIRST ?? 1)); i++) await call(n.url, 'POST', '/jsonrpc', JSON.parse(rpc('execute', 'set', { key: 'k', value: 'v' })));
const body = METHOD === 'set' ? rpc(RPC, 'set', { key: 'k', value: 'v2' }) : rpc(RPC, 'get', { key: 'k' });
await load(`${n.url}/jsonrpc`, body, undefined, 2);
const r = await load(`${n.url}/jsonrpc`, body, undefined, 8);
console.log(JSON.stringify(r));
await n.stop();
process.exit(0);
