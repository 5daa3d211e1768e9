import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamAuth, type StreamEnd } from './streams.ts';
import type { Principal } from './principal.ts';

const principal = (valid: () => boolean): Principal => ({ id: 'k', permissions: [], stillValid: async () => valid() });

test('a stream followed after its credential was revoked is closed at once, not at the next periodic recheck', async () => {
  const streams = new StreamAuth(60_000);
  try {
    let revoked = true;
    const ended: StreamEnd[] = [];
    streams.track(principal(() => !revoked), (why) => ended.push(why));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ended, ['revoked']);
    assert.equal(streams.size, 0);

    revoked = false;
    const kept: StreamEnd[] = [];
    streams.track(principal(() => !revoked), (why) => kept.push(why));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(kept, []);
    assert.equal(streams.size, 1);
  } finally {
    streams.close();
  }
});
