import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeArtifact, encodeArtifact, decodeAction, encodeAction } from './artifact.ts';
import { ArtifactError, type ArtifactErrorCode } from './borsh.ts';
import type { Action, Artifact, ChildInfo, Metadata, MetadataLayout } from './types.ts';

const id = (n: number) => new Uint8Array(32).fill(n);
const bytesOf = (...parts: Array<number[] | Uint8Array>) => Uint8Array.from(parts.flatMap((p) => [...p]));
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const u64 = (n: bigint) => [...Array(8)].map((_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const str = (s: string) => bytesOf(u32(Buffer.byteLength(s)), Buffer.from(s));

function meta(layout: MetadataLayout, extra: Partial<Metadata> = {}): Metadata {
  const m: Metadata = { createdAt: 1_700_000_000_000_000_000n, updatedAt: 1_700_000_000_000_000_500n, storageType: { kind: 'Public' } };
  if (layout !== 'plain') m.crdtType = null;
  if (layout === 'crdt+field') m.fieldName = null;
  return { ...m, ...extra };
}

function child(layout: MetadataLayout, n: number): ChildInfo {
  return { id: id(n), merkleHash: id(n + 100), metadata: meta(layout) };
}

/** One action of every kind and every storage type, in the given layout. */
function sampleActions(layout: MetadataLayout, crdt: Partial<Metadata>[] = [{}]): Action[] {
  const owner = id(9);
  return [
    { kind: 'Add', id: id(1), data: Uint8Array.of(1, 2, 3), ancestors: [child(layout, 20), child(layout, 21)], metadata: meta(layout, crdt[0]) },
    { kind: 'Compare', id: id(2) },
    {
      kind: 'DeleteRef',
      id: id(3),
      deletedAt: 42n,
      metadata: meta(layout, { ...crdt[1], storageType: { kind: 'User', owner, signatureData: { signature: new Uint8Array(64).fill(5), nonce: 42n } } }),
    },
    { kind: 'Update', id: id(4), data: new Uint8Array(0), ancestors: [], metadata: meta(layout, { ...crdt[2], storageType: { kind: 'Frozen' } }) },
    { kind: 'Update', id: id(5), data: Uint8Array.of(7), ancestors: [], metadata: meta(layout, { storageType: { kind: 'User', owner, signatureData: null } }) },
  ];
}

const samples: Record<MetadataLayout, Artifact> = {
  plain: { layout: 'plain', delta: { kind: 'Actions', actions: sampleActions('plain') } },
  crdt: {
    layout: 'crdt',
    delta: {
      kind: 'Actions',
      actions: sampleActions('crdt', [{ crdtType: { kind: 'UnorderedMap' } }, { crdtType: { kind: 'Custom', typeName: 'Game' } }, { crdtType: { kind: 'Counter' } }]),
    },
  },
  'crdt+field': {
    layout: 'crdt+field',
    delta: {
      kind: 'Actions',
      actions: sampleActions('crdt+field', [
        { crdtType: { kind: 'UnorderedMap', keyType: 'String', valueType: 'LwwRegister<String>' }, fieldName: 'items' },
        { crdtType: { kind: 'LwwRegister', innerType: 'String' }, fieldName: null },
        { crdtType: { kind: 'Custom', name: 'Ünïcode' }, fieldName: 'frozen' },
      ]),
    },
  },
};

function refused(bytes: Uint8Array, code: ArtifactErrorCode, layouts?: MetadataLayout[]): void {
  assert.throws(
    () => decodeArtifact(bytes, layouts ? { layouts } : {}),
    (err: unknown) => err instanceof ArtifactError && err.code === code,
    `expected ${code}`,
  );
}

test('every layout round-trips byte for byte and is recognised without a hint', () => {
  for (const [layout, artifact] of Object.entries(samples)) {
    const bytes = encodeArtifact(artifact);
    const decoded = decodeArtifact(bytes);
    assert.equal(decoded.layout, layout);
    assert.deepEqual(decoded, artifact);
    assert.deepEqual(encodeArtifact(decoded), bytes);
  }
});

test('the layouts differ exactly by the metadata tail', () => {
  const m = (layout: MetadataLayout) => encodeAction({ kind: 'DeleteRef', id: id(1), deletedAt: 0n, metadata: meta(layout) }, layout);
  assert.equal(m('crdt').length, m('plain').length + 1); // Option<CrdtType> = None
  assert.equal(m('crdt+field').length, m('plain').length + 2); // + Option<String> = None
});

test('the bytes are upstream borsh: a hand-assembled artifact decodes to the expected values', () => {
  const owner = id(9);
  const sig = new Uint8Array(64);
  const bytes = bytesOf(
    [0], // StorageDelta::Actions
    u32(2),
    [1], id(2), // Action::Compare { id }
    [0], id(1), str('ab'), u32(1), // Action::Add { id, data, ancestors: [1] }
    id(7), id(8), u64(1n), u64(2n), [0], [0], // ChildInfo { id, merkle_hash, metadata { 1, 2, Public, crdt_type: None } }
    u64(3n), u64(4n), [1], owner, [1], sig, u64(4n), // metadata { 3, 4, User { owner, Some({ [0;64], 4 }) }
    [1], [6], str('Game'), // crdt_type: Some(Custom { type_name: "Game" })
  );
  const decoded = decodeArtifact(bytes);
  assert.equal(decoded.layout, 'crdt');
  assert.deepEqual(decoded.delta, {
    kind: 'Actions',
    actions: [
      { kind: 'Compare', id: id(2) },
      {
        kind: 'Add',
        id: id(1),
        data: Uint8Array.from(Buffer.from('ab')),
        ancestors: [{ id: id(7), merkleHash: id(8), metadata: { createdAt: 1n, updatedAt: 2n, storageType: { kind: 'Public' }, crdtType: null } }],
        metadata: { createdAt: 3n, updatedAt: 4n, storageType: { kind: 'User', owner, signatureData: { signature: sig, nonce: 4n } }, crdtType: { kind: 'Custom', typeName: 'Game' } },
      },
    ],
  });
  assert.deepEqual(encodeArtifact(decoded), bytes);
});

test('comparison deltas round-trip, and their children map must be in key order', () => {
  const layout = 'crdt+field';
  const artifact: Artifact = {
    layout,
    delta: {
      kind: 'Comparisons',
      comparisons: [
        {
          data: Uint8Array.of(1),
          comparisonData: { id: id(1), fullHash: id(2), ownHash: id(3), children: [['a', [child(layout, 4)]], ['b', []]], ancestors: [child(layout, 5)], metadata: meta(layout) },
        },
        { data: null, comparisonData: { id: id(6), fullHash: id(7), ownHash: id(8), children: [], ancestors: [], metadata: meta(layout) } },
      ],
    },
  };
  const bytes = encodeArtifact(artifact);
  assert.deepEqual(decodeArtifact(bytes, { layouts: [layout] }), artifact);
  const first = artifact.delta.kind === 'Comparisons' ? artifact.delta.comparisons[0]!.comparisonData : null;
  first!.children.reverse();
  refused(encodeArtifact(artifact), 'unsorted_map', [layout]);
});

test('an artifact without metadata parses under every layout and is not ambiguous', () => {
  const bytes = bytesOf([0], u32(1), [1], id(3));
  assert.deepEqual(decodeArtifact(bytes).delta, { kind: 'Actions', actions: [{ kind: 'Compare', id: id(3) }] });
  assert.deepEqual(decodeArtifact(bytesOf([0], u32(0))).delta, { kind: 'Actions', actions: [] });
});

test('trailing bytes are refused, in every layout', () => {
  for (const artifact of Object.values(samples)) {
    const bytes = encodeArtifact(artifact);
    refused(bytesOf(bytes, [0]), 'trailing_bytes', [artifact.layout]);
    assert.throws(() => decodeArtifact(bytesOf(bytes, [0])), ArtifactError);
  }
});

test('every truncation is refused, never decoded partially', () => {
  for (const artifact of Object.values(samples)) {
    const bytes = encodeArtifact(artifact);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeArtifact(bytes.subarray(0, n)), ArtifactError, `prefix of ${n} bytes`);
    }
    refused(bytes.subarray(0, bytes.length - 1), 'truncated', [artifact.layout]);
  }
  refused(new Uint8Array(0), 'empty_artifact');
});

