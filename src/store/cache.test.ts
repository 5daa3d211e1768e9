import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordCache } from './cache.ts';

const k = (s: string) => Buffer.from(s);
const put = (col: string, key: string, value: Buffer | null) => ({ ops: [{ col, key: k(key), value }] });

test('read-through columns keep what was read, unless a write began or settled meanwhile', () => {
  const c = new RecordCache();
  const gen = c.generation;
  c.fill('meta', k('a'), gen, k('1'));
  assert.deepEqual(c.lookup('meta', k('a')), k('1'));
  const before = c.generation;
  c.writing(put('meta', 'b', k('2')))(true);
  c.fill('meta', k('c'), before, k('stale'));
  assert.equal(c.lookup('meta', k('c')), undefined, 'a read across a write is not kept');
  c.fill('state', k('a'), c.generation, k('1'));
  assert.equal(c.lookup('state', k('a')), undefined, 'state is never filled by reads');
});

test('a write leaves its values once written, nothing after a failure, and nothing while another write of the key is in flight', () => {
  const c = new RecordCache();
  for (const col of ['meta', 'state']) {
    c.writing(put(col, 'x', k('v1')))(true);
    assert.deepEqual(c.lookup(col, k('x')), k('v1'));
    const settleFailed = c.writing(put(col, 'x', k('v2')));
    assert.equal(c.lookup(col, k('x')), undefined, 'dropped while the write is in flight');
    settleFailed(false);
    assert.equal(c.lookup(col, k('x')), undefined, 'a failed write leaves nothing');
    const first = c.writing(put(col, 'y', k('a')));
    const second = c.writing(put(col, 'y', k('b')));
    first(true);
    assert.equal(c.lookup(col, k('y')), undefined, 'the other write of the key is still in flight');
    second(true);
    assert.deepEqual(c.lookup(col, k('y')), k('b'));
    c.writing(put(col, 'y', null))(true);
    assert.equal(c.lookup(col, k('y')), null, 'a delete is known absent');
  }
});

test('state keeps small values within its byte budget, least recently used out first', () => {
  const c = new RecordCache();
  c.writing(put('state', 'big', Buffer.alloc(5000)))(true);
  assert.equal(c.lookup('state', k('big')), undefined, 'values over 4 KiB are not kept');
  const value = Buffer.alloc(4000);
  for (let i = 0; i < 3000; i++) c.writing(put('state', `k${i}`, value))(true); // ~12 MB written, 8 MiB kept
  assert.equal(c.lookup('state', k('k0')), undefined);
  assert.deepEqual(c.lookup('state', k('k2999')), value);
});
