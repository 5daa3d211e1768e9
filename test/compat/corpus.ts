/**
 * Where the compatibility corpus (upstream-built apps) is: ../shared/compat/upstream-apps beside the
 * repository, or the directory named by CALIMERO_COMPAT_APPS. Tests read it there and never copy it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = process.env.CALIMERO_COMPAT_APPS ? resolve(process.env.CALIMERO_COMPAT_APPS) : resolve(ROOT, '../shared/compat/upstream-apps');

/** Throws, saying where they were looked for, when any of `apps` is missing from the corpus. */
export function requireCorpus(apps: readonly string[]): void {
  const missing = apps.filter((a) => !existsSync(join(CORPUS, `${a}.wasm`)));
  if (missing.length > 0) {
    throw new Error(
      `compat corpus not found: ${missing.map((a) => `${a}.wasm`).join(', ')} missing in ${CORPUS} ` +
        `(put upstream's apps in ../shared/compat/upstream-apps or name their directory in CALIMERO_COMPAT_APPS)`,
    );
  }
}
