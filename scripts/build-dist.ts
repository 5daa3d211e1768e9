/**
 * `npm run build:dist`: compiles src/ to JavaScript in dist/ (same layout, so paths relative to a module —
 * build/, web/, package.json — resolve the same), for bin/*.js to start without tsx (bin/launch.js). Types are
 * not checked here (`npm run typecheck` does); the emit is transpilation only. Skipped when dist/ already holds
 * the build of these exact sources. dist/ is removed first, so no module deleted from src/ survives there, and
 * the fingerprint of the sources (taken before compiling) is written last: an interrupted or failed build
 * leaves no stamp, and bin/ then runs the sources.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_STAMP, sourcesFingerprint } from '../bin/launch.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
/** Files of src/ that are JavaScript already (tsc does not copy them). */
const COPIED = ['runtime/worker-boot.mjs'];

const fingerprint = sourcesFingerprint();
if (existsSync(DIST_STAMP) && readFileSync(DIST_STAMP, 'utf8') === fingerprint) {
  console.log('dist: up to date');
} else {
  const t0 = performance.now();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck'], { stdio: 'inherit', cwd: ROOT });
  for (const f of COPIED) copyFileSync(join(ROOT, 'src', f), join(DIST, f));
  writeFileSync(DIST_STAMP, fingerprint);
  console.log(`dist: src/ compiled to dist/ in ${(performance.now() - t0).toFixed(0)} ms`);
}
