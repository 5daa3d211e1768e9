import { Agent, request } from 'node:http';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { Batch } from '../src/store/store.ts';
import { decodeId } from '../src/util/ids.ts';
import { contextKey } from '../src/node/contexts.ts';
import { startEcho } from './echo.ts';

/**
 * The per-call budget of one JSON-RPC `execute` (docs/performance.md): one client, one call at a time, the
 * median latency of a ladder of calls that each add one stage of the path to the one before. Differences
 * between rungs are the cost of a stage. In-process rungs call the node's objects directly (no HTTP).
 */
const N = Number(process.env.BUDGET_CALLS ?? 300);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request(
      { agent, host: u.hostname, port: u.port, path: u.pathname, method: body === null ? 'GET' : 'POST', headers: body === null ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** Median and p90 in microseconds of `n` sequential runs of `fn` (after a warm-up of n/10). */
async function time(fn: () => Promise<unknown>, n = N): Promise<{ p50: number; p90: number }> {
  for (let i = 0; i < Math.max(5, n / 10); i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    t.push((performance.now() - s) * 1000);
  }
  t.sort((a, b) => a - b);
  return { p50: t[Math.floor(n / 2)]!, p90: t[Math.floor(n * 0.9)]! };
}

export default async function run(): Promise<void> {
  const echo = await startEcho();
  const n = await startInProcNode();
  try {
    const node = n.running.node;
    const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
    const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
    const rpc = (method: string, args: unknown, contextId = ctx.contextId) =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId, method, argsJson: args, executorPublicKey: ctx.memberPublicKey } });
    await post(`${n.url}/jsonrpc`, rpc('set', { key: 'k', value: 'v' }));
    const contextId = decodeId(ctx.contextId);
    const executor = decodeId(ctx.memberPublicKey);
    const input = (args: unknown) => new TextEncoder().encode(JSON.stringify(args));
    const direct = (method: string, args: unknown) => () => node.execution.execute({ contextId, method, input: input(args), executor, mode: 'mutate' });
    const getOnce = direct('get', { key: 'k' });

    const rows: Array<[string, { p50: number; p90: number }]> = [];
    rows.push(['bare echo (own process), HTTP round trip', await time(() => post(echo.url, rpc('get', { key: 'k' })))]);
    rows.push(['node: GET /admin-api/health', await time(() => post(`${n.url}/admin-api/health`, null))]);
    rows.push(['node: execute, unknown context (parse, validate, auth, meta read)', await time(() => post(`${n.url}/jsonrpc`, rpc('get', { key: 'k' }, '11111111111111111111111111111111')))]);
    rows.push(['node: execute get, over HTTP', await time(() => post(`${n.url}/jsonrpc`, rpc('get', { key: 'k' })))]);
    // A second client writes the same context meanwhile: does a read wait for the writer's lock and fsync?
    const writer = new Agent({ keepAlive: true, maxSockets: 1 });
    let writing = true;
    const writes = (async () => {
      for (let w = 0; writing; w++) {
        await new Promise<void>((resolve) => {
          const body = rpc('set', { key: 'other', value: String(w) });
          const u = new URL(`${n.url}/jsonrpc`);
          request({ agent: writer, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          }).end(body);
        });
      }
    })();
    rows.push(['node: execute get, over HTTP, while another client sets', await time(() => post(`${n.url}/jsonrpc`, rpc('get', { key: 'k' })), N / 3)]);
    writing = false;
    await writes;
    writer.destroy();
    rows.push(['in process: Execution.execute get (no HTTP)', await time(getOnce)]);
    const inRuntime: number[] = [];
    for (let i = 0; i < N; i++) inRuntime.push((await getOnce()).outcome.durationMs * 1000);
    inRuntime.sort((a, b) => a - b);
    rows.push(['in process: runtime part of a get (Outcome.durationMs)', { p50: inRuntime[N >> 1]!, p90: inRuntime[Math.floor(N * 0.9)]! }]);
    rows.push(['in process: one store read (state key)', await time(() => node.store.get('state', contextKey(contextId, new Uint8Array([1, 2, 3]))))]);
    rows.push(['in process: context meta + identity reads', await time(async () => (await node.contexts.meta(contextId), await node.contexts.identity(contextId, executor)))]);
    let i = 0;
    rows.push(['in process: commit of one small batch, fsync per the config', await time(() => node.store.commit(new Batch().put('generic', Buffer.from('budget-probe'), String(i++))))]);
    rows.push(['in process: commit of one small batch, no fsync', await time(() => node.store.commit(new Batch().put('generic', Buffer.from('budget-probe'), String(i++)), { sync: false }))]);
    rows.push(['in process: Execution.execute set (no HTTP)', await time(direct('set', { key: 'k', value: 'v2' }), N / 3)]);
    rows.push(['node: execute set, over HTTP', await time(() => post(`${n.url}/jsonrpc`, rpc('set', { key: 'k', value: 'v3' })), N / 3)]);
    console.log(`\nPer-call budget: one client, sequential calls, median and p90 in µs (${N} calls per row; set rows ${N / 3})`);
    console.log('| rung                                                              |    p50 µs |    p90 µs |');
    console.log('|-------------------------------------------------------------------|-----------|-----------|');
    for (const [name, r] of rows) console.log(`| ${name.padEnd(65)} | ${r.p50.toFixed(0).padStart(9)} | ${r.p90.toFixed(0).padStart(9)} |`);
  } finally {
    await n.stop();
    echo.stop();
    agent.destroy();
  }
}
