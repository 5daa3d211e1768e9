import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { startEcho } from './echo.ts';

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
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Contexts of the multi-context `execute set` row (one autocannon process each). */
const SET_CONTEXTS = Number(process.env.BENCH_SET_CONTEXTS ?? 4);
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const CORPUS = process.env.CALIMERO_COMPAT_APPS ? resolve(process.env.CALIMERO_COMPAT_APPS) : resolve('../shared/compat/upstream-apps');

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the serving process per request, µs. */
  cpu: number;
}

/** CPU time (user + system, µs) of a process: this one, or another by pid from /proc. */
function cpuOf(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** One autocannon child process: `connections` connections POSTing `body` for `seconds`. */
async function cannon(url: string, body: string, connections: number, seconds: number): Promise<any> {
  const args = [autocannonBin, '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`autocannon exited ${code}`))));
  });
  return JSON.parse(out);
}

/**
 * The load of one row. Several bodies (e.g. one per context) split the connections between as many autocannon
 * processes running at once; their req/s add up, p50 is the mean and p99 the worst of theirs.
 */
async function load(url: string, body: string | string[], pid?: number, seconds = DURATION): Promise<Result> {
  const bodies = typeof body === 'string' ? [body] : body;
  const cpu0 = cpuOf(pid);
  const rs = await Promise.all(bodies.map((b) => cannon(url, b, Math.max(1, Math.round(CONNECTIONS / bodies.length)), seconds)));
  const total = rs.reduce((a, r) => a + r.requests.total, 0);
  const cpu = (cpuOf(pid) - cpu0) / Math.max(1, total);
  return {
    rps: rs.reduce((a, r) => a + r.requests.average, 0),
    p50: Math.round(rs.reduce((a, r) => a + r.latency.p50, 0) / rs.length),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    errors: rs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    cpu,
  };
}

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