test('unknown tags are refused', () => {
  refused(bytesOf([2], u32(0)), 'invalid_tag'); // StorageDelta
  refused(bytesOf([0], u32(1), [4], id(1)), 'invalid_tag'); // Action
  const del = (tail: number[]) => bytesOf([0], u32(1), [2], id(1), u64(1n), u64(1n), u64(1n), tail);
  refused(del([3]), 'invalid_tag', ['plain']); // StorageType
  refused(del([1, ...id(9), 2]), 'invalid_tag', ['plain']); // Option<SignatureData>
  refused(del([0, 2]), 'invalid_tag', ['crdt']); // Option<CrdtType>
  refused(del([0, 1, 7]), 'invalid_tag', ['crdt']); // CrdtType has 7 variants there
  refused(del([0, 1, 10]), 'invalid_tag', ['crdt+field']); // and 10 here
  assert.equal(decodeArtifact(del([0, 1, 9, ...str('x'), 0]), { layouts: ['crdt+field'] }).layout, 'crdt+field');
});

test('a string that is not UTF-8 is refused', () => {
  const bad = bytesOf([0], u32(1), [2], id(1), u64(1n), u64(1n), u64(1n), [0], [0], [1], u32(1), [0xff]);
  refused(bad, 'invalid_utf8', ['crdt+field']);
});

