/**
 * Builds every test app into build/apps/<name>.wasm:
 *  - AssemblyScript apps: each apps/<name>/index.ts (except the SDK), compiled with the programmatic asc API
 *    (apps/asc.mjs), `--runtime incremental` (a garbage collector; no runtime exports) and AssemblyScript's abort mapped to the SDK's panic
 *    (sdk/abort.ts), so the only imports are host functions;
 *  - WAT modules: each apps/wat/<name>.wat, assembled with wabt.
 * A target is rebuilt only when one of its inputs is newer than the output, so repeated runs are instant.
 * Usage: tsx apps/build.ts [--force]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const appsDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(appsDir);
export const outDir = join(root, 'build', 'apps');
const force = process.argv.includes('--force');

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return -1;
  }
}

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

async function stale(output: string, inputs: string[]): Promise<boolean> {
  if (force) return true;
  const out = await mtime(output);
  if (out < 0) return true;
  for (const i of inputs) if ((await mtime(i)) > out) return true;
  return false;
}

export interface BuildResult {
  name: string;
  path: string;
  built: boolean;
}

/** Which AS apps need a rebuild; the compile itself runs in apps/asc.mjs (plain node, see there). */
async function staleAssemblyScript(name: string, sdkFiles: string[]): Promise<boolean> {
  const inputs = [...(await tsFiles(join(appsDir, name))), ...sdkFiles, join(appsDir, 'asc.mjs')];
  return stale(join(outDir, `${name}.wasm`), inputs);
}

function compileAssemblyScript(names: string[]): void {
  if (names.length === 0) return;
  const jobs = names.map((name) => ({ name, entry: `${name}/index.ts`, outFile: relative(appsDir, join(outDir, `${name}.wasm`)) }));
  const r = spawnSync(process.execPath, [join(appsDir, 'asc.mjs'), JSON.stringify(jobs), appsDir], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || `asc exited with ${r.status ?? r.signal}`);
}

async function buildWat(file: string): Promise<BuildResult> {
  const name = file.replace(/\.wat$/, '');
  const src = join(appsDir, 'wat', file);
  const out = join(outDir, `${name}.wasm`);
  if (!(await stale(out, [src]))) return { name, path: out, built: false };
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat(file, await readFile(src, 'utf8'));
  try {
    const { buffer } = mod.toBinary({});
    await writeFile(out, buffer);
  } finally {
    mod.destroy();
  }
  return { name, path: out, built: true };
}

export async function buildApps(): Promise<BuildResult[]> {
  await mkdir(outDir, { recursive: true });
  const sdkFiles = await tsFiles(join(appsDir, 'sdk'));
  const results: BuildResult[] = [];
  const toCompile: string[] = [];
  for (const e of (await readdir(appsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name === 'sdk' || e.name === 'wat') continue;
    if ((await mtime(join(appsDir, e.name, 'index.ts'))) < 0) continue;
    const built = await staleAssemblyScript(e.name, sdkFiles);
    if (built) toCompile.push(e.name);
    results.push({ name: e.name, path: join(outDir, `${e.name}.wasm`), built });
  }
  compileAssemblyScript(toCompile);
  for (const f of (await readdir(join(appsDir, 'wat'))).filter((f) => f.endsWith('.wat')).sort()) {
    results.push(await buildWat(f));
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const results = await buildApps();
  const built = results.filter((r) => r.built).map((r) => r.name);
  console.log(
    `apps: ${results.length} targets in ${relative(root, outDir)} (${built.length ? `built ${built.join(', ')}` : 'all up to date'}) in ${Math.round(performance.now() - started)} ms`,
  );
}
