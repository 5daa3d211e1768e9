import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { edPublicKey, edSign, edVerify } from './ed25519.ts';

test('node:crypto ed25519 gives the same public keys and signatures as the reference implementation', () => {
  for (let i = 0; i < 20; i++) {
    const seed = new Uint8Array(randomBytes(32));
    const message = new Uint8Array(randomBytes(i * 7));
    const pk = edPublicKey(seed);
    assert.deepEqual(pk, ed25519.getPublicKey(seed));
    assert.deepEqual(edPublicKey(seed), pk); // from the cache
    const sig = edSign(seed, message);
    assert.deepEqual(sig, ed25519.sign(message, seed));
    assert.equal(edVerify(pk, message, sig), true);
    sig[0]! ^= 1;
    assert.equal(edVerify(pk, message, sig), false);
  }
  const seed = new Uint8Array(32).fill(3);
  edPublicKey(seed).fill(0); // callers get copies
  assert.deepEqual(edPublicKey(seed), ed25519.getPublicKey(seed));
});
