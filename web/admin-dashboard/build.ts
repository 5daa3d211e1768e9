/**
 * Builds the Admin Dashboard SPA into build/admin-dashboard/ (index.html, app.js, app.css).
 *
 *   tsx web/admin-dashboard/build.ts [--out <dir>] [--dev]
 *
 * esbuild bundles src/main.tsx (Preact, the wire schemas from src/wire and everything else it imports) into
 * one ES module, and src/styles.css into app.css. index.html references both with a content hash as query
 * string so a browser never mixes an old script with a new page.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '..', '..');
export const DEFAULT_OUT_DIR = join(REPO_ROOT, 'build', 'admin-dashboard');

/**
 * zod's classic entry re-exports every locale (`z.locales`, ~250 KB minified) although only English is used;
 * the browser bundle gets a stand-in that exports just `en`.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'zod-locales', pluginData: args.resolveDir } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from './en.js';`,
      resolveDir: join(args.pluginData as string, '..', 'locales'),
      loader: 'js',
    }));
  },
};

export interface BuildDashboardOptions {
  /** Output directory; default build/admin-dashboard under the repository root. */
  outDir?: string;
  /** Minify (default true) — `--dev` turns it off and adds inline source maps. */
  minify?: boolean;
}

export async function buildDashboard(o: BuildDashboardOptions = {}): Promise<{ outDir: string; files: string[] }> {
  const outDir = resolve(o.outDir ?? DEFAULT_OUT_DIR);
  const minify = o.minify ?? true;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify,
    sourcemap: minify ? false : 'inline',
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: REPO_ROOT,
  };
  await build({
    ...common,
    entryPoints: [join(HERE, 'src', 'main.tsx')],
    outfile: join(outDir, 'app.js'),
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    plugins: [zodEnglishOnly],
    define: { 'process.env.NODE_ENV': minify ? '"production"' : '"development"' },
  });
  await build({
    ...common,
    entryPoints: [join(HERE, 'src', 'styles.css')],
    outfile: join(outDir, 'app.css'),
  });
  const hash = createHash('sha256');
  for (const f of ['app.js', 'app.css']) hash.update(await readFile(join(outDir, f)));
  const version = hash.digest('hex').slice(0, 12);
  const html = (await readFile(join(HERE, 'index.html'), 'utf8')).replaceAll('__VERSION__', version);
  await writeFile(join(outDir, 'index.html'), html);
  return { outDir, files: ['index.html', 'app.js', 'app.css'] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outIdx = args.indexOf('--out');
  const started = Date.now();
  buildDashboard({ outDir: outIdx >= 0 ? args[outIdx + 1] : undefined, minify: !args.includes('--dev') }).then(
    ({ outDir, files }) => {
      process.stdout.write(`admin dashboard: ${files.join(', ')} → ${outDir} (${Date.now() - started} ms)\n`);
    },
    (err: unknown) => {
      process.stderr.write(`admin dashboard build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
