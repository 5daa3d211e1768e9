import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { startInProcNode, appPath, call } from '../test/helpers/inproc.ts';
import { encodeId } from '../src/util/ids.ts';
import type { NodeEvent } from '../src/node/events.ts';

/**
 * Event delivery latency to many subscribers of one context: `BENCH_SUBSCRIBERS` WebSocket and as many SSE
 * subscribers (default 1,000 each), spread over `BENCH_SUBSCRIBER_PROCS` child processes (default 1;
 * bench/events-subscribers.ts), so the clients' own parsing can be taken out of what one event loop queues.
 *
 * - phase `publish`: `BENCH_EVENTS` (default 50) events published on the node's event hub, one every 100 ms;
 *   latency = hub publish → parsed by the subscriber (fan-out, serialisation, transport, client parse). The
 *   time the node spends inside `publish()` (writing the event to all 2,000 subscribers) is printed too.
 * - phase `mutate` (when the kv-store test app is built): `BENCH_MUTATIONS` (default 20) kv-store `set`
 *   calls through JSON-RPC, one every 100 ms; latency = request sent → event parsed (adds execution and
 *   commit).
 *
 * Prints p50/p99/max per phase and transport, and how many deliveries arrived out of how many expected.
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 50);
const MUTATIONS = Number(process.env.BENCH_MUTATIONS ?? 20);
const PROCS = Math.max(1, Number(process.env.BENCH_SUBSCRIBER_PROCS ?? 1));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const n = await startInProcNode({}, { config: [`server.limits.max_sse_sessions=${Math.max(10_000, SUBSCRIBERS * 2)}`] });
  try {
    const node = n.running.node;
    const kvStore = existsSync(resolve('build/apps/kv-store.wasm')) || existsSync(resolve('build/apps/kv_store.wasm'));
    let ctx = encodeId(new Uint8Array(32).fill(42));
    let member = '';
    if (kvStore) {
      const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
      const created = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
      ctx = created.contextId;
      member = created.memberPublicKey;
    }
    const started = Date.now();
    const children = Array.from({ length: PROCS }, (_, i) => {
      const share = String(Math.floor(SUBSCRIBERS / PROCS) + (i < SUBSCRIBERS % PROCS ? 1 : 0));
      const p = spawn(process.execPath, ['--import', 'tsx', 'bench/events-subscribers.ts', n.url, ctx, share, share], { stdio: ['pipe', 'pipe', 'inherit'] });
      const child = { p, out: '' };
      p.stdout.on('data', (d) => (child.out += d));
      return child;
    });
    const tell = (line: string) => children.forEach((c) => c.p.stdin.write(line + '\n'));
    while (!children.every((c) => c.out.includes('ready'))) {
      if (children.some((c) => c.p.exitCode !== null)) throw new Error('subscriber process exited');
      await sleep(50);
    }
    const setup = Date.now() - started;

    tell('phase publish');
    await sleep(200);
    const fanout: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const t = now();
      const data = [...Buffer.from(JSON.stringify({ t }))];
      const e: NodeEvent = { contextId: ctx, type: 'StateMutation', data: { newRoot: ctx, events: [{ kind: 'Bench', data, handler: null }] } };
      node.events.publish(e);
      fanout.push(now() - t);
      await sleep(100);
    }
    fanout.sort((a, b) => a - b);
    await sleep(1000);

    if (kvStore) {
      tell('phase mutate');
      await sleep(200);
      for (let i = 0; i < MUTATIONS; i++) {
        const r = await call(n.url, 'POST', '/jsonrpc', {
          jsonrpc: '2.0',
          id: i,
          method: 'execute',
          params: { contextId: ctx, method: 'set', argsJson: { key: 'k', value: String(now()) }, executorPublicKey: member },
        });
        if (r.json?.error) throw new Error(JSON.stringify(r.json.error));
        await sleep(100);
      }
      await sleep(1000);
    }
    tell('end');
    await Promise.all(children.map((c) => new Promise((r) => (c.p.exitCode !== null ? r(null) : c.p.once('exit', r)))));
    const result: Record<string, { ws: number[]; sse: number[] }> = {};
    for (const c of children) {
      const got = JSON.parse(c.out.split('\n').find((l) => l.startsWith('{'))!) as Record<string, { ws: number[]; sse: number[] }>;
      for (const [phase, r] of Object.entries(got)) {
        const into = (result[phase] ??= { ws: [], sse: [] });
        into.ws.push(...r.ws);
        into.sse.push(...r.sse);
      }
    }
    const summary = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
      return { count: s.length, p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
    };
    const rounds: Record<string, number> = { publish: EVENTS, mutate: MUTATIONS };
    console.log(`\nEvent delivery: ${SUBSCRIBERS} WS + ${SUBSCRIBERS} SSE subscribers on one context, in ${PROCS} process(es) (connect+subscribe: ${setup} ms)`);
    console.log('| source | transport | deliveries | expected | p50 ms | p99 ms | max ms |');
    console.log('|--------|-----------|------------|----------|--------|--------|--------|');
    for (const [phase, r] of Object.entries(result)) {
      for (const k of ['ws', 'sse'] as const) {
        const s = summary(r[k]);
        if (s.count === 0 && rounds[phase] === 0) continue; // a phase asked for with 0 rounds
        const cells = [phase === 'publish' ? 'hub publish' : 'JSON-RPC set', k, String(s.count), String(SUBSCRIBERS * rounds[phase]!), s.p50.toFixed(1), s.p99.toFixed(1), s.max.toFixed(1)];
        console.log(`| ${cells.join(' | ')} |`);
      }
    }
    console.log(`node time inside publish() per event (${SUBSCRIBERS * 2} subscribers): p50 ${fanout[Math.floor(fanout.length / 2)]!.toFixed(2)} ms, max ${fanout.at(-1)!.toFixed(2)} ms`);
    if (!kvStore) console.log('(kv-store test app not built: `npm run build:apps` adds the JSON-RPC phase)');
  } finally {
    await n.stop();
  }
}

export default run;
