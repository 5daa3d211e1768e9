import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';

/**
 * JSON-RPC throughput of a real node (RocksDB, runtime workers) against a bare Node HTTP JSON echo on the same
 * machine, measured by the same load generator (autocannon in a child process). The echo runs in its own
 * process and is measured before and after the node, so a change of the machine's load shows in the table.
 * Rows: `execute` (what clients send) get and set with our kv-store and with upstream's kv_store (from the
 * compatibility corpus, when present), and our `query` get.
 */
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const CORPUS = process.env.CALIMERO_COMPAT_APPS ? resolve(process.env.CALIMERO_COMPAT_APPS) : resolve('../shared/compat/upstream-apps');

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, body: string): Promise<Result> {
  const args = [autocannonBin, '-c', String(CONNECTIONS), '-d', String(DURATION), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`autocannon exited ${code}`))));
  });
  const r = JSON.parse(out);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** The bare echo, in its own process: answers every POST with a small JSON-RPC result. */
const ECHO = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString());
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { output: null } }));
  });
});
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));
`;

async function startEcho(): Promise<{ url: string; stop(): void }> {
  const p = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => p.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url: `http://127.0.0.1:${port}/`, stop: () => p.kill() };
}

export default async function run(): Promise<void> {
  const echo = await startEcho();
  const n = await startInProcNode();
  const rows: Array<[string, Result]> = [];
  const row = (name: string, r: Result, base: number) =>
    `| ${name.padEnd(36)} | ${r.rps.toFixed(0).padStart(7)} | ${(r.rps / base).toFixed(3).padStart(6)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.errors).padStart(6)} |`;
  try {
    const apps: Array<[string, string, number[]]> = [['our kv-store', appPath('kv-store'), []]];
    const upstream = join(CORPUS, 'kv_store.wasm');
    if (existsSync(upstream)) apps.push(['upstream kv_store', upstream, [...Buffer.from('{}')]]);
    const bodies: Array<[string, string]> = [];
    for (const [label, path, init] of apps) {
      const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path, metadata: [] })).json.data.applicationId;
      const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: init })).json.data;
      const rpc = (method: string, fn: string, args: unknown) =>
        JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { contextId: ctx.contextId, method: fn, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
      const set = await call(n.url, 'POST', '/jsonrpc', JSON.parse(rpc('execute', 'set', { key: 'k', value: 'v' })));
      if (set.json.error) throw new Error(`${label}: set failed: ${JSON.stringify(set.json.error)}`);
      bodies.push([`execute get, ${label}`, rpc('execute', 'get', { key: 'k' })]);
      bodies.push([`execute set, ${label}`, rpc('execute', 'set', { key: 'k', value: 'v2' })]);
      if (label === 'our kv-store') bodies.push([`query get, ${label}`, rpc('query', 'get', { key: 'k' })]);
    }
    const before = await load(echo.url, bodies[0]![1]);
    for (const [name, body] of bodies) rows.push([name, await load(`${n.url}/jsonrpc`, body)]);
    const after = await load(echo.url, bodies[0]![1]);
    const base = (before.rps + after.rps) / 2;
    console.log(`\nJSON-RPC throughput (${CONNECTIONS} connections, ${DURATION} s each, autocannon in a child process; ratio to the mean of the two echo runs)`);
    console.log('| target                               |   req/s |  ratio | p50 ms | p99 ms | errors |');
    console.log('|--------------------------------------|---------|--------|--------|--------|--------|');
    console.log(row('bare echo (own process), before', before, base));
    for (const [name, r] of rows) console.log(row(name, r, base));
    console.log(row('bare echo (own process), after', after, base));
  } finally {
    await n.stop();
    echo.stop();
  }
}
