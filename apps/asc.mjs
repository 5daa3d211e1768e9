// Compiles AssemblyScript apps with the programmatic asc API. Run by build.ts in a plain `node` process:
// loading the compiler through a TypeScript loader (tsx) costs seconds, plain node loads it in ~0.5 s.
// Usage: node apps/asc.mjs '<json: [{ name, entry, outFile }]>' <baseDir>
import asc from 'assemblyscript/asc';

const jobs = JSON.parse(process.argv[2]);
const baseDir = process.argv[3];
let failed = false;
for (const job of jobs) {
  const { error, stderr } = await asc.main([
    job.entry,
    '--baseDir', baseDir,
    '--outFile', job.outFile,
    // A real garbage collector (AssemblyScript's incremental runtime; nothing extra is exported). With the stub
    // runtime nothing is freed during a call, so a method that inserts a few hundred keys into a large map ran
    // out of the 64 MiB guest memory on its garbage (kv-store set_many of 500 keys failed at ~40k keys).
    // get/set cost the same within noise (bench -- runtime); docs/performance.md, "Large states".
    '--runtime', 'incremental',
    '--use', 'abort=sdk/abort/sdkAbort',
    // Optimised: a guest walking a large state spends its time in the SDK's loops (about 2x faster at -O3,
    // and a map insert about 5x; docs/performance.md, "Large states").
    '-O3',
  ]);
  if (error) {
    failed = true;
    const errors = stderr.toString().split('\n\n').filter((block) => block.includes('ERROR'));
    console.error(`asc failed for ${job.name}: ${error.message}\n${errors.join('\n\n')}`);
  }
}
process.exit(failed ? 1 : 0);
