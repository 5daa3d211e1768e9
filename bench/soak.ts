/**
 * Soak benchmark (issue #7; `npm run bench:soak`, not in CI): a real `merod run` child process under sustained
 * mixed JSON-RPC load — kv-store `get` queries and `set` mutations over a bounded key space, so the state does
 * not grow — while WebSocket and SSE subscribers receive every mutation's event. Every interval it prints
 * throughput, p99 latency, errors, the node's RSS and V8 heap (from its /metrics) and events delivered; at the
 * end, a verdict on RSS growth (a leak shows as steady growth once warm).
 *
 * Env: SOAK_MINUTES (2), SOAK_INTERVAL_S (10), SOAK_CLIENTS (16 concurrent requests), SOAK_CONTEXTS (4),
 * SOAK_WS (50) and SOAK_SSE (50) subscribers (each subscribed to every context), SOAK_MUTATE (0.2 share),
 * SOAK_KEYS (1000 keys per context), SOAK_NODE_OPTIONS (NODE_OPTIONS of the node; default
 * `--max-old-space-size=256`: with V8's default heap limit — a quarter of the machine's memory — the GC lets
 * garbage pile up for minutes, which looks like growth in a short run; a bounded heap makes the GC collect it,
 * while a real leak still grows until the node dies. `SOAK_NODE_OPTIONS=` runs with V8's default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../test/helpers/ports.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import WebSocket from 'ws';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 2);
const INTERVAL_S = Number(process.env.SOAK_INTERVAL_S ?? 10);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 16);
const CONTEXTS = Number(process.env.SOAK_CONTEXTS ?? 4);
const WS_SUBS = Number(process.env.SOAK_WS ?? 50);
const SSE_SUBS = Number(process.env.SOAK_SSE ?? 50);
const MUTATE_SHARE = Number(process.env.SOAK_MUTATE ?? 0.2);
const KEYS = Number(process.env.SOAK_KEYS ?? 1000);
const NODE_OPTIONS = process.env.SOAK_NODE_OPTIONS ?? '--max-old-space-size=256';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MEROD = join(ROOT, 'bin', 'merod.js');
const agent = new Agent({ connections: CLIENTS * 2, keepAliveTimeout: 60_000 });


async function http(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const r = await agent.request({
    origin: url,
    path,
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await r.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.statusCode, json, text };
}

function run(args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [MEROD, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`merod ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name + ' ') || line.startsWith(name + '{')) sum += Number(line.split(' ').at(-1));
  return sum;
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]! : NaN);
const median = (xs: number[]) => pct(xs, 50);
const mib = (b: number) => b / 1024 / 1024;

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'build/apps/kv-store.wasm'))) {
    const { buildApps } = await import('../apps/build.ts');
    await buildApps();
  }
  const home = mkdtempSync(join(tmpdir(), 'merod-soak-'));
  const port = await freePort();
  await run(['--home', home, '--node', 'soak', 'init', '--server-host', '127.0.0.1', '--server-port', String(port), '--swarm-port', String(await freePort())]);
  await run(['--home', home, '--node', 'soak', 'config', `server.limits.max_sse_sessions=${SSE_SUBS + 100}`]);
  const url = `http://127.0.0.1:${port}`;
  let nodeLog = '';
  const node: ChildProcess = spawn(process.execPath, [MEROD, '--home', home, '--node', 'soak', 'run'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', MEROD_MDNS: process.env.MEROD_MDNS ?? '0', NODE_OPTIONS: NODE_OPTIONS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  node.stdout!.on('data', (d) => (nodeLog += d));
  node.stderr!.on('data', (d) => (nodeLog += d));
  const cleanup = () => {
    if (node.exitCode === null) node.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    for (let i = 0; ; i++) {
      if (node.exitCode !== null) throw new Error(`merod exited:\n${nodeLog}`);
      const up = await http(url, 'GET', '/admin-api/health').then((r) => r.status === 200, () => false);
      if (up) break;
      if (i > 300) throw new Error(`merod not healthy:\n${nodeLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const app = await http(url, 'POST', '/admin-api/install-dev-application', { path: join(ROOT, 'build/apps/kv-store.wasm'), metadata: [] });
    const contexts: Array<{ contextId: string; member: string }> = [];
    for (let i = 0; i < CONTEXTS; i++) {
      const c = await http(url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app.json.data.applicationId, initializationParams: [] });
      contexts.push({ contextId: c.json.data.contextId, member: c.json.data.memberPublicKey });
    }
    const ids = contexts.map((c) => c.contextId);

    // Subscribers: every one listens to every context.
    let wsEvents = 0;
    let sseEvents = 0;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < WS_SUBS; i++) {
      const ws = new WebSocket(url.replace('http', 'ws') + '/ws');
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      ws.on('message', (d) => {
        if (String(d).includes('"StateMutation"')) wsEvents++;
      });
      ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: ids } }));
      sockets.push(ws);
    }
    const sseAgent = new Agent({ bodyTimeout: 0, connections: SSE_SUBS + 1 });
    const sseAborts: AbortController[] = [];
    for (let i = 0; i < SSE_SUBS; i++) {
      const ac = new AbortController();
      const r = await sseAgent.request({ origin: url, path: '/sse', method: 'GET', signal: ac.signal });
      const sid = String(r.headers['x-sse-session-id']);
      void (async () => {
        let carry = '';
        try {
          for await (const chunk of r.body) {
            carry += String(chunk);
            let at: number;
            while ((at = carry.indexOf('\n\n')) >= 0) {
              if (carry.slice(0, at).includes('"StateMutation"')) sseEvents++;
              carry = carry.slice(at + 2);
            }
          }
        } catch {
          /* aborted at the end */
        }
      })();
      await http(url, 'POST', '/sse/subscription', { id: sid, method: 'subscribe', params: { contextIds: ids } });
      sseAborts.push(ac);
    }

    // Load.
    let stop = false;
    let lat: number[] = [];
    let reqs = 0;
    let errors = 0;
    let mutations = 0;
    const allLat: number[] = [];
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (!stop) {
        const c = contexts[Math.floor(Math.random() * contexts.length)]!;
        const key = `k${Math.floor(Math.random() * KEYS)}`;
        const mutate = Math.random() < MUTATE_SHARE;
        const params = mutate
          ? { contextId: c.contextId, method: 'set', argsJson: { key, value: Math.random().toString(36).repeat(3) }, executorPublicKey: c.member }
          : { contextId: c.contextId, method: 'get', argsJson: { key }, executorPublicKey: c.member };
        const t0 = performance.now();
        try {
          const r = await http(url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: mutate ? 'mutate' : 'query', params });
          if (r.status !== 200 || r.json?.error) errors++;
          else if (mutate) mutations++;
        } catch {
          errors++;
        }
        const ms = performance.now() - t0;
        lat.push(ms);
        allLat.push(ms);
        reqs++;
      }
    });

    console.log(
      `\nSoak: ${MINUTES} min, ${CLIENTS} concurrent clients (${Math.round(MUTATE_SHARE * 100)}% mutate, ${KEYS} keys × ${CONTEXTS} contexts), ` +
        `${WS_SUBS} WS + ${SSE_SUBS} SSE subscribers on every context; node = merod child process (pid ${node.pid}, ` +
        `NODE_OPTIONS=${NODE_OPTIONS || '(none)'})\n`,
    );
    console.log('| elapsed | req/s | p99 ms | errors | RSS MiB | heap MiB | events delivered (WS+SSE) |');
    console.log('|--------:|------:|-------:|-------:|--------:|---------:|--------------------------:|');
    const started = performance.now();
    const rss: Array<{ t: number; rss: number }> = [];
    let lastReqs = 0;
    let lastErrors = 0;
    const end = started + MINUTES * 60_000;
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, Math.min(INTERVAL_S * 1000, end - performance.now())));
      const now = performance.now();
      const window = lat;
      lat = [];
      const m = (await http(url, 'GET', '/metrics')).text;
      const r = mib(metric(m, 'merod_process_resident_memory_bytes'));
      const heap = mib(metric(m, 'merod_nodejs_heap_size_used_bytes'));
      const elapsedS = (now - started) / 1000;
      rss.push({ t: elapsedS, rss: r });
      const rps = (reqs - lastReqs) / (window.length ? INTERVAL_S : 1);
      console.log(
        `| ${elapsedS.toFixed(0).padStart(5)} s | ${rps.toFixed(0).padStart(5)} | ${pct(window, 99).toFixed(1).padStart(6)} | ${String(errors - lastErrors).padStart(6)} | ` +
          `${r.toFixed(1).padStart(7)} | ${heap.toFixed(1).padStart(8)} | ${String(wsEvents + sseEvents).padStart(25)} |`,
      );
      lastReqs = reqs;
      lastErrors = errors;
    }
    stop = true;
    await Promise.all(clients);
    await new Promise((r) => setTimeout(r, 1000)); // let the last events arrive
    const totalS = (performance.now() - started) / 1000;

    // Verdict: compare the warm part of the run (first third dropped as warm-up) — median of its first and last
    // halves — and the least-squares slope over it.
    const warm = rss.slice(Math.floor(rss.length / 3));
    const half = Math.max(1, Math.floor(warm.length / 2));
    const early = median(warm.slice(0, half).map((s) => s.rss));
    const late = median(warm.slice(-half).map((s) => s.rss));
    const n = warm.length;
    const mt = warm.reduce((a, s) => a + s.t, 0) / n;
    const mr = warm.reduce((a, s) => a + s.rss, 0) / n;
    const slope = n > 1 ? (warm.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0) / Math.max(1e-9, warm.reduce((a, s) => a + (s.t - mt) ** 2, 0))) * 60 : 0;
    const growth = late - early;
    const tolerance = Math.max(16, early * 0.1);
    const expected = mutations * (WS_SUBS + SSE_SUBS);
    console.log(
      `\ntotal: ${reqs} requests in ${totalS.toFixed(0)} s = ${(reqs / totalS).toFixed(0)} req/s, p50 ${pct(allLat, 50).toFixed(1)} ms, ` +
        `p99 ${pct(allLat, 99).toFixed(1)} ms, ${errors} errors; ${mutations} mutations → ${wsEvents} WS + ${sseEvents} SSE events ` +
        `(${expected ? ((100 * (wsEvents + sseEvents)) / expected).toFixed(1) : '—'}% of ${expected} expected)`,
    );
    const verdict = growth <= tolerance ? 'no growth (no leak seen)' : 'GROWING — possible leak';
    console.log(
      `RSS verdict: ${verdict}: warm RSS ${early.toFixed(1)} → ${late.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB, ` +
        `tolerance ${tolerance.toFixed(1)} MiB), slope ${slope.toFixed(2)} MiB/min`,
    );

    for (const ws of sockets) ws.close();
    for (const ac of sseAborts) ac.abort();
    await sseAgent.close().catch(() => undefined);
    node.kill('SIGTERM');
    await new Promise((r) => node.once('exit', r));
    if (growth > tolerance) process.exitCode = 1;
  } finally {
    cleanup();
    await agent.close().catch(() => undefined);
  }
}

await main();
