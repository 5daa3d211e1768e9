import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { startEcho } from './echo.ts';
import { CONNECTIONS, DURATION, load, type Result } from './load.ts';

/**
 * JSON-RPC throughput of a real node (RocksDB, runtime workers) against a bare Node HTTP JSON echo on the same
 * machine, measured by the same load generator (autocannon in a child process). The echo runs in its own
 * process and is measured before and after the node, so a change of the machine's load shows in the table.
 * Rows: `execute` (what clients send) get and set with our kv-store and with upstream's kv_store (from the
 * compatibility corpus, when present), and our `query` get.
 *
 * On a machine shared with other work, req/s follows the load of the moment; the CPU time the serving process
 * spent per request (all its threads, user + system) hardly does, so it is printed too, with its ratio to the
 * echo's (Linux: the echo's CPU time is read from /proc).
 */
/** Contexts of the multi-context `execute set` row (one autocannon process each). */
const SET_CONTEXTS = Number(process.env.BENCH_SET_CONTEXTS ?? 4);
const CORPUS = process.env.CALIMERO_COMPAT_APPS ? resolve(process.env.CALIMERO_COMPAT_APPS) : resolve('../shared/compat/upstream-apps');

export default async function run(): Promise<void> {
  const echo = await startEcho();
  const n = await startInProcNode();
  const rows: Array<[string, Result]> = [];
  const row = (name: string, r: Result, base: Result) =>
    `| ${name.padEnd(40)} | ${r.rps.toFixed(0).padStart(7)} | ${(r.rps / base.rps).toFixed(3).padStart(6)} | ${r.cpu.toFixed(0).padStart(7)} | ${(base.cpu / r.cpu).toFixed(3).padStart(6)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.errors).padStart(6)} |`;
  try {
    const apps: Array<[string, string, number[]]> = [['our kv-store', appPath('kv-store'), []]];
    const upstream = join(CORPUS, 'kv_store.wasm');
    if (existsSync(upstream)) apps.push(['upstream kv_store', upstream, [...Buffer.from('{}')]]);
    const bodies: Array<[string, string | string[]]> = [];
    for (const [label, path, init] of apps) {
      const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path, metadata: [] })).json.data.applicationId;
      const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: init })).json.data;
      const rpc = (method: string, fn: string, args: unknown) =>
        JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { contextId: ctx.contextId, method: fn, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
      const set = await call(n.url, 'POST', '/jsonrpc', JSON.parse(rpc('execute', 'set', { key: 'k', value: 'v' })));
      if (set.json.error) throw new Error(`${label}: set failed: ${JSON.stringify(set.json.error)}`);
      bodies.push([`execute get, ${label}`, rpc('execute', 'get', { key: 'k' })]);
      bodies.push([`execute set, ${label}`, rpc('execute', 'set', { key: 'k', value: 'v2' })]);
      if (label === 'our kv-store') {
        bodies.push([`query get, ${label}`, rpc('query', 'get', { key: 'k' })]);
        // Durable writes of several contexts at once: what group commit (one WAL fsync for all) is about.
        const sets: string[] = [];
        for (let i = 0; i < SET_CONTEXTS; i++) {
          const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: init })).json.data;
          sets.push(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: c.contextId, method: 'set', argsJson: { key: 'k', value: 'v' }, executorPublicKey: c.memberPublicKey } }));
        }
        bodies.push([`execute set, ${label}, ${SET_CONTEXTS} contexts`, sets]);
      }
    }
    // Warm-up: 1 s of each row first, so no row pays for the first calls after start-up (JIT, lazy loading).
    for (const [, body] of bodies) await load(`${n.url}/jsonrpc`, body, undefined, 1);
    const echoBody = bodies[0]![1] as string;
    const before = await load(echo.url, echoBody, echo.pid);
    for (const [name, body] of bodies) rows.push([name, await load(`${n.url}/jsonrpc`, body)]);
    const after = await load(echo.url, echoBody, echo.pid);
    const base = { ...before, rps: (before.rps + after.rps) / 2, cpu: (before.cpu + after.cpu) / 2 };
    console.log(`\nJSON-RPC throughput (${CONNECTIONS} connections, ${DURATION} s each, autocannon in a child process; ratios to the mean of the two echo runs)`);
    console.log('| target                                   |   req/s |  ratio |  CPU µs |  ratio | p50 ms | p99 ms | errors |');
    console.log('|------------------------------------------|---------|--------|---------|--------|--------|--------|--------|');
    console.log(row('bare echo (own process), before', before, base));
    for (const [name, r] of rows) console.log(row(name, r, base));
    console.log(row('bare echo (own process), after', after, base));
  } finally {
    await n.stop();
    echo.stop();
  }
}
