import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { base58 } from '@scure/base';
import { generateIdentity, loadIdentity } from './identity.ts';

/** libp2p answers Buffers, node:crypto's wrapper Uint8Arrays: compare the bytes. */
const bytes = async (b: Uint8Array | Promise<Uint8Array>) => Uint8Array.from(await b);

test('the node key signs exactly as libp2p signs and its signatures verify', async () => {
  const entry = await generateIdentity();
  const id = loadIdentity(entry);
  const reference = privateKeyFromProtobuf(base58.decode(entry.keypair));
  for (const size of [0, 1, 64, 5_000]) {
    const msg = Uint8Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff);
    const sig = await id.privateKey.sign(msg);
    assert.deepEqual(await bytes(sig), await bytes(reference.sign(msg)), `signature of ${size} bytes`);
    assert.equal(await reference.publicKey.verify(msg, sig), true);
  }
  assert.deepEqual(await bytes(id.publicKey), await bytes(reference.publicKey.raw));
});

test('an aborted signal is honoured as libp2p honours it', async () => {
  const id = loadIdentity(await generateIdentity());
  assert.throws(() => id.privateKey.sign(new Uint8Array(1), { signal: AbortSignal.abort() }));
});
