import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newKeypair } from '../contexts.ts';
import { Reader } from './binary.ts';
import { decodeRequest, encodeRequest } from './codec.ts';
import { currentHeight, decodeSignedOpen, encodeSignedOpen, fromJson, invitationBytes, openRefusal, signOpenInvitation, toJson, type OpenInvitation } from './open-invitation.ts';

const inviter = newKeypair();
const ctx = new Uint8Array(32).fill(2);
const invitation = (expirationHeight: bigint): OpenInvitation => ({
  inviter: inviter.publicKey,
  contextId: ctx,
  expirationHeight,
  salt: new Uint8Array(32).fill(3),
  protocol: 'p2p',
  network: '12D3KooWpeer',
  contractId: '/ip4/127.0.0.1/tcp/1',
});

test('borsh layout of InvitationFromMember: fixed ids, u64 LE height, fixed salt, length-prefixed strings', () => {
  const b = invitationBytes({ ...invitation(1000n), inviter: new Uint8Array(32).fill(1), protocol: 'near', network: 'devnet', contractId: '' });
  assert.equal(b.length, 32 + 32 + 8 + 32 + (4 + 4) + (4 + 6) + 4);
  assert.deepEqual([...b.subarray(64, 72)], [0xe8, 0x03, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...b.subarray(104, 112)], [4, 0, 0, 0, ...Buffer.from('near')]);
});

test('a signed invitation is valid until its height, for its own context only', () => {
  const now = currentHeight();
  const s = signOpenInvitation(invitation(now + 10n), inviter.secret);
  assert.equal(openRefusal(s, now), null);
  assert.equal(openRefusal(s, now, ctx), null);
  assert.equal(openRefusal(s, now + 10n), 'expired');
  assert.equal(openRefusal(s, now, new Uint8Array(32).fill(9)), 'wrong_context');
});

test('any change to the signed fields breaks the signature', () => {
  const now = currentHeight();
  const s = signOpenInvitation(invitation(now + 10n), inviter.secret);
  for (const change of [
    { expirationHeight: now + 1000n },
    { salt: new Uint8Array(32).fill(4) },
    { contextId: new Uint8Array(32).fill(5) },
    { network: 'other' },
    { inviter: newKeypair().publicKey },
  ]) {
    assert.equal(openRefusal({ ...s, invitation: { ...s.invitation, ...change } }, now), 'bad_signature', JSON.stringify(Object.keys(change)));
  }
});

test('JSON form is upstream SignedOpenInvitation (byte arrays, hex signature) and round-trips', () => {
  const s = signOpenInvitation(invitation(123n), inviter.secret);
  const j = toJson(s);
  assert.deepEqual(Object.keys(j.invitation), ['inviter_identity', 'context_id', 'expiration_height', 'secret_salt', 'protocol', 'network', 'contract_id']);
  assert.equal(j.invitation.context_id.length, 32);
  assert.equal(j.invitation.expiration_height, 123);
  assert.match(j.inviter_signature, /^[0-9a-f]{128}$/);
  assert.deepEqual(toJson(fromJson(j)), j);
  assert.throws(() => fromJson({ ...j, inviter_signature: 'zz' }), /not 64 bytes of hex/);
});

test('the sync request carrying it round-trips', () => {
  const s = signOpenInvitation(invitation(77n), inviter.secret);
  assert.deepEqual(toJson(decodeSignedOpen(new Reader(encodeSignedOpen(s)))), toJson(s));
  const auth = { contextId: ctx, member: inviter.publicKey, signature: new Uint8Array(64).fill(1) };
  const q = decodeRequest(encodeRequest({ type: 'openJoin', auth, invitation: s }));
  assert.equal(q.type, 'openJoin');
  assert.deepEqual(q.type === 'openJoin' && toJson(q.invitation), toJson(s));
});
