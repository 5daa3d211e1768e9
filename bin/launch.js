// Starts one of the programs of src/ (merod, meroctl, mero-auth): from dist/ (JavaScript compiled by
// `npm run build`, scripts/build-dist.ts) when that build matches the sources exactly, else from the TypeScript
// sources through tsx. Loading the compiled files skips tsx's transform of every module on start-up.
// MEROD_FROM_SOURCE=1 always runs the sources.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where the build records the fingerprint of the sources it compiled. */
export const DIST_STAMP = join(ROOT, 'dist', '.sources');

/**
 * A fingerprint of the sources and of the build's configuration: how many files, and the sum and maximum of
 * their modification times. Any edit, checkout, addition or removal changes it.
 */
export function sourcesFingerprint() {
  const files = ['tsconfig.json', 'tsconfig.build.json'].map((f) => join(ROOT, f));
  for (const e of readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files.push(join(e.parentPath ?? e.path, e.name));
  }
  let sum = 0;
  let max = 0;
  for (const f of files) {
    const t = statSync(f).mtimeMs;
    sum += t;
    if (t > max) max = t;
  }
  return `${files.length}:${max}:${sum}`;
}

function distIsCurrent() {
  try {
    return readFileSync(DIST_STAMP, 'utf8') === sourcesFingerprint();
  } catch {
    return false;
  }
}

/** Runs `entry` (a path under src/ without its extension, e.g. 'cli/merod'). */
export async function launch(entry) {
  if (process.env.MEROD_FROM_SOURCE !== '1' && distIsCurrent()) {
    await import(new URL(`../dist/${entry}.js`, import.meta.url).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL(`../src/${entry}.ts`, import.meta.url).href);
}
