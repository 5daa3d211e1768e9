/**
 * Guest isolation (issue #7): while clients hammer the misbehaving app with runaway calls (infinite loops,
 * memory bombs, unbounded recursion, oversize returns) — more of them at once than there are execution
 * workers — honest kv-store calls keep succeeding, with a latency bounded relative to a baseline measured in
 * the same test. Timing assertions are deliberately coarse (this is not a benchmark): every honest call must
 * complete, none may wait for a runaway call's deadline, and the median stays within a generous factor of the
 * baseline. Runaway calls get a 3 s deadline here; without isolation an honest call would queue behind them
 * for up to that long.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { startInProcNode, appPath, type InProcNode } from './helpers/inproc.ts';

const CALL_TIMEOUT_MS = 3_000;
/** How long honest clients run under attack: long enough for several rounds of runaway deadlines. */
const ATTACK_MS = 7_000;
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
let n: InProcNode;
let kv: { contextId: string; member: string };
let bad: { contextId: string; member: string };

async function post(path: string, body: unknown): Promise<any> {
  const res = await fetch(n.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
    // @ts-expect-error undici's fetch accepts a dispatcher
    dispatcher: agent,
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

async function context(wasm: string): Promise<{ contextId: string; member: string }> {
  const app = await post('/admin-api/install-dev-application', { path: appPath(wasm), metadata: [] });
  const ctx = await post('/admin-api/contexts', { protocol: 'near', applicationId: app.data.applicationId, initializationParams: [] });
  return { contextId: ctx.data.contextId, member: ctx.data.memberPublicKey };
}

function rpc(c: { contextId: string; member: string }, mode: 'query' | 'mutate', method: string, args: unknown = {}) {
  return post('/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: c.contextId, method, argsJson: args, executorPublicKey: c.member } });
}

/** One honest call (alternating mutate set / query get of the value just written); returns its latency. */
async function honest(i: number): Promise<number> {
  const t0 = performance.now();
  const key = `k${i}`;
  const set = await rpc(kv, 'mutate', 'set', { key, value: `v${i}` });
  assert.ok('result' in set, `honest set failed: ${JSON.stringify(set)}`);
  const get = await rpc(kv, 'query', 'get', { key });
  assert.equal(get.result?.output, `v${i}`, `honest get failed: ${JSON.stringify(get)}`);
  return performance.now() - t0;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

before(async () => {
  n = await startInProcNode({}, { config: [`runtime.call_timeout_ms=${CALL_TIMEOUT_MS}`, 'runtime.workers=2'] });
  kv = await context('kv-store');
  bad = await context('misbehaving');
});
after(async () => {
  await n?.stop();
  await agent.close();
});

test('honest calls keep their latency while runaway guests saturate the runtime', { timeout: 90_000 }, async (t) => {
  // Warm up (module compile, worker start), then the baseline.
  for (let i = 0; i < 10; i++) await honest(-1 - i);
  const baseline: number[] = [];
  for (let i = 0; i < 40; i++) baseline.push(await honest(1000 + i));

  // Hostile clients: twice as many concurrent runaway calls as workers, reissued as soon as they end.
  const HOSTILE = ['loop_forever', 'write_then_loop', 'grow_memory', 'grow_raw', 'recurse', 'big_return', 'huge_key', 'many_events'];
  let stop = false;
  const hostileResults = new Map<string, number>();
  const hostile = Array.from({ length: 4 }, async (_, c) => {
    for (let i = c; !stop; i++) {
      const method = HOSTILE[i % HOSTILE.length]!;
      const r = await rpc(bad, i % 2 ? 'mutate' : 'query', method);
      assert.equal(r.error?.type, 'FunctionCallError', `${method}: ${JSON.stringify(r).slice(0, 300)}`);
      hostileResults.set(method, (hostileResults.get(method) ?? 0) + 1);
    }
  });
  await new Promise((r) => setTimeout(r, 300)); // let the runaway calls occupy the pool

  // Honest load meanwhile: two clients issuing set+get pairs back to back for ATTACK_MS.
  const underAttack: number[] = [];
  const written: number[] = [];
  const until = performance.now() + ATTACK_MS;
  await Promise.all(
    [0, 1].map(async (c) => {
      for (let i = 0; performance.now() < until; i++) {
        const k = 10_000 * (c + 1) + i;
        underAttack.push(await honest(k));
        written.push(k);
      }
    }),
  );
  stop = true;
  await Promise.all(hostile);

  const b50 = pct(baseline, 50);
  const b99 = pct(baseline, 99);
  const a50 = pct(underAttack, 50);
  const a99 = pct(underAttack, 99);
  const worst = Math.max(...underAttack);
  t.diagnostic(`baseline p50 ${b50.toFixed(1)} ms p99 ${b99.toFixed(1)} ms; under attack (${underAttack.length} set+get pairs) p50 ${a50.toFixed(1)} ms p99 ${a99.toFixed(1)} ms max ${worst.toFixed(1)} ms`);
  t.diagnostic(`runaway calls ended by the runtime: ${JSON.stringify(Object.fromEntries(hostileResults))}`);

  assert.ok(underAttack.length >= 40, `only ${underAttack.length} honest calls completed in ${ATTACK_MS} ms`);
  assert.ok(hostileResults.size >= 4, 'the runaway calls really ran');
  assert.ok((hostileResults.get('loop_forever') ?? 0) + (hostileResults.get('write_then_loop') ?? 0) >= 2, 'runaway loops hit their deadline during the honest load');
  // Coarse bounds: no honest call ever queued behind a runaway call until its deadline…
  assert.ok(worst < CALL_TIMEOUT_MS, `an honest call took ${worst.toFixed(0)} ms (runaway deadline ${CALL_TIMEOUT_MS} ms)`);
  // …and the typical honest call stays near its normal latency (generous: 2 cores shared with the attack).
  assert.ok(a50 <= 10 * b50 + 25, `median ${a50.toFixed(1)} ms vs baseline ${b50.toFixed(1)} ms`);

  // The honest context's state is whole: every key written under attack is there.
  const entries = await rpc(kv, 'query', 'entries');
  for (const k of written) assert.equal(entries.result.output[`k${k}`], `v${k}`);
  // And the misbehaving context's runaway writes never landed.
  const ok = await rpc(bad, 'query', 'ok');
  assert.equal(ok.result.output, 'fine');
});
