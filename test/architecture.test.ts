/**
 * The code's shape, as docs/architecture.md states it: no import cycles (type-only imports count) in src/ and the
 * dashboard, and no source file over MAX_LINES. scripts/arch.ts computes both (`npm run arch` prints them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LINES, architectureReport } from '../scripts/arch.ts';

test('no import cycles and no source file over the line limit', () => {
  const r = architectureReport();
  assert.deepEqual(r.cycles, [], `import cycles: ${r.cycles.map((c) => c.join(' <-> ')).join('; ')}`);
  assert.deepEqual(r.long, [], `files over ${MAX_LINES} lines: ${r.long.map((l) => `${l.file} (${l.lines})`).join(', ')}`);
});
