import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuOf } from './load.ts';
import { post, start, waitConverged, type Proc } from './sync.ts';

/**
 * CPU a member spends applying a peer's entries (issue #18 item 5): A writes N `set`s (kv-store), B applies
 * them; B's CPU time (user + system, /proc/<pid>/stat) over that window divided by N. `APPLY_CPU_PROFILE=dir`
 * starts B under `--cpu-prof` (its profile is written to `dir` when B exits).
 *   MEROD_MDNS=0 npx tsx bench/apply-cpu.ts   (APPLY_CPU_ENTRIES, default 300)
 */
const N = Number(process.env.APPLY_CPU_ENTRIES ?? 300);
const APP = 'build/apps/kv-store.wasm';

/** CPU time of a process in ms (user + system, from /proc). */
const cpuMs = (pid: number) => cpuOf(pid) / 1000;

export default async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'merod-bench-apply-'));
  const procs: Proc[] = [];
  try {
    const A = await start(home, 'a', []);
    procs.push(A);
    const prof = process.env.APPLY_CPU_PROFILE;
    const B = await start(home, 'b', [A.swarm], [], prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []);
    procs.push(B);
    const app = (await post(A.url, '/admin-api/install-dev-application', { path: APP, metadata: [] })).data.applicationId;
    const created = (await post(A.url, '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).data;
    const ctx = created.contextId as string;
    A.member = created.memberPublicKey;
    B.member = (await post(B.url, '/admin-api/identity/context', {})).data.publicKey;
    const inv = (await post(A.url, '/admin-api/contexts/invite', { contextId: ctx, inviterId: A.member, inviteeId: B.member })).data;
    await post(B.url, '/admin-api/contexts/join', { invitationPayload: inv });
    await waitConverged(procs, ctx);
    const set = (i: number) => post(A.url, '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: ctx, method: 'set', argsJson: { key: `k-${i}`, value: String(i) }, executorPublicKey: A.member } });
    for (let i = 0; i < 20; i++) await set(-1 - i); // warm-up
    await waitConverged(procs, ctx);
    const b0 = cpuMs(B.child.pid!);
    const a0 = cpuMs(A.child.pid!);
    for (let i = 0; i < N; i++) await set(i);
    await waitConverged(procs, ctx, 600_000);
    const applyMs = (cpuMs(B.child.pid!) - b0) / N;
    const authorMs = (cpuMs(A.child.pid!) - a0) / N;
    console.log(`\nCPU per entry over ${N} kv-store sets: applying (B) ${applyMs.toFixed(2)} ms, authoring (A, incl. its RPC) ${authorMs.toFixed(2)} ms`);
    if (prof) {
      B.child.kill('SIGTERM');
      await new Promise((r) => B.child.once('exit', r));
    }
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
