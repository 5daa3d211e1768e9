/**
 * Bench runner: imports each module below and awaits its default export. Add your bench file to the list.
 * `npm run bench` runs all; `npm run bench -- runtime` runs the ones whose name contains "runtime".
 */
const BENCHES = ['./runtime.ts', './jsonrpc.ts', './budget.ts', './startup.ts', './events.ts', './sync.ts', './sync-scale.ts', './state-size.ts', './contexts.ts', './large-state.ts'];

const filter = process.argv.slice(2);
for (const path of BENCHES) {
  if (filter.length > 0 && !filter.some((f) => path.includes(f))) continue;
  const mod = (await import(path)) as { default: () => Promise<void> };
  await mod.default();
}
