import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordLimit } from './limits.ts';

const turn = () => new Promise((r) => setImmediate(r));

test('a recount that began before a creation completed cannot take the bound below it: the cap holds', async () => {
  // Each count answers when told, with what its scan read: a slow scan of the store.
  const counts: Array<(n: number) => void> = [];
  const limit = new RecordLimit(() => new Promise<number>((r) => counts.push(r)), 1, 'context', 'max_contexts');
  let created = 0;
  let finishA!: () => void;
  const a = limit.run(() => new Promise<void>((r) => (finishA = () => (created++, r()))));
  counts.shift()!(0);
  await turn();
  // B finds the cap taken by A's reservation and recounts; that scan reads the store before A's record is there.
  const b = limit.run(async () => void created++);
  await turn();
  finishA();
  await a;
  counts.shift()!(0);
  await assert.rejects(b, /limit reached/);
  assert.equal(created, 1);
});
