import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeId, encodeId, hash } from '../src/util/ids.ts';
import { applicationId } from '../src/node/applications.ts';
import { BlobStore, CHUNK_SIZE } from '../src/node/blobs.ts';
import { Store } from '../src/store/store.ts';

// Vectors from docs/wire.md, Ids and Applications (upstream unit tests and the documented derivation).

test('base58 ids match upstream vectors', () => {
  assert.equal(encodeId(new Uint8Array(32).fill(1)), '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi');
  assert.equal(encodeId(hash(Buffer.from('Hello World'))), 'C9K5weED8iiEgM6bkU6gZSgGsV6DW2igMtNtL1sjfFKK');
  assert.equal(encodeId(hash(Buffer.from('Hello, World'))), 'EHdZfnzn717B56XYH8sWLAHfDC3icGEkccNzpAF4PwS');
  assert.equal(encodeId(new Uint8Array(32)), '11111111111111111111111111111111');
});

test('ids are remembered, never shared: a caller changing its bytes changes no later answer', () => {
  const bytes = new Uint8Array(32).fill(7);
  const text = encodeId(bytes);
  bytes[0] = 8; // the encoder's memo is keyed by content, not by the array
  assert.notEqual(encodeId(bytes), text);
  const a = decodeId(text);
  a.fill(0);
  assert.deepEqual(decodeId(text), new Uint8Array(32).fill(7));
  assert.notEqual(decodeId(text), decodeId(text)); // a fresh copy each time
});

test('decodeId refuses wrong lengths and characters with upstream messages', () => {
  assert.throws(() => decodeId('abc'), /invalid length \d+, expected a base58 encoded hash/);
  assert.throws(() => decodeId('0OIl'), /invalid character/);
  assert.throws(() => decodeId('1'.repeat(46)), /too small/);
});

test('blob id and application id derivation (worked example of docs/wire.md, Applications)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ids-'));
  const store = await Store.open(join(dir, 'db'));
  try {
    const blobs = new BlobStore(store, join(dir, 'blobs'));
    const info = await blobs.put(Buffer.from('hello wasm'));
    assert.equal(encodeId(info.hash), '2Jrxscn7MECUjQstovw3Rf1ZPXQnEY2xjDHkgkX43UWd');
    assert.equal(encodeId(info.blobId), 'F4icosVKcHmPydzV2m5wy1FKyVrMWc5dHBAsvab57bxr');
    assert.equal(encodeId(applicationId(info.blobId, info.size, 'file:///tmp/app.wasm', new Uint8Array())), 'AjbfgRkvGmff3sY8SYvT3zhJo8e1zx1f6faFc4Axyjy');
    const empty = await blobs.put(new Uint8Array());
    assert.equal(encodeId(empty.blobId), 'GKot5hBsd81kMupNCXHaqbhv3huEbxAFMLnpcX2hniwn');

    // Multi-chunk: id = sha256(chunk ids), content round-trips, shared chunks survive one delete.
    const big = Buffer.alloc(CHUNK_SIZE * 2 + 10, 7);
    const b1 = await blobs.put(big);
    const chunkIds = [big.subarray(0, CHUNK_SIZE), big.subarray(CHUNK_SIZE, 2 * CHUNK_SIZE), big.subarray(2 * CHUNK_SIZE)].map((c) => hash(c));
    assert.deepEqual(b1.blobId, hash(...chunkIds));
    const b2 = await blobs.put(Buffer.concat([big.subarray(0, CHUNK_SIZE), Buffer.from('tail')]));
    assert.equal(await blobs.delete(b1.blobId), true);
    assert.deepEqual(await blobs.read(b2.blobId), Buffer.concat([big.subarray(0, CHUNK_SIZE), Buffer.from('tail')]));
    assert.equal(await blobs.read(b1.blobId), null);
  } finally {
    await store.close();
  }
});
