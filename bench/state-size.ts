import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { load, CONNECTIONS, DURATION, type Result } from './load.ts';

/**
 * How query/mutate throughput changes with the size of a context's state (issue #15): one context of our
 * kv-store per size, filled through JSON-RPC with kv-store's bulk `set_many` (`STATE_CHUNK` keys per call, one
 * commit each), then `query` get, `execute` get and `execute` set of one key under load (autocannon, as
 * `bench -- jsonrpc`). Sizes: `STATE_SIZES` (default 1,10000,100000).
 */
const SIZES = (process.env.STATE_SIZES ?? '1,10000,100000').split(',').map(Number);
const CHUNK = Number(process.env.STATE_CHUNK ?? 1_000);

export default async function run(): Promise<void> {
  const n = await startInProcNode();
  const rows: string[] = [];
  try {
    const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
    for (const size of SIZES) {
      const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
      const rpc = (method: string, fn: string, args: unknown) =>
        JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { contextId: ctx.contextId, method: fn, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
      const t0 = performance.now();
      let failed: string | null = null;
      for (let from = 0; from < size && !failed; from += CHUNK) {
        const keys = Array.from({ length: Math.min(CHUNK, size - from) }, (_, i) => `k${from + i}`).join(',');
        const r = await call(n.url, 'POST', '/jsonrpc', JSON.parse(rpc('execute', 'set_many', { keys, value: 'v' })));
        if (r.json?.error || r.status !== 200) failed = `filling failed at ${from} keys: ${r.status} ${r.text.slice(0, 200)}`;
      }
      const fill = (performance.now() - t0) / 1000;
      if (failed) {
        // The guest's limits (memory, time) end the fill: the row says where, and the next size is tried.
        rows.push(`| ${String(size).padStart(7)} | ${fill.toFixed(1).padStart(6)} | ${failed} |`);
        continue;
      }
      const len = (await call(n.url, 'POST', '/jsonrpc', JSON.parse(rpc('query', 'len', {})))).json.result.output;
      if (len !== size) throw new Error(`the context holds ${len} keys, not ${size}`);
      const url = `${n.url}/jsonrpc`;
      const loads: Array<[string, string]> = [
        ['query get', rpc('query', 'get', { key: 'k0' })],
        ['execute get', rpc('execute', 'get', { key: 'k0' })],
        ['execute set', rpc('execute', 'set', { key: 'k0', value: 'v2' })],
      ];
      const results: Result[] = [];
      for (const [, body] of loads) {
        await load(url, body, undefined, 1); // warm-up
        results.push(await load(url, body));
      }
      rows.push(
        `| ${String(size).padStart(7)} | ${fill.toFixed(1).padStart(6)} | ` +
          results.map((r) => `${r.rps.toFixed(0).padStart(6)} / ${String(r.p99).padStart(5)}${r.errors ? ` (${r.errors} errors)` : ''}`).join(' | ') +
          ' |',
      );
    }
  } finally {
    await n.stop();
  }
  console.log(`\nThroughput against state size (one context of our kv-store; ${CONNECTIONS} connections, ${DURATION} s per cell; req/s / p99 ms)`);
  console.log('|    keys | fill s | query get      | execute get    | execute set    |');
  console.log('|---------|--------|----------------|----------------|----------------|');
  for (const r of rows) console.log(r);
}
