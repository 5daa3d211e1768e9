import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import '../../src/polyfills.ts';
import { initNode, type InitOptions } from '../../src/node/home.ts';
import { startNode, type RunningNode } from '../../src/app/start.ts';
import { applyEdits, readRaw, saveRaw } from '../../src/config/file.ts';

export { freePort } from './ports.ts';
import { freePort } from './ports.ts';

export interface InProcNode {
  dir: string;
  url: string;
  running: RunningNode;
  /** Stops and starts the node again on the same home (same port). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real node (RocksDB, runtime workers, HTTP server) inside the test process. */
export async function startInProcNode(
  init: InitOptions = {},
  o: { authMode?: 'proxy' | 'embedded'; config?: string[] } = {},
): Promise<InProcNode> {
  const dir = mkdtempSync(join(tmpdir(), 'merod-test-'));
  const port = await freePort();
  await initNode(dir, { serverHost: ['127.0.0.1'], serverPort: port, swarmPort: await freePort(), ...init });
  if (o.config?.length) await saveRaw(dir, applyEdits(await readRaw(dir), o.config));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // The start banner is dropped (test output stays readable). Never swap process.stdout.write for that: with
  // nodes starting concurrently, a swap can leave stdout silenced, and the test runner's own report with it.
  const start = () => startNode(dir, { logger, authMode: o.authMode, banner: () => undefined });
  const n: InProcNode = {
    dir,
    url: `http://127.0.0.1:${port}`,
    running: await start(),
    async restart() {
      await n.running.stop();
      n.running = await start();
    },
    async stop() {
      await n.running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return n;
}

/** Path of a built test app (`npm run build:apps`), e.g. appPath('kv-store'). */
export function appPath(name: string): string {
  const candidates = [name, name.replace(/-/g, '_')].map((n) => resolve('build/apps', `${n}.wasm`));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`test app ${name} is not built (looked for ${candidates.join(', ')}); run npm run build:apps`);
  return found;
}

export async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    if (!(body instanceof Uint8Array) && !('content-type' in headers)) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as any };
}

export { rmSync };
