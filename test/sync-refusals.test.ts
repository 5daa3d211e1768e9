import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appPath, call, startInProcNode, type InProcNode } from './helpers/inproc.ts';
import { decodeId, encodeId } from '../src/util/ids.ts';
import { encodeDelta, makeDelta, type Delta } from '../src/node/sync/codec.ts';
import { appInfo } from '../src/node/sync/membership.ts';

/**
 * An entry from a peer that cannot be applied because of this node's moment (a module no peer could serve, the
 * context deleted while the entry waited) is not remembered as refused: delivered again once the cause is gone,
 * it applies. The entries are handed to the sync layer as gossip would (its `receive`), from a peer that is not
 * there, so that fetching from it fails as it does when a peer drops mid-switch.
 */
let n: InProcNode;
before(async () => {
  n = await startInProcNode();
});
after(() => n.stop());

interface SyncInside {
  receive(d: Delta, raw: Uint8Array, from: string | null): Promise<void>;
  clock: { now(): bigint };
  pending: { isRejected(id: Uint8Array): boolean };
}

async function context() {
  const app = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] })).json.data.applicationId;
  const c = (await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: app, initializationParams: [] })).json.data;
  const node = n.running.node;
  const ctx = decodeId(c.contextId);
  const member = decodeId(c.memberPublicKey);
  const secret = decodeId((await node.contexts.identity(ctx, member))!.privateKey!);
  return { node, ctx, member, secret, sync: node.sync as unknown as SyncInside };
}

test('an application entry whose module could not be fetched applies when delivered again after the module is here', async () => {
  const { node, ctx, member, secret, sync } = await context();
  const other = (await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store-with-handlers'), metadata: [] })).json.data.applicationId;
  const info = appInfo(decodeId(other), (await node.apps.get(decodeId(other)))!);
  assert.equal((await call(n.url, 'DELETE', `/admin-api/applications/${other}`)).status, 200);
  assert.equal(await node.blobs.info(info.bytecode), null, 'the module went with the uninstall');
  const meta = (await node.contexts.meta(ctx))!;
  const d = makeDelta({ contextId: ctx, parents: meta.dagHeads, hlc: sync.clock.now(), author: member, payload: { type: 'application', app: info }, events: null }, secret);
  await sync.receive(d, encodeDelta(d), 'peer-that-is-gone');
  assert.notEqual(encodeId((await node.contexts.meta(ctx))!.applicationId), other, 'not applied without its module');

  await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store-with-handlers'), metadata: [] });
  await sync.receive(d, encodeDelta(d), 'peer-that-is-gone');
  assert.equal(encodeId((await node.contexts.meta(ctx))!.applicationId), other, 'applied on the second delivery');
});

test('an entry that waited while its context was deleted is not remembered as refused (a re-join fetches it again)', async () => {
  const { node, ctx, member, secret, sync } = await context();
  const meta = (await node.contexts.meta(ctx))!;
  const write = { key: Buffer.from('k'), value: Buffer.from('v') };
  const d = makeDelta({ contextId: ctx, parents: meta.dagHeads, hlc: sync.clock.now(), author: member, payload: { type: 'state', ops: { kind: 'writes', writes: [write] } }, events: null }, secret);
  // The entry is received and waits for the context's lock, which a deletion holds.
  let received!: Promise<void>;
  await node.execution.withLock(ctx, async () => {
    received = sync.receive(d, encodeDelta(d), 'peer-that-is-gone');
    await new Promise((r) => setTimeout(r, 100));
    await node.contexts.delete(ctx);
  });
  await received;
  assert.equal(await node.contexts.exists(ctx), false);
  assert.equal(sync.pending.isRejected(d.id), false);
});

test('more concurrent entries than an entry may name as parents: the next local write names 1024, the rest stay heads', async () => {
  const { node, ctx, member, secret, sync } = await context();
  const genesisHeads = (await node.contexts.meta(ctx))!.dagHeads;
  // 1,030 sibling entries of a member, as gossip from a peer would bring them.
  for (let i = 0; i < 1030; i++) {
    const d = makeDelta(
      { contextId: ctx, parents: genesisHeads, hlc: sync.clock.now(), author: member, payload: { type: 'state', ops: { kind: 'writes', writes: [] } }, events: null },
      secret,
    );
    await sync.receive(d, encodeDelta(d), 'peer-that-is-gone');
  }
  assert.equal((await node.contexts.meta(ctx))!.dagHeads.length, 1030);
  const executorPublicKey = encodeId(member);
  const set = await call(n.url, 'POST', '/jsonrpc', {
    jsonrpc: '2.0',
    id: 1,
    method: 'execute',
    params: { contextId: encodeId(ctx), method: 'set', argsJson: { key: 'k', value: 'v' }, executorPublicKey },
  });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.error, undefined, set.text);
  // 1,030 - 1,024 named + the new entry; the heads fit the wire again.
  assert.equal((await node.contexts.meta(ctx))!.dagHeads.length, 7);
});