test('a forged length is refused before anything is allocated', () => {
  refused(bytesOf([0], u32(0xffff_ffff)), 'truncated');
  refused(bytesOf([0], u32(1), [0], id(1), u32(0x7fff_ffff)), 'truncated');
});

test('a layout hint restricts decoding to that layout', () => {
  const bytes = encodeArtifact(samples.crdt);
  assert.throws(() => decodeArtifact(bytes, { layouts: ['plain'] }), ArtifactError);
  assert.equal(decodeArtifact(bytes, { layouts: ['crdt'] }).layout, 'crdt');
});

test('encoding refuses values the layout cannot carry', () => {
  const invalid = (a: Action, layout: MetadataLayout) =>
    assert.throws(() => encodeAction(a, layout), (e: unknown) => e instanceof ArtifactError && e.code === 'invalid_value');
  invalid({ kind: 'Compare', id: new Uint8Array(31) }, 'plain');
  invalid({ kind: 'DeleteRef', id: id(1), deletedAt: 0n, metadata: meta('crdt') }, 'plain');
  invalid({ kind: 'DeleteRef', id: id(1), deletedAt: 0n, metadata: meta('plain') }, 'crdt');
  invalid({ kind: 'DeleteRef', id: id(1), deletedAt: -1n, metadata: meta('plain') }, 'plain');
  invalid({ kind: 'DeleteRef', id: id(1), deletedAt: 0n, metadata: meta('crdt', { crdtType: { kind: 'GCounter' } }) }, 'crdt');
  invalid({ kind: 'DeleteRef', id: id(1), deletedAt: 0n, metadata: meta('crdt+field', { crdtType: { kind: 'Custom' } as never }) }, 'crdt+field');
});

test('single actions decode exactly', () => {
  const a = sampleActions('plain')[0]!;
  const bytes = encodeAction(a, 'plain');
  assert.deepEqual(decodeAction(bytes, 'plain'), a);
  assert.throws(() => decodeAction(bytesOf(bytes, [1]), 'plain'), (e: unknown) => e instanceof ArtifactError && e.code === 'trailing_bytes');
});
