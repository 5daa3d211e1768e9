import { spawn } from 'node:child_process';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';

/**
 * Event delivery latency to many subscribers: a child process holds N WebSocket and N SSE subscriptions to
 * one context; the bench sends kv-store `set` mutations whose value is the send time; the child measures,
 * per subscriber and event, send → receipt (execution + commit + fan-out + transport).
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);

export default async function run(): Promise<void> {
  const n = await startInProcNode({}, { config: [`server.limits.max_sse_sessions=${SUBSCRIBERS * 2}`] });
  try {
    const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
    const ctx = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/events-subscribers.ts', n.url, ctx.contextId, String(SUBSCRIBERS), String(SUBSCRIBERS)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const started = Date.now();
    while (!out.includes('ready')) {
      if (child.exitCode !== null) throw new Error('subscriber process exited');
      await new Promise((r) => setTimeout(r, 50));
    }
    const setup = Date.now() - started;
    for (let i = 0; i < EVENTS; i++) {
      const t = performance.timeOrigin + performance.now();
      const r = await call(n.url, 'POST', '/jsonrpc', {
        jsonrpc: '2.0',
        id: i,
        method: 'mutate',
        params: { contextId: ctx.contextId, method: 'set', argsJson: { key: 'k', value: String(t) }, executorPublicKey: ctx.memberPublicKey },
      });
      if (r.json.error) throw new Error(JSON.stringify(r.json.error));
      await new Promise((res) => setTimeout(res, 100));
    }
    await new Promise((r) => setTimeout(r, 1000));
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    type Summary = { count: number; p50: number; p99: number; max: number };
    const lat = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { ws: Summary; sse: Summary };
    console.log(`\nEvent delivery: ${SUBSCRIBERS} WS + ${SUBSCRIBERS} SSE subscribers on one context, ${EVENTS} mutations (connect+subscribe took ${setup} ms)`);
    console.log('| transport | deliveries | expected | p50 ms | p99 ms | max ms |');
    console.log('|-----------|------------|----------|--------|--------|--------|');
    for (const k of ['ws', 'sse'] as const) {
      const r = lat[k];
      console.log(`| ${k.padEnd(9)} | ${String(r.count).padStart(10)} | ${String(SUBSCRIBERS * EVENTS).padStart(8)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.max.toFixed(1).padStart(6)} |`);
    }
  } finally {
    await n.stop();
  }
}
