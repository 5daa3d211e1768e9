import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The load generator of the throughput benches: autocannon in child processes (so the load does not share the
 * node's event loop), POSTing JSON, with the serving process's CPU time per request.
 */
export const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

export interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU time of the serving process per request, µs. */
  cpu: number;
}

/** CPU time (user + system, µs) of a process: this one, or another by pid from /proc. */
export function cpuOf(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** One autocannon child process: `connections` connections POSTing `body` for `seconds`. */
async function cannon(url: string, body: string, connections: number, seconds: number): Promise<any> {
  const args = [autocannonBin, '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`autocannon exited ${code}`))));
  });
  return JSON.parse(out);
}

/**
 * The load of one row. Several bodies (e.g. one per context) split the connections between as many autocannon
 * processes running at once; their req/s add up, p50 is the mean and p99 the worst of theirs.
 */
export async function load(url: string, body: string | string[], pid?: number, seconds = DURATION): Promise<Result> {
  const bodies = typeof body === 'string' ? [body] : body;
  const cpu0 = cpuOf(pid);
  const rs = await Promise.all(bodies.map((b) => cannon(url, b, Math.max(1, Math.round(CONNECTIONS / bodies.length)), seconds)));
  const total = rs.reduce((a, r) => a + r.requests.total, 0);
  const cpu = (cpuOf(pid) - cpu0) / Math.max(1, total);
  return {
    rps: rs.reduce((a, r) => a + r.requests.average, 0),
    p50: Math.round(rs.reduce((a, r) => a + r.latency.p50, 0) / rs.length),
    p99: Math.max(...rs.map((r) => r.latency.p99)),
    errors: rs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    cpu,
  };
}

