import { readFileSync, rmSync } from 'node:fs';
import { DIST_STAMP, sourcesFingerprint } from '../bin/launch.js';
import { healthy, initHome, rssMiB, runMerod, stopMerod } from './child.ts';

/**
 * Cold start and idle memory of `merod run` from the command line (bin/merod.js): the time from spawning the
 * process to its first answer on /admin-api/health, and its resident set size once idle — from the TypeScript
 * sources through tsx (MEROD_FROM_SOURCE=1) and from the compiled build in dist/ (`npm run build`), interleaved.
 */
const RUNS = Number(process.env.STARTUP_RUNS ?? 3);
const IDLE_MS = Number(process.env.STARTUP_IDLE_MS ?? 5000);

export default async function run(): Promise<void> {
  const distCurrent = (() => {
    try {
      return readFileSync(DIST_STAMP, 'utf8') === sourcesFingerprint();
    } catch {
      return false;
    }
  })();
  const variants: Array<[string, Record<string, string>]> = [['sources through tsx', { MEROD_FROM_SOURCE: '1' }]];
  if (distCurrent) variants.push(['compiled dist/', {}]);
  const { home, url } = await initHome('merod-startup-');
  const times = variants.map((): number[] => []);
  const rss = variants.map(() => NaN);
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const [v, [, env]] of variants.entries()) {
        const t0 = performance.now();
        const p = runMerod(home, env);
        try {
          await healthy(`${url}/admin-api/health`, Date.now() + 240_000);
          times[v]!.push(performance.now() - t0);
          if (i === RUNS - 1) {
            await new Promise((r) => setTimeout(r, IDLE_MS));
            rss[v] = rssMiB(p.pid!);
          }
        } finally {
          await stopMerod(p);
        }
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  console.log(`\nCold start: \`merod run\` (bin/merod.js) to its first /admin-api/health answer, ${RUNS} runs each, interleaved`);
  if (!distCurrent) console.log('  (no current dist/: run `npm run build` to measure the compiled build too)');
  console.log('| entry                | min ms | median ms | max ms | idle RSS MiB |');
  console.log('|----------------------|--------|-----------|--------|--------------|');
  for (const [v, [name]] of variants.entries()) {
    const t = times[v]!.sort((a, b) => a - b);
    const ms = (x: number) => x.toFixed(0).padStart(6);
    console.log(`| ${name.padEnd(20)} | ${ms(t[0]!)} | ${ms(t[t.length >> 1]!).padStart(9)} | ${ms(t[t.length - 1]!)} | ${rss[v]!.toFixed(0).padStart(12)} |`);
  }
}
