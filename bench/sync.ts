import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../test/helpers/ports.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Sync across 3 merod processes on 127.0.0.1 (kv-store app): A creates a context, B and C join, then
 *  1. propagation latency of one delta (A's RPC answered → B and C at A's root), 20 samples;
 *  2. one writer: N `set`s on A, time until all three nodes hold the same root;
 *  3. three writers: N/3 `set`s on each node concurrently, time until all converge;
 *  4. late joiners on the resulting history (~2N entries): D from a snapshot (the default), E by replaying the
 *     DAG (`sync.snapshot_join=false`); time from the join request to A's root on the joiner.
 * Throughput = deltas / (first send → convergence).
 */
const N = Number(process.env.BENCH_SYNC_DELTAS ?? 600);
const BIN = resolve('bin/merod.js');
const APP = resolve('build/apps/kv-store.wasm');


export interface Proc {
  url: string;
  swarm: string;
  child: ChildProcess;
  member: string;
}

export async function start(home: string, name: string, boot: string[], config: string[] = [], nodeArgs: string[] = []): Promise<Proc> {
  const port = await freePort();
  const swarmPort = await freePort();
  const init = spawn(process.execPath, [BIN, '--home', home, '--node', name, 'init', '--no-mdns', '--server-host', '127.0.0.1', '--server-port', String(port), '--swarm-port', String(swarmPort), ...(boot.length ? ['--boot-nodes', ...boot] : [])], { stdio: 'ignore' });
  await new Promise((r) => init.once('exit', r));
  if (config.length > 0) {
    const edit = spawn(process.execPath, [BIN, '--home', home, '--node', name, 'config', ...config], { stdio: 'ignore' });
    await new Promise((r) => edit.once('exit', r));
  }
  const child = spawn(process.execPath, [...nodeArgs, BIN, '--home', home, '--node', name, 'run'], { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url + '/admin-api/health')).ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const peer = /peer_id = "([^"]+)"/.exec(readFileSync(join(home, name, 'config.toml'), 'utf8'))![1]!;
  return { url, child, swarm: `/ip4/127.0.0.1/tcp/${swarmPort}/p2p/${peer}`, member: '' };
}

export async function post(url: string, path: string, body: unknown): Promise<any> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = (await r.json()) as any;
  if (!r.ok || j?.error) throw new Error(`${path}: ${JSON.stringify(j)}`);
  return j;
}

export async function root(p: Proc, ctx: string): Promise<string> {
  const r = (await (await fetch(`${p.url}/admin-api/contexts/${ctx}`)).json()) as any;
  return r.data.rootHash;
}

async function allSame(nodes: Proc[], ctx: string): Promise<boolean> {
  const roots = await Promise.all(nodes.map((n) => root(n, ctx)));
  return roots.every((r) => r === roots[0]);
}

export async function waitConverged(nodes: Proc[], ctx: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await allSame(nodes, ctx))) {
    if (Date.now() > end) throw new Error('no convergence');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export default async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'merod-bench-sync-'));
  const procs: Proc[] = [];
  try {
    const A = await start(home, 'a', []);
    procs.push(A);
    procs.push(...(await Promise.all([start(home, 'b', [A.swarm]), start(home, 'c', [A.swarm])])));
    const [, B, C] = procs as [Proc, Proc, Proc];
    const app = (await post(A.url, '/admin-api/install-dev-application', { path: APP, metadata: [] })).data.applicationId;
    const created = (await post(A.url, '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).data;
    const ctx = created.contextId as string;
    A.member = created.memberPublicKey;
    const joinStart = performance.now();
    for (const n of [B, C]) {
      n.member = (await post(n.url, '/admin-api/identity/context', {})).data.publicKey;
      const inv = (await post(A.url, '/admin-api/contexts/invite', { contextId: ctx, inviterId: A.member, inviteeId: n.member })).data;
      await post(n.url, '/admin-api/contexts/join', { invitationPayload: inv });
    }
    const joinMs = performance.now() - joinStart;
    const set = (n: Proc, key: string, value: string) =>
      post(n.url, '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: ctx, method: 'set', argsJson: { key, value }, executorPublicKey: n.member } });

    // 1. One delta's propagation latency.
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      await set(A, `lat-${i}`, 'x');
      const t = performance.now();
      await waitConverged(procs, ctx);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);

    // 2. One writer, N deltas.
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await set(A, `one-${i}`, String(i));
    const authorMs1 = performance.now() - t0;
    await waitConverged(procs, ctx);
    const total1 = performance.now() - t0;

    // 3. Three writers, N deltas in all, concurrently.
    t0 = performance.now();
    await Promise.all(procs.map(async (n, w) => {
      for (let i = 0; i < Math.floor(N / 3); i++) await set(n, `multi-${w}-${i}`, String(i));
    }));
    const authorMs3 = performance.now() - t0;
    await waitConverged(procs, ctx);
    const total3 = performance.now() - t0;
    const n3 = Math.floor(N / 3) * 3;

    // 4. Late joiners: snapshot vs replay of the whole DAG.
    const joiners: Record<string, number> = {};
    for (const [name, config] of [['d', []], ['e', ['sync.snapshot_join=false']]] as const) {
      const J = await start(home, name, [A.swarm], [...config]);
      procs.push(J);
      J.member = (await post(J.url, '/admin-api/identity/context', {})).data.publicKey;
      const inv = (await post(A.url, '/admin-api/contexts/invite', { contextId: ctx, inviterId: A.member, inviteeId: J.member })).data;
      const t = performance.now();
      await post(J.url, '/admin-api/contexts/join', { invitationPayload: inv });
      await waitConverged([A, J], ctx, 600_000);
      joiners[name] = performance.now() - t;
    }

    console.log(`\nSync across 3 merod processes on 127.0.0.1 (kv-store; B and C joined in ${joinMs.toFixed(0)} ms)`);
    console.log('| scenario | deltas | authoring ms | convergence ms (first send → same root on 3 nodes) | deltas/s |');
    console.log('|----------|--------|--------------|-----------------------------------------------------|----------|');
    console.log(`| one delta, A → B,C (p50 / p99 of 20, after A's RPC answered) | 1 | – | ${lat[9]!.toFixed(1)} / ${lat[19]!.toFixed(1)} | – |`);
    console.log(`| one writer (A) | ${N} | ${authorMs1.toFixed(0)} | ${total1.toFixed(0)} (tail ${(total1 - authorMs1).toFixed(0)} after the last RPC) | ${((N / total1) * 1000).toFixed(0)} |`);
    console.log(`| three writers, concurrent | ${n3} | ${authorMs3.toFixed(0)} | ${total3.toFixed(0)} (tail ${(total3 - authorMs3).toFixed(0)}) | ${((n3 / total3) * 1000).toFixed(0)} |`);
    const entries = 20 + N + n3 + 6; // sets + genesis and membership entries, roughly
    console.log(`\nLate join on a history of ~${entries} entries (join request → joiner at A's root)`);
    console.log('| joiner | ms |');
    console.log('|--------|----|');
    console.log(`| D: snapshot (default) | ${joiners.d!.toFixed(0)} |`);
    console.log(`| E: replay of the DAG (sync.snapshot_join=false) | ${joiners.e!.toFixed(0)} |`);
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
