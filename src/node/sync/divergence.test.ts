import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, RepairGuard, type RootReport } from './divergence.ts';

const now = 1_000_000;
const report = (peer: string, root: string, o: Partial<RootReport> = {}): RootReport => ({ peer, heads: 'H', root, noisy: false, at: now, ...o });
const local = (root: string, noisy = false) => ({ heads: 'H', root, noisy });

test('equal roots, other heads or stale reports: nothing to do', () => {
  assert.deepEqual(judge(local('r1'), [report('p', 'r1')], now), { kind: 'agree' });
  assert.deepEqual(judge(local('r1'), [report('p', 'r2', { heads: 'G' })], now), { kind: 'agree' });
  assert.deepEqual(judge(local('r1'), [report('p', 'r2', { at: now - 61_000 })], now), { kind: 'agree' });
  assert.deepEqual(judge(local('r1'), [], now), { kind: 'agree' });
});

test('a difference where a side is noisy is the inherent case, never repaired', () => {
  assert.deepEqual(judge(local('r1', true), [report('p', 'r2')], now), { kind: 'inherent', peers: ['p'] });
  assert.deepEqual(judge(local('r1'), [report('p', 'r2', { noisy: true })], now), { kind: 'inherent', peers: ['p'] });
});

test('two clean nodes: the smaller root wins, so exactly one of them repairs', () => {
  assert.deepEqual(judge(local('b'), [report('p', 'a')], now), { kind: 'repair', root: 'a', from: ['p'] });
  assert.deepEqual(judge(local('a'), [report('q', 'b')], now), { kind: 'wait', peers: ['q'] });
});

test('the root most clean nodes hold wins over byte order', () => {
  const reports = [report('p', 'b'), report('q', 'b'), report('r', 'a')];
  assert.deepEqual(judge(local('b'), reports, now), { kind: 'wait', peers: ['r'] });
  assert.deepEqual(judge(local('a'), [report('p', 'b'), report('q', 'b')], now), { kind: 'repair', root: 'b', from: ['p', 'q'] });
  // A noisy peer does not vote, but a clean one that differs still makes it a real divergence.
  assert.deepEqual(judge(local('c'), [report('n', 'x', { noisy: true }), report('p', 'a')], now), { kind: 'repair', root: 'a', from: ['p'] });
});

test('the guard allows one repair per heads and a few retries with backoff', () => {
  const g = new RepairGuard(2, 1_000, 10_000);
  assert.equal(g.allows('ctx', 'H', now), true);
  g.failed('ctx', 'H', now);
  assert.equal(g.allows('ctx', 'H', now), false, 'backoff after a failure');
  assert.equal(g.allows('ctx', 'H', now + 1_000), true);
  g.failed('ctx', 'H', now + 1_000);
  assert.equal(g.allows('ctx', 'H', now + 100_000), false, 'attempts exhausted');
  assert.equal(g.allows('ctx', 'H2', now), true, 'new heads, new attempts');
  g.finished('ctx', 'H2');
  assert.equal(g.allows('ctx', 'H2', now + 100_000), false, 'one repair per heads');
  assert.equal(g.allows('other', 'H2', now), true, 'per context');
});
