/**
 * State size (issue #18, items 2 and 4): how a kv-store context behaves as it grows. One in-process node
 * (RocksDB, runtime workers, JSON-RPC over HTTP); the context is filled with `set_many` (one commit per batch),
 * and at each size (1k / 10k / 100k keys, `BENCH_STATE_SIZES` to change) it prints:
 *  - set rate: sequential `execute` `set` of new keys (one client), sets per second;
 *  - entries(): one `query` of the whole state, its time and whether it answered every key (or its error).
 * `npm run bench -- large-state`.
 */
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';

const SIZES = (process.env.BENCH_STATE_SIZES ?? '1000,10000,100000').split(',').map(Number);
const SETS = Number(process.env.BENCH_STATE_SETS ?? 100);
const BATCH = Number(process.env.BENCH_STATE_BATCH ?? 200);

export default async function bench(): Promise<void> {
  const n = await startInProcNode();
  try {
    const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
    const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
    const rpc = async (method: string, args: unknown, mode = 'execute') => {
      const r = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: c.contextId, method, argsJson: args, executorPublicKey: c.memberPublicKey } });
      if (r.json?.error) throw new Error(`${method}: ${JSON.stringify(r.json.error).slice(0, 300)}`);
      return r.json.result.output;
    };
    const key = (i: number) => `key-${String(i).padStart(7, '0')}`;
    let filled = 0;
    let batch = BATCH;
    console.log(`large state (kv-store, one in-process node; ${SETS} sequential sets per row):`);
    console.log('  keys      fill (set_many)   set rate        entries() (query)');
    for (const size of SIZES) {
      const f0 = performance.now();
      while (filled < size) {
        const upto = Math.min(size, filled + batch);
        const keys = Array.from({ length: upto - filled }, (_, i) => key(filled + i));
        try {
          await rpc('set_many', { keys: keys.join(','), value: 'v' });
        } catch (err) {
          // The guest has no garbage collector: a batch too big for its memory (or budget) is retried smaller.
          if (batch <= 1 || !/memory limit|timed out/.test((err as Error).message)) throw err;
          batch = Math.ceil(batch / 2);
          continue;
        }
        filled = upto;
      }
      const fill = performance.now() - f0;
      const t0 = performance.now();
      for (let i = 0; i < SETS; i++) await rpc('set', { key: `new-${size}-${i}`, value: 'x' });
      const rate = SETS / ((performance.now() - t0) / 1000);
      const e0 = performance.now();
      let entries: string;
      try {
        const all = (await rpc('entries', {}, 'query')) as Record<string, string>;
        const count = Object.keys(all).length;
        entries = `${(performance.now() - e0).toFixed(0)} ms (${count} keys)`;
      } catch (err) {
        entries = `failed after ${(performance.now() - e0).toFixed(0)} ms: ${(err as Error).message.slice(0, 120)}`;
      }
      console.log(`  ${String(size).padEnd(9)} ${(fill / 1000).toFixed(1).padStart(6)} s        ${rate.toFixed(0).padStart(5)} sets/s    ${entries}`);
    }
  } finally {
    await n.stop();
  }
}
