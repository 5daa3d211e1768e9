import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeArtifact, decodeEntityIndex } from './artifact.ts';
import { replayNoise, storageKey } from './roots.ts';
import type { Artifact, Metadata } from './types.ts';

const id = (n: number) => new Uint8Array(32).fill(n);
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u64 = (n: bigint) => [...Array(8)].map((_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const meta = (createdAt: bigint): Metadata => ({ createdAt, updatedAt: createdAt, storageType: { kind: 'Public' }, crdtType: null });
/** borsh of `Metadata` in the `crdt` layout: created_at, updated_at, Public, no crdt_type. */
const metaBytes = (createdAt: bigint) => [...u64(createdAt), ...u64(createdAt), 0, 0];
const childBytes = (n: number, createdAt: bigint) => [...id(n), ...id(n + 100), ...metaBytes(createdAt)];

/** borsh of an `EntityIndex` with the given children (id, created_at). */
function indexBytes(n: number, parent: number | null, children: Array<[number, bigint]>): Uint8Array {
  return Uint8Array.from([
    ...id(n),
    ...(parent === null ? [0] : [1, ...id(parent)]),
    1,
    ...u32(children.length),
    ...children.flatMap(([c, at]) => childBytes(c, at)),
    ...id(200),
    ...id(201),
    ...metaBytes(5n),
    0,
  ]);
}

/** An artifact that updates entity 2 under the root 1. */
const artifact: Artifact = {
  layout: 'crdt',
  delta: { kind: 'Actions', actions: [{ kind: 'Update', id: id(2), data: Uint8Array.of(1), ancestors: [{ id: id(1), merkleHash: id(9), metadata: meta(1n) }], metadata: meta(2n) }] },
};
const bytes = encodeArtifact(artifact);

test('storage keys are sha256 of the tag and the id, as calimero-storage derives them', () => {
  assert.equal(Buffer.from(storageKey('index', id(0))).toString('hex'), '7f9c9e31ac8256ca2f258583df262dbc7d6f68f2a03043d5c99a4ae5a7396ce9');
  assert.notDeepEqual(storageKey('index', id(1)), storageKey('entry', id(1)));
});

test('an index record decodes field by field', () => {
  const idx = decodeEntityIndex(indexBytes(1, null, [[2, 3n], [4, 4n]]), 'crdt');
  assert.deepEqual(idx.id, id(1));
  assert.equal(idx.parentId, null);
  assert.deepEqual(idx.children?.map((c) => [c.id[0], c.metadata.createdAt]), [[2, 3n], [4, 4n]]);
  assert.equal(idx.deletedAt, null);
});

test('a replay that writes only what its artifact names leaves no noise', () => {
  const writes = [
    { key: storageKey('index', id(1)), value: indexBytes(1, null, [[2, 3n], [4, 4n]]) },
    { key: storageKey('index', id(2)), value: indexBytes(2, 1, []) },
    { key: storageKey('entry', id(2)), value: Uint8Array.of(1) },
    { key: Uint8Array.of(9, 9), value: Uint8Array.of(1, 2, 3) }, // not an index record: ignored
    { key: storageKey('index', id(7)), value: null }, // a removal
  ];
  assert.equal(replayNoise(bytes, writes), null);
});

test('an index record of an entity the artifact does not name is a replay-born entity', () => {
  const noise = replayNoise(bytes, [{ key: storageKey('index', id(8)), value: indexBytes(8, 1, []) }]);
  assert.deepEqual(noise, { kind: 'replay_born_entity', entity: id(8) });
});

test('a parent listing one child twice (under two created_at) is a duplicate child', () => {
  const noise = replayNoise(bytes, [{ key: storageKey('index', id(1)), value: indexBytes(1, null, [[2, 3n], [2, 6n]]) }]);
  assert.deepEqual(noise, { kind: 'duplicate_child', entity: id(1) });
});

test('an index record under another key, or an artifact that is not calimero-storage, is not judged', () => {
  assert.equal(replayNoise(bytes, [{ key: storageKey('index', id(3)), value: indexBytes(8, 1, []) }]), null);
  assert.equal(replayNoise(Uint8Array.of(7, 7, 7), [{ key: storageKey('index', id(8)), value: indexBytes(8, 1, []) }]), null);
});
