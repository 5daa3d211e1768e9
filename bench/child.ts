import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../test/helpers/ports.ts';

/** `merod` as a user runs it: bin/merod.js in its own process (benches that measure the whole process). */
export const MEROD = resolve('bin/merod.js');

/** Resident set size of a process, MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Polls `url` until it answers 2xx, every 10 ms; throws at the deadline (ms since the epoch). */
export async function healthy(url: string, deadline: number): Promise<void> {
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

/** A fresh node home (`merod init` in a temporary directory); `url` is its server's. */
export async function initHome(prefix: string): Promise<{ home: string; url: string }> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const port = await freePort();
  execFileSync(process.execPath, [MEROD, '--home', home, '--node', 'n', 'init', '--server-port', String(port), '--swarm-port', String(await freePort())], {
    stdio: 'ignore',
    env: { ...process.env, MEROD_MDNS: '0' },
  });
  return { home, url: `http://127.0.0.1:${port}` };
}

/**
 * `merod run` of that home, with `env` added to this process's environment. Its output goes to `<home>/run.log`
 * (look there when a bench fails).
 */
export function runMerod(home: string, env: Record<string, string> = {}): ChildProcess {
  const log = openSync(join(home, 'run.log'), 'a');
  try {
    return spawn(process.execPath, [MEROD, '--home', home, '--node', 'n', 'run'], { stdio: ['ignore', log, log], env: { ...process.env, MEROD_MDNS: '0', ...env } });
  } finally {
    closeSync(log);
  }
}

/** SIGTERM, then waits for the exit. */
export async function stopMerod(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}
