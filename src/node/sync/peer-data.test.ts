import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryEvents, parsePeerJson, peerMembershipSet } from './peer-data.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('the events of a peer entry are validated before their handlers run', () => {
  assert.deepEqual(entryEvents(null), []);
  assert.deepEqual(entryEvents(json([{ kind: 'k', data: [1, 2], handler: 'on_k' }, { kind: 'x', data: [] }])), [
    { kind: 'k', data: [1, 2], handler: 'on_k' },
    { kind: 'x', data: [], handler: null },
  ]);
  for (const bad of [
    Buffer.from('not json'),
    json({ kind: 'k' }),
    json([{ kind: 'k', data: [256], handler: null }]),
    json([{ kind: 'k', data: 'AQI=', handler: null }]),
    json([{ kind: 'k', data: [], handler: 42 }]),
    json([{ kind: 'k', data: [], handler: 'bad\nname' }]),
    json([{ kind: 'k', data: [], handler: 'x'.repeat(257) }]),
  ]) {
    assert.equal(entryEvents(bad), null, bad.toString());
  }
});

test('membership sets from a snapshot are arrays of hex entry ids', () => {
  const id = 'ab'.repeat(32);
  assert.deepEqual(parsePeerJson(peerMembershipSet, json([id])), [id]);
  assert.equal(parsePeerJson(peerMembershipSet, json(['AB'.repeat(32)])), null);
  assert.equal(parsePeerJson(peerMembershipSet, json({ 0: id })), null);
});
