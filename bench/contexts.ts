import { rmSync } from 'node:fs';
import { appPath, call } from '../test/helpers/inproc.ts';
import { healthy, initHome, rssMiB, runMerod, stopMerod } from './child.ts';

/**
 * Memory against the number of contexts (issue #15): a `merod run` process (bin/merod.js) gets our kv-store and
 * `CONTEXTS` contexts (default 10,000), each created through the admin API as a client would
 * (POST /admin-api/contexts: new keys, the app's `init`, genesis entry, one commit), `CONTEXTS_CONCURRENCY`
 * requests at a time. Prints the process's RSS at steps on the way and once idle afterwards.
 */
const CONTEXTS = Number(process.env.CONTEXTS ?? 10_000);
const CONCURRENCY = Number(process.env.CONTEXTS_CONCURRENCY ?? 16);
const IDLE_MS = Number(process.env.CONTEXTS_IDLE_MS ?? 5000);

export default async function run(): Promise<void> {
  const { home, url } = await initHome('merod-contexts-');
  const p = runMerod(home);
  const rows: string[] = [];
  const row = (label: string, rss: number, rate?: number) =>
    rows.push(`| ${label.padEnd(28)} | ${rss.toFixed(0).padStart(7)} | ${rate === undefined ? '        —' : rate.toFixed(0).padStart(9)} |`);
  try {
    await healthy(`${url}/admin-api/health`, Date.now() + 240_000);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    row('0 contexts, idle', rssMiB(p.pid!));
    const app = await call(url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] });
    if (app.status !== 200) throw new Error(`install: ${app.status} ${app.text}`);
    const applicationId = app.json.data.applicationId;
    const steps = [...new Set([1_000, 5_000, CONTEXTS].filter((s) => s <= CONTEXTS))];
    let created = 0;
    for (const step of steps) {
      const t0 = performance.now();
      const from = created;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (created < step) {
            created++;
            const r = await call(url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId, initializationParams: [] });
            if (r.status !== 200) throw new Error(`context ${created}: ${r.status} ${r.text}`);
          }
        }),
      );
      row(`${step} contexts, just created`, rssMiB(p.pid!), ((created - from) * 1000) / (performance.now() - t0));
    }
    await new Promise((r) => setTimeout(r, IDLE_MS));
    row(`${created} contexts, idle`, rssMiB(p.pid!));
    const list = await call(url, 'GET', '/admin-api/contexts');
    const listed = list.json?.data?.contexts?.length;
    if (listed !== created) throw new Error(`the node lists ${listed} contexts, not ${created}`);
  } catch (err) {
    console.error(`merod's output: ${home}/run.log (kept)`);
    throw err;
  } finally {
    await stopMerod(p);
  }
  rmSync(home, { recursive: true, force: true });
  console.log(`\nRSS of \`merod run\` against the number of contexts (our kv-store; created through the admin API, ${CONCURRENCY} at a time; idle = ${IDLE_MS / 1000} s later)`);
  console.log('| state                        | RSS MiB | created/s |');
  console.log('|------------------------------|---------|-----------|');
  for (const r of rows) console.log(r);
}
