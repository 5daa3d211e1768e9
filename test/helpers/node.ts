/**
 * End-to-end harness: drives the real `merod` CLI (`node bin/merod.js`) as child processes.
 *
 * Every child started here is tracked and SIGKILLed when the test file ends (a root `after` hook) and, as a
 * last resort, when the test process exits. Temporary homes are removed at process exit.
 */
import { after, type TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (cwd of every child). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The CLI entry point. */
export const MEROD_BIN = join(REPO_ROOT, 'bin', 'merod.js');

const children = new Set<ChildProcess>();
const homes = new Set<string>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
}

process.once('exit', () => {
  killAll();
  for (const home of homes) {
    try {
      rmSync(home, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
});
// Root hook of whichever test file imports this module: no child outlives its file's tests.
after(killAll);
// Interrupted runs (Ctrl-C, a CI timeout): kill the children, then let the signal take its course.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Tracks a child started outside this module (e.g. a custom entry point) so it is killed with the rest. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export { freePort } from './ports.ts';
import { freePort } from './ports.ts';

/** True if nothing listens on `host:port` (binding it succeeds). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(false));
    srv.listen({ host, port }, () => srv.close(() => res(true)));
  });
}

/** A fresh directory under os.tmpdir(), removed when the test process exits. */
export function tmpHome(prefix = 'merod-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  homes.add(dir);
  return dir;
}

export interface CliResult {
  /** Exit code; null if the process was killed by a signal (e.g. on timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CliOptions {
  /** Extra environment variables (merged over process.env; `undefined` removes one). */
  env?: Record<string, string | undefined>;
  /** Kill the child (SIGKILL) after this many ms; default 30 000. */
  timeoutMs?: number;
  /** Default: the repository root. */
  cwd?: string;
}

export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // The test runner's own flags must not leak into children (they would run as test files).
  delete env.NODE_TEST_CONTEXT;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `node <script> …args` from the repository root and collects its output. */
export function runNodeScript(script: string, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = track(
      spawn(process.execPath, [script, ...args], {
        cwd: opts.cwd ?? REPO_ROOT,
        env: childEnv(opts.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs `node bin/merod.js …args` (cwd = repository root) and collects its output. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return runNodeScript(MEROD_BIN, args, opts);
}

export interface StartNodeOptions {
  /** Parent directory of the node (`--home`); default: a new tmpHome(). */
  home?: string;
  /** Node name (`--node`); default "node". */
  node?: string;
  /**
   * Extra `init` arguments. `--server-host 127.0.0.1 --server-port <free> --swarm-port <free>` are added
   * unless the same flag is given here.
   */
  initArgs?: string[];
  /** Run `init` first; default: only if the node has no config.toml yet. */
  init?: boolean;
  /** Extra `run` arguments. */
  runArgs?: string[];
  /** Extra environment for `init` and `run`. */
  env?: Record<string, string | undefined>;
  /** How long to wait for /admin-api/health; default 20 000 ms. */
  readyTimeoutMs?: number;
  /** Registers `kill()` with `t.after` (children are killed at the end of the file regardless). */
  t?: TestContext;
}

export interface TestNode {
  /** Base URL of the first listen address, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  readonly home: string;
  readonly node: string;
  /** The node directory (`home/node`). */
  readonly dir: string;
  /** The current `merod run` child (replaced by restart()). */
  readonly proc: ChildProcess;
  /** Sends `signal` and waits for exit (SIGKILL after 15 s); resolves to the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, then wait for exit. */
  kill(): Promise<void>;
  /** stop() (if still running), then `merod run` again and wait until healthy. */
  restart(): Promise<void>;
  /** Everything the node's processes printed so far (stdout and stderr interleaved, all runs). */
  output(): string;
}

function hasFlag(args: string[], flag: string): boolean {
  return args.some((a) => a === flag || a.startsWith(`${flag}=`));
}

/** The first server listen address of a node's config.toml, as an http URL (IPv4 preferred). */
export function serverUrlOf(dir: string): { url: string; port: number } {
  const text = readFileSync(join(dir, 'config.toml'), 'utf8');
  const addrs = [...text.matchAll(/"\/(ip4|ip6)\/([^/"]+)\/tcp\/(\d+)"/g)];
  // The [server] table's listen comes after [swarm]'s; find the addresses following "[server]".
  const serverAt = text.search(/^\[server\]/m);
  const mine = addrs.filter((m) => (m.index ?? 0) > serverAt);
  const pick = mine.find((m) => m[1] === 'ip4') ?? mine[0];
  if (!pick) throw new Error(`no server listen address in ${dir}/config.toml`);
  let host = pick[2]!;
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  const port = Number(pick[3]);
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port };
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (exited(child)) return Promise.resolve(child.exitCode);
  return new Promise((res) => child.once('exit', (code) => res(code)));
}

/** Waits until `url/admin-api/health` answers 200, or throws (with the node's output) on exit or timeout. */
export async function waitHealthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (exited(child)) {
      throw new Error(
        `merod exited (code ${child.exitCode}, signal ${child.signalCode}) before becoming healthy at ${url}\n--- output ---\n${output()}`,
      );
    }
    try {
      const res = await fetch(`${url}/admin-api/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`merod not healthy at ${url} after ${timeoutMs} ms (${last})\n--- output ---\n${output()}`);
}

/** `merod init` (unless already initialized) + `merod run`, waiting until the server answers. */
export async function startNode(o: StartNodeOptions = {}): Promise<TestNode> {
  const home = o.home ?? tmpHome();
  const name = o.node ?? 'node';
  const dir = resolve(home, name);
  const base = ['--home', home, '--node', name];
  const doInit = o.init ?? !existsSync(join(dir, 'config.toml'));
  if (doInit) {
    const initArgs = [...(o.initArgs ?? [])];
    if (!hasFlag(initArgs, '--server-host')) initArgs.push('--server-host', '127.0.0.1');
    if (!hasFlag(initArgs, '--server-port')) initArgs.push('--server-port', String(await freePort()));
    if (!hasFlag(initArgs, '--swarm-port')) initArgs.push('--swarm-port', String(await freePort()));
    const r = await runCli([...base, 'init', ...initArgs], { env: o.env });
    if (r.code !== 0) {
      throw new Error(`merod init failed (code ${r.code})\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
    }
  }
  const { url, port } = serverUrlOf(dir);

  let log = '';
  let proc!: ChildProcess;
  const spawnRun = () => {
    proc = track(
      spawn(process.execPath, [MEROD_BIN, ...base, 'run', ...(o.runArgs ?? [])], {
        cwd: REPO_ROOT,
        env: childEnv(o.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  };
  const output = () => log;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    const child = proc;
    if (exited(child)) return child.exitCode;
    const done = waitExit(child);
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000)));
    const first = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      child.kill('SIGKILL');
      await done;
      throw new Error(`merod did not exit within 15 s of ${signal}\n--- output ---\n${log}`);
    }
    return first;
  };
  const kill = async () => {
    const child = proc;
    if (exited(child)) return;
    const done = waitExit(child);
    child.kill('SIGKILL');
    await done;
  };

  const boot = async () => {
    spawnRun();
    try {
      await waitHealthy(url, proc, output, o.readyTimeoutMs ?? 60_000);
    } catch (err) {
      await kill();
      throw err;
    }
  };
  await boot();

  const handle: TestNode = {
    url,
    port,
    home,
    node: name,
    dir,
    get proc() {
      return proc;
    },
    stop,
    kill,
    async restart() {
      if (!exited(proc)) await stop();
      log += '\n--- restart ---\n';
      await boot();
    },
    output,
  };
  o.t?.after(() => kill());
  return handle;
}

/** A started node's swarm address on loopback (`/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>`), from its config.toml. */
export function swarmAddressOf(n: Pick<TestNode, 'dir'>): string {
  const text = readFileSync(join(n.dir, 'config.toml'), 'utf8');
  const peer = /peer_id = "([^"]+)"/.exec(text)![1]!;
  const port = /"\/ip4\/0\.0\.0\.0\/tcp\/(\d+)"/.exec(text)![1]!;
  return `/ip4/127.0.0.1/tcp/${port}/p2p/${peer}`;
}
