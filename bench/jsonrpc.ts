import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';

/**
 * JSON-RPC throughput of a real node (kv-store app, RocksDB, runtime workers) against a bare Node HTTP JSON
 * echo on the same machine, measured by the same load generator (autocannon in a child process).
 */
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
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
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

export default async function run(): Promise<void> {
  const echo = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { output: null } }));
    });
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoUrl = `http://127.0.0.1:${(echo.address() as { port: number }).port}/`;

  const n = await startInProcNode();
  try {
    const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
    const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
    const params = (method: string, args: unknown) => ({ contextId: ctx.contextId, method, argsJson: args, executorPublicKey: ctx.memberPublicKey });
    await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'mutate', params: params('set', { key: 'k', value: 'v' }) });
    const queryBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'query', params: params('get', { key: 'k' }) });
    const mutateBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mutate', params: params('set', { key: 'k', value: 'v2' }) });

    const base = await load(echoUrl, queryBody);
    const query = await load(`${n.url}/jsonrpc`, queryBody);
    const mutate = await load(`${n.url}/jsonrpc`, mutateBody);
    const row = (name: string, r: Result) =>
      `| ${name.padEnd(28)} | ${r.rps.toFixed(0).padStart(8)} | ${(r.rps / base.rps).toFixed(3).padStart(6)} | ${String(r.p50).padStart(5)} | ${String(r.p99).padStart(5)} | ${r.errors + r.non2xx} |`;
    console.log(`\nJSON-RPC throughput (${CONNECTIONS} connections, ${DURATION} s each, autocannon in a child process)`);
    console.log('| target                       |    req/s |  ratio | p50 ms | p99 ms | errors |');
    console.log('|------------------------------|----------|--------|-------|-------|--------|');
    console.log(row('bare Node HTTP JSON echo', base));
    console.log(row('node: query kv-store get', query));
    console.log(row('node: mutate kv-store set', mutate));
  } finally {
    await n.stop();
    echo.close();
  }
}
