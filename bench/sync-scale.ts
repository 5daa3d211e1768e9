import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { post, start, waitConverged, type Proc } from './sync.ts';

/**
 * Scale table of a shared context (issue #18): for each member count and state size, on merod processes on
 * 127.0.0.1 (kv-store):
 *   - fill: A writes the keys with `set_many` (500 keys per commit) while the other members, joined before,
 *     apply the entries; "fill keys/s" is keys over the time until every member holds A's root;
 *   - write rate: 200 sequential `set`s on A at that state size (sets/s, A's RPC answered);
 *   - entries(): one `entries` query on A (the whole-state read, ms);
 *   - join: one more node joins by invitation (from a streamed snapshot), time until it holds A's root, and its
 *     peak RSS (VmHWM) during the join.
 * Sizes are flags: BENCH_SYNC_NODES (members before the late joiner, default "2,4"; e.g. "2,4,8") and
 * BENCH_SYNC_KEYS (default "1000,10000"; e.g. "1000,10000,100000"). A step that fails (e.g. a guest memory
 * limit) is shown as failed in its cell and the row goes on where it can.
 */
const NODES = (process.env.BENCH_SYNC_NODES ?? '2,4').split(',').map(Number);
const KEYS = (process.env.BENCH_SYNC_KEYS ?? '1000,10000').split(',').map(Number);
const APP = resolve('build/apps/kv-store.wasm');
const PER_COMMIT = 500;
const WRITES = 200;

function peakRssMiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

async function rpc(p: Proc, ctx: string, method: string, args: unknown, mode = 'execute'): Promise<unknown> {
  return (await post(p.url, '/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: ctx, method, argsJson: args, executorPublicKey: p.member } })).result?.output;
}

async function invite(A: Proc, ctx: string, n: Proc): Promise<void> {
  n.member = (await post(n.url, '/admin-api/identity/context', {})).data.publicKey;
  const inv = (await post(A.url, '/admin-api/contexts/invite', { contextId: ctx, inviterId: A.member, inviteeId: n.member })).data;
  await post(n.url, '/admin-api/contexts/join', { invitationPayload: inv });
}

/** Runs `fn`, returning its duration in ms, or the reason it failed. */
async function timed(fn: () => Promise<unknown>): Promise<number | string> {
  const t = performance.now();
  try {
    await fn();
    return performance.now() - t;
  } catch (err) {
    return `failed: ${(err as Error).message.slice(0, 80)}`;
  }
}

const cell = (v: number | string, f: (x: number) => string): string => (typeof v === 'number' ? f(v) : v);

async function row(nodes: number, keys: number): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'merod-bench-scale-'));
  const procs: Proc[] = [];
  try {
    const A = await start(home, 'a', []);
    procs.push(A);
    procs.push(...(await Promise.all(Array.from({ length: nodes - 1 }, (_, i) => start(home, `m${i}`, [A.swarm])))));
    const app = (await post(A.url, '/admin-api/install-dev-application', { path: APP, metadata: [] })).data.applicationId;
    const created = (await post(A.url, '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).data;
    const ctx = created.contextId as string;
    A.member = created.memberPublicKey;
    for (const n of procs.slice(1)) await invite(A, ctx, n);
    const fill = await timed(async () => {
      for (let i = 0; i < keys; i += PER_COMMIT) {
        const batch = Array.from({ length: Math.min(PER_COMMIT, keys - i) }, (_, j) => `key-${i + j}`);
        await rpc(A, ctx, 'set_many', { keys: batch.join(','), value: 'v'.repeat(32) });
      }
      await waitConverged(procs, ctx, 1_800_000);
    });
    const writes = await timed(async () => {
      for (let i = 0; i < WRITES; i++) await rpc(A, ctx, 'set', { key: `w-${i}`, value: 'x' });
    });
    const entries = await timed(() => rpc(A, ctx, 'entries', {}, 'query'));
    const J = await start(home, 'joiner', [A.swarm]);
    procs.push(J);
    const join = await timed(async () => {
      await invite(A, ctx, J);
      await waitConverged([A, J], ctx, 1_800_000);
    });
    const rss = peakRssMiB(J.child.pid!);
    return `| ${nodes} | ${keys} | ${cell(fill, (ms) => ((keys / ms) * 1000).toFixed(0))} | ${cell(writes, (ms) => ((WRITES / ms) * 1000).toFixed(0))} | ${cell(entries, (ms) => ms.toFixed(0))} | ${cell(join, (ms) => ms.toFixed(0))} | ${rss.toFixed(0)} |`;
  } catch (err) {
    return `| ${nodes} | ${keys} | failed: ${(err as Error).message.slice(0, 120)} | | | | |`;
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  console.log('\nScale of one shared context (kv-store; merod processes on 127.0.0.1)');
  console.log('| members | keys | fill keys/s (all members at A\'s root) | sets/s at that size | entries() ms | late join ms | joiner peak RSS MiB |');
  console.log('|---------|------|-----------------------------------------|---------------------|--------------|--------------|---------------------|');
  for (const nodes of NODES) for (const keys of KEYS) console.log(await row(nodes, keys));
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
