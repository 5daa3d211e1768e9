import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { decodeArtifact, encodeArtifact, verifyAction, type Action } from '../../calimero/index.ts';
import { encodeSdkArtifact, type Ops } from './codec.ts';
import { ArtifactSigner } from './signer.ts';

const secret = new Uint8Array(32).fill(7);
const executor = ed25519.getPublicKey(secret);
const app = new Uint8Array(32).fill(1);

function userAdd(owner: Uint8Array): Action {
  return {
    kind: 'Add',
    id: new Uint8Array(32).fill(2),
    data: Uint8Array.of(5, 6),
    ancestors: [],
    metadata: { createdAt: 1n, updatedAt: 9n, storageType: { kind: 'User', owner, signatureData: { signature: new Uint8Array(64), nonce: 9n } }, crdtType: null },
  };
}
const artifactOps = (actions: Action[]): Ops => ({ kind: 'artifact', artifact: encodeArtifact({ layout: 'crdt', delta: { kind: 'Actions', actions } }) });

test('a placeholder on the executor’s action is replaced by its signature; the layout is remembered', () => {
  const signer = new ArtifactSigner();
  const r = signer.sign(app, artifactOps([userAdd(executor)]), secret);
  assert.equal(r.signed, 1);
  assert.equal(r.undecodable, null);
  assert.equal(r.ops.kind, 'artifact');
  const decoded = decodeArtifact((r.ops as { artifact: Uint8Array }).artifact, { layouts: ['crdt'] });
  assert.equal(decoded.delta.kind, 'Actions');
  const [action] = (decoded.delta as { actions: Action[] }).actions;
  assert.deepEqual(verifyAction(action!, null), { ok: true });
  assert.equal(signer.layoutOf(app), 'crdt');
});

test('someone else’s action, plain writes and our own SDK format come back unchanged', () => {
  const signer = new ArtifactSigner();
  const foreign = artifactOps([userAdd(new Uint8Array(32).fill(9))]);
  const r = signer.sign(app, foreign, secret);
  assert.equal(r.signed, 0);
  assert.equal(r.ops, foreign);
  const writes: Ops = { kind: 'writes', writes: [{ key: Uint8Array.of(1), value: Uint8Array.of(2) }] };
  assert.equal(signer.sign(app, writes, secret).ops, writes);
  const sdk: Ops = { kind: 'artifact', artifact: encodeSdkArtifact([{ key: Uint8Array.of(1), value: Uint8Array.of(2) }]) };
  assert.deepEqual(signer.sign(app, sdk, secret), { ops: sdk, signed: 0, undecodable: null });
});

test('an artifact that does not decode is returned unchanged with the error', () => {
  const signer = new ArtifactSigner();
  const junk: Ops = { kind: 'artifact', artifact: Uint8Array.of(7, 7, 7) };
  const r = signer.sign(app, junk, secret);
  assert.equal(r.ops, junk);
  assert.equal(r.signed, 0);
  assert.ok(r.undecodable);
});
