import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeAction, decodeArtifact, encodeArtifact } from './artifact.ts';
import { ArtifactError } from './borsh.ts';
import { needsSignature, payloadForSigning, signArtifact, signUserActions, verifyAction } from './signing.ts';
import type { Action, Metadata, StorageType } from './types.ts';

const id = (n: number) => new Uint8Array(32).fill(n);
const cat = (...parts: Array<number[] | Uint8Array>) => Uint8Array.from(parts.flatMap((p) => [...p]));
const le64 = (n: bigint) => [...Array(8)].map((_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const text = (s: string) => Buffer.from(s);

const secret = new Uint8Array(32).fill(3);
const executor = ed25519.getPublicKey(secret);
const other = ed25519.getPublicKey(new Uint8Array(32).fill(4));
const placeholder = (nonce: bigint): StorageType => ({ kind: 'User', owner: executor, signatureData: { signature: new Uint8Array(64), nonce } });
const meta = (storageType: StorageType, updatedAt = 20n): Metadata => ({ createdAt: 10n, updatedAt, storageType, crdtType: null });

type Upsert = Extract<Action, { kind: 'Add' | 'Update' }>;

function upsert(storageType: StorageType, kind: Upsert['kind'] = 'Add', updatedAt = 20n): Upsert {
  return { kind, id: id(1), data: Uint8Array.of(1, 2), ancestors: [{ id: id(2), merkleHash: id(3), metadata: meta({ kind: 'Public' }) }], metadata: meta(storageType, updatedAt) };
}

/**
 * A user action as sync_test.wasm (core 41c4de6ef) put it in a `commit` artifact, signed here, with the
 * payload the app's own calimero-storage computed and logged while verifying it inside `__calimero_sync_next`.
 */
const RECORDED_ACTION =
  '00870f41171227969354a12c9637c7e6ef83d5f00c29a228395cc2c872b5db94d860000000ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1f1d800f2dd53094dc3bde99744f2611d62791ae2e37b7aeca7d3fbd2d1f20101870f41171227969354a12c9637c7e6ef83d5f00c29a228395cc2c872b5db94d802000000befa1f6c3e3701351b5ece0041cb60fdee56b21f0c81f1e3e11cff6b54c580137e920a08d5b5e4427fea393e48147b4a1a8eae5e475f57c26ba2152071450c470035dd78d5c2ed180035dd78d5c2ed18000103070707070707070707070707070707070707070707070707070707070707070707d1ecf33be8ea4e6082cbd51a1d19032eaa31e24c2806e2a04f0d3cf8d549e000c11e78d5c2ed1800b77c79d5c2ed18000100008fa57bd5c2ed18008fa57bd5c2ed1801ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d10127601b12e1517e4b1aec0e8d989643e6f55caf1f267ff084c72c99112f58c5a71d9ccd737348939c94f54161735f03afd08d0cd468bd7a19b65fc214929b3801008fa57bd5c2ed180100';
const RECORDED_PAYLOAD = [
  245, 36, 129, 9, 95, 57, 2, 186, 19, 129, 189, 198, 194, 55, 5, 120, 88, 115, 169, 213, 90, 101, 203, 9, 75, 180, 80, 101, 177, 47, 125, 46,
];

test('the payload is the one upstream calimero-storage computes', () => {
  const action = decodeAction(Buffer.from(RECORDED_ACTION, 'hex'), 'crdt');
  assert.deepEqual([...payloadForSigning(action)], RECORDED_PAYLOAD);
  assert.deepEqual(verifyAction(action, null), { ok: true });
});

test('the payload covers id, data, ancestor ids and hashes, timestamps and the unsigned storage type', () => {
  const signedType: StorageType = { kind: 'User', owner: executor, signatureData: { signature: new Uint8Array(64).fill(9), nonce: 20n } };
  const expected = sha256(
    cat(text('v1_upsert'), id(1), [1, 2], id(2), id(3), le64(10n), le64(20n), [1], executor, [1], new Uint8Array(64), le64(20n)),
  );
  assert.deepEqual(payloadForSigning(upsert(signedType)), expected);
  assert.deepEqual(payloadForSigning(upsert(signedType, 'Update')), expected, 'Add and Update sign the same payload');
  const del: Action = { kind: 'DeleteRef', id: id(1), deletedAt: 30n, metadata: meta({ kind: 'Public' }) };
  assert.deepEqual(payloadForSigning(del), sha256(cat(text('v1_delete'), id(1), le64(30n), le64(10n), le64(20n), [0])));
  assert.deepEqual(payloadForSigning({ kind: 'Compare', id: id(5) }), sha256(cat(text('v1_compare'), id(5))));
  // crdt_type and field_name are not covered
  const a = upsert(signedType);
  const b: Action = { ...a, metadata: { ...a.metadata, crdtType: { kind: 'Rga' } } };
  assert.deepEqual(payloadForSigning(a), payloadForSigning(b));
});

test('only the executor’s placeholder-signed user actions are signed, with the nonce of the action', () => {
  const actions: Action[] = [
    upsert(placeholder(1n)), // stale nonce: re-set to updated_at
    { kind: 'Compare', id: id(9) },
    upsert({ kind: 'Public' }),
    upsert({ kind: 'Frozen' }),
    upsert({ kind: 'User', owner: other, signatureData: { signature: new Uint8Array(64), nonce: 20n } }),
    upsert({ kind: 'User', owner: executor, signatureData: null }),
    upsert({ kind: 'User', owner: executor, signatureData: { signature: new Uint8Array(64).fill(1), nonce: 20n } }),
    { kind: 'DeleteRef', id: id(7), deletedAt: 40n, metadata: meta(placeholder(40n)) },
  ];
  assert.deepEqual(actions.map((a) => needsSignature(a, executor)), [true, false, false, false, false, false, false, true]);
  const { actions: out, signed } = signUserActions(actions, secret);
  assert.equal(signed, 2);
  for (const i of [1, 2, 3, 4, 5, 6]) assert.equal(out[i], actions[i], `action ${i} is kept as it is`);
  for (const [i, nonce] of [[0, 20n], [7, 40n]] as const) {
    const a = out[i]!;
    assert.ok(a.kind !== 'Compare' && a.metadata.storageType.kind === 'User');
    const sd = a.metadata.storageType.signatureData!;
    assert.equal(sd.nonce, nonce);
    assert.ok(ed25519.verify(sd.signature, payloadForSigning(a), executor), 'verifies with @noble/curves');
  }
  assert.ok(actions[0]!.kind !== 'Compare' && actions[0]!.metadata.storageType.kind === 'User');
  assert.equal(actions[0]!.metadata.storageType.signatureData!.nonce, 1n, 'the input is not modified');
  assert.throws(() => signUserActions(actions, new Uint8Array(64)), ArtifactError);
});

test('a receiver accepts the signed action and refuses tampered, unsigned, replayed or re-owned ones', () => {
  const [signed] = signUserActions([upsert(placeholder(20n))], secret).actions as [Upsert];
  assert.deepEqual(verifyAction(signed, null), { ok: true });
  const refuse = (a: Action, existing: Metadata | null, reason: string) => assert.deepEqual(verifyAction(a, existing), { ok: false, reason });
  refuse({ ...signed, data: Uint8Array.of(1, 3) }, null, 'invalid_signature');
  refuse({ ...signed, metadata: { ...signed.metadata, createdAt: 11n } }, null, 'invalid_signature');
  refuse({ ...signed, ancestors: [] }, null, 'invalid_signature');
  refuse({ ...signed, metadata: { ...signed.metadata, storageType: { kind: 'User', owner: other, signatureData: (signed.metadata.storageType as { signatureData: null }).signatureData } } }, null, 'invalid_signature');
  refuse(upsert(placeholder(20n)), null, 'invalid_signature'); // the placeholder itself
  refuse(upsert({ kind: 'User', owner: executor, signatureData: null }), null, 'unsigned');
  refuse(signed, meta(placeholder(20n), 20n), 'nonce_replay');
  assert.deepEqual(verifyAction(signed, meta(placeholder(19n), 19n)), { ok: true });
  const update = { ...signed, kind: 'Update' as const };
  refuse(update, meta({ kind: 'User', owner: other, signatureData: null }, 1n), 'owner_mismatch');
  refuse(update, meta({ kind: 'Public' }, 1n), 'storage_type_changed');
  const [del] = signUserActions([{ kind: 'DeleteRef', id: id(1), deletedAt: 40n, metadata: meta(placeholder(40n)) }], secret).actions;
  assert.deepEqual(verifyAction(del!, meta(placeholder(20n))), { ok: true });
  refuse(del!, null, 'not_found');
  refuse(del!, meta({ kind: 'User', owner: other, signatureData: null }), 'owner_mismatch');
  refuse(del!, meta(placeholder(40n), 40n), 'nonce_replay');
  assert.deepEqual(verifyAction(upsert({ kind: 'Public' }), null), { ok: true });
});

test('signArtifact re-encodes in the artifact’s layout and leaves artifacts without work untouched', () => {
  const plain = (s: StorageType): Metadata => ({ createdAt: 10n, updatedAt: 20n, storageType: s });
  const action: Action = { kind: 'Update', id: id(1), data: Uint8Array.of(4), ancestors: [], metadata: plain(placeholder(20n)) };
  const bytes = encodeArtifact({ layout: 'plain', delta: { kind: 'Actions', actions: [{ kind: 'Compare', id: id(2) }, action] } });
  const out = signArtifact(bytes, secret);
  assert.equal(out.signed, 1);
  assert.equal(out.layout, 'plain');
  assert.equal(out.artifact.length, bytes.length, 'only the signature bytes change');
  const decoded = decodeArtifact(out.artifact);
  assert.equal(decoded.layout, 'plain');
  const signedAction = decoded.delta.kind === 'Actions' ? decoded.delta.actions[1]! : null;
  assert.deepEqual(verifyAction(signedAction!, null), { ok: true });
  assert.deepEqual(signArtifact(out.artifact, secret).artifact, out.artifact, 'signing twice changes nothing');

  const publicOnly = encodeArtifact({ layout: 'plain', delta: { kind: 'Actions', actions: [{ ...action, metadata: plain({ kind: 'Public' }) }] } });
  assert.equal(signArtifact(publicOnly, secret).artifact, publicOnly);
  const empty = new Uint8Array(0);
  assert.deepEqual(signArtifact(empty, secret), { artifact: empty, signed: 0, layout: null });
  const comparisons = encodeArtifact({ layout: 'plain', delta: { kind: 'Comparisons', comparisons: [] } });
  assert.equal(signArtifact(comparisons, secret).artifact, comparisons);
  assert.throws(() => signArtifact(cat(bytes, [0xff]), secret), (e: unknown) => e instanceof ArtifactError && e.code === 'trailing_bytes');
});
