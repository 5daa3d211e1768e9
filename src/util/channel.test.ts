import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel } from './channel.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('items arrive in order and the loop ends after end()', async () => {
  const ch = new Channel<number>();
  const got = collect(ch);
  await ch.push(1);
  await ch.push(2);
  ch.end();
  assert.deepEqual(await got, [1, 2]);
});

test('push resolves only once the consumer took the item (backpressure)', async () => {
  const ch = new Channel<string>();
  let taken = false;
  const p = ch.push('a').then(() => (taken = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(taken, false);
  const it = ch[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { value: 'a', done: false });
  await p;
  assert.equal(taken, true);
});

test('fail() makes the consumer throw after the queued items', async () => {
  const ch = new Channel<number>();
  const seen: number[] = [];
  const consumer = (async () => {
    for await (const x of ch) seen.push(x);
  })();
  await ch.push(7);
  ch.fail(new Error('peer went away'));
  await assert.rejects(consumer, /peer went away/);
  assert.deepEqual(seen, [7]);
});

test('a consumer that stops early makes pending and later pushes reject', async () => {
  const ch = new Channel<number>();
  const consumer = (async () => {
    for await (const x of ch) if (x === 1) throw new Error('too large');
  })();
  await ch.push(1);
  const second = ch.push(2);
  await assert.rejects(consumer, /too large/);
  await assert.rejects(second, /consumer stopped/);
  await assert.rejects(ch.push(3), /consumer stopped/);
});
