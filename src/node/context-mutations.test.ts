import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forbidden } from './context-mutations.ts';

const self = new Uint8Array(32).fill(1);
const other = new Uint8Array(32).fill(2);

test('a call may delete only its own context', () => {
  assert.equal(forbidden(self, { kind: 'DeleteContext', contextId: Uint8Array.from(self) }), null);
  assert.equal(forbidden(self, { kind: 'DeleteContext', contextId: other }), 'a context may only delete itself');
});

test('membership changes and child contexts are not refused up front (the membership rules and the node decide)', () => {
  assert.equal(forbidden(self, { kind: 'AddMember', publicKey: other }), null);
  assert.equal(forbidden(self, { kind: 'RemoveMember', publicKey: self }), null);
  assert.equal(forbidden(self, { kind: 'CreateContext', protocol: 'near', applicationId: other, initArgs: new Uint8Array(), alias: 'kid' }), null);
});
