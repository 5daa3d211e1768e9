import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Store } from '../../src/store/store.ts';

/** A store in a new temporary directory, closed and removed when the test ends. */
export async function tempStore(t: TestContext, name = 'store'): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), `merod-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir);
  t.after(() => store.close());
  return store;
}
