import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/ports.ts';

/**
 * Cold start and idle memory of `merod run` from the command line (bin/merod.js, through tsx): the time from
 * spawning the process to its first answer on /admin-api/health, and its resident set size once idle.
 */
const RUNS = Number(process.env.STARTUP_RUNS ?? 3);
const IDLE_MS = Number(process.env.STARTUP_IDLE_MS ?? 5000);
const MEROD = resolve('bin/merod.js');

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function healthy(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('merod did not answer health in time');
}

export default async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'merod-startup-'));
  try {
    const port = await freePort();
    execFileSync(process.execPath, [MEROD, '--home', home, '--node', 'n', 'init', '--server-port', String(port), '--swarm-port', String(await freePort())], {
      stdio: 'ignore',
      env: { ...process.env, MEROD_MDNS: '0' },
    });
    const times: number[] = [];
    let rss = NaN;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const p = spawn(process.execPath, [MEROD, '--home', home, '--node', 'n', 'run'], { stdio: 'ignore', env: { ...process.env, MEROD_MDNS: '0' } });
      try {
        await healthy(`http://127.0.0.1:${port}/admin-api/health`, Date.now() + 240_000);
        times.push(performance.now() - t0);
        if (i === RUNS - 1) {
          await new Promise((r) => setTimeout(r, IDLE_MS));
          rss = rssMiB(p.pid!);
        }
      } finally {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    }
    times.sort((a, b) => a - b);
    console.log(`\nCold start: \`merod run\` (bin/merod.js via tsx) to its first /admin-api/health answer, ${RUNS} runs`);
    console.log(`  min ${times[0]!.toFixed(0)} ms, median ${times[times.length >> 1]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms`);
    console.log(`  idle RSS ${IDLE_MS / 1000} s after health (one context-free node): ${rss.toFixed(0)} MiB`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
