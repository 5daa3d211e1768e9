import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_OPS, invoke, offeredOps, syncHost, type HostOp, type RuntimeHost } from './services.ts';

test('offeredOps lists the services a host has, including methods of a class', () => {
  assert.deepEqual(offeredOps({ storageRead: async () => null }), ['storageRead']);
  class Host implements RuntimeHost {
    async storageRead(): Promise<Uint8Array | null> {
      return null;
    }
    async contextMembers(): Promise<Uint8Array[]> {
      return [];
    }
  }
  assert.deepEqual(offeredOps(new Host()), ['storageRead', 'contextMembers']);
  assert.equal(new Set(HOST_OPS).size, HOST_OPS.length);
});

test('invoke runs the named service with its own `this`; a service the host lacks is refused', async () => {
  const host = {
    prefix: 'ctx:',
    async storageRead(): Promise<Uint8Array | null> {
      return null;
    },
    async resolveAlias(this: { prefix: string }, alias: string): Promise<Uint8Array | null> {
      return new TextEncoder().encode(this.prefix + alias);
    },
  };
  assert.equal(new TextDecoder().decode((await invoke(host, 'resolveAlias', ['a']))!), 'ctx:a');
  await assert.rejects(invoke(host, 'blobRead', [new Uint8Array(32)]), /the node does not offer blobRead/);
});

test('syncHost binds exactly the offered services, each a request naming it with its arguments', () => {
  const asked: Array<[HostOp, unknown[]]> = [];
  const host = syncHost(['storageRead', 'contextMembers'], (op, args) => {
    asked.push([op, args]);
    throw new Error(`asked for ${op}`);
  });
  assert.equal(host.blobRead, undefined);
  assert.equal(host.resolveAlias, undefined);
  assert.throws(() => host.contextMembers?.(), /asked for contextMembers/);
  assert.throws(() => host.storageRead(Uint8Array.of(1)), /asked for storageRead/);
  assert.deepEqual(asked, [
    ['contextMembers', []],
    ['storageRead', [Uint8Array.of(1)]],
  ]);
});
