/**
 * Blobs made by an application are readable on every member node (issue #14 item 5): the app on A creates a blob
 * (`blob_create`/`blob_write`/`blob_close`) and announces it to its context (`blob_announce_to_context`); the app on
 * B, which never had it, opens it by id and reads it: B fetches it from A over the sync stream protocol, checks it
 * against its id and keeps it. `GET /admin-api/blobs/:id?context_id=` fetches the same way, and a blob uploaded with
 * `PUT /admin-api/blobs?context_id=` is shared too. Only members get blobs, and only blobs announced to the context.
 *
 * None of the upstream-built corpus apps (../shared/compat/upstream-apps) imports the blob host functions, so the
 * app here is ours: apps/blob-share, built with our AssemblyScript SDK against the same host ABI.
 */
import '../../src/polyfills.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { startNode, swarmAddressOf, type TestNode } from '../helpers/node.ts';
import { api } from '../helpers/http.ts';
import { contextRpc, until } from '../helpers/until.ts';
import { shareContext } from '../helpers/share.ts';
import pino from 'pino';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { Network } from '../../src/network/index.ts';
import { newKeypair } from '../../src/node/contexts.ts';
import { decodeRequest, encodeGossip, encodeResponse } from '../../src/node/sync/codec.ts';
import { decodeId, encodeId } from '../../src/util/ids.ts';
import { blobIdOf } from '../../src/runtime/host/blobs.ts';

const APP = resolve('build/apps/blob-share.wasm');
let A: TestNode, B: TestNode, C: TestNode;
let ctx = '';
const members: Record<string, string> = {};
const rpc = contextRpc(() => ctx, members);

const hexToBase58 = (hex: string) => encodeId(Buffer.from(hex, 'hex'));
const base58ToHex = (id: string) => Buffer.from(decodeId(id)).toString('hex');

async function fetches(n: TestNode, outcome: string): Promise<number> {
  const text = (await api(n.url).get('/metrics')).text;
  return Number(new RegExp(`^merod_blob_fetches_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

async function stored(n: TestNode, id: string): Promise<boolean> {
  const list = await api(n.url).get('/admin-api/blobs');
  return list.json.data.blobs.some((b: { blob_id: string }) => b.blob_id === id);
}

before(async () => {
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'] });
  const boot = swarmAddressOf(A);
  // C is connected to A but never joins the context.
  [B, C] = await Promise.all([
    startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
    startNode({ node: 'c', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
  ]);
  await until('A sees B and C', async () => (await api(A.url).get('/admin-api/peers')).json.count === 2);
  const shared = await shareContext(APP, A, [B]);
  ctx = shared.ctx;
  Object.assign(members, shared.members);
  // On a loaded machine a join may answer before the joiner caught up (it keeps syncing in the background).
  await until('B has the context state', async () => (await rpc(B, 'id', { name: 'none' }, 'query')) === null, 120_000);
});

test('a blob the app made and announced on A is read by the app on B, fetched from A and verified', async () => {
  const text = 'a report written on A, shared as a blob ✓';
  const hex = (await rpc(A, 'put', { name: 'report', data: text })) as string;
  const id = hexToBase58(hex);
  assert.equal(id, encodeId(blobIdOf(Buffer.from(text))), 'the id the app got is the blob store id of its bytes');
  assert.ok(await stored(A, id), 'A keeps the blob once the call committed');
  assert.equal(await stored(B, id), false);

  // B learns the id through the context's state, then its app opens the blob it does not have.
  await until('B has the name', async () => (await rpc(B, 'id', { name: 'report' }, 'query')) === hex);
  assert.equal(await rpc(B, 'get', { name: 'report' }, 'query'), text);
  assert.ok(await stored(B, id), 'B stored the fetched blob');
  assert.ok((await fetches(B, 'fetched')) >= 1);
  assert.match(B.output(), /"msg":"fetched a blob from a peer"/);

  // Now local on B: the admin route serves it without asking anyone.
  const got = await api(B.url).get(`/admin-api/blobs/${id}`);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.text, text);
});

test('GET /admin-api/blobs/:id?context_id= fetches a blob uploaded and announced on A (several chunks)', async () => {
  const data = randomBytes(2 * 1024 * 1024 + 12345);
  const up = await api(A.url).put(`/admin-api/blobs?context_id=${ctx}`, data);
  assert.equal(up.status, 200, up.text);
  const id = up.json.data.blob_id as string;
  assert.equal(id, encodeId(blobIdOf(data)));

  // Without context_id B looks only locally (as upstream): not found.
  const local = await api(B.url).get(`/admin-api/blobs/${id}`);
  assert.equal(local.status, 404);
  assert.deepEqual(local.json, { error: 'Blob not found locally or in network' });

  const got = await api(B.url).get(`/admin-api/blobs/${id}?context_id=${ctx}`);
  assert.equal(got.status, 200, got.text.slice(0, 200));
  assert.equal(got.headers.get('content-length'), String(data.length));
  assert.ok(got.bytes.equals(data));
  assert.ok(await stored(B, id));

  // The app on B reads an announced upload by id too.
  const small = Buffer.from('uploaded on A with context_id');
  const up2 = await api(A.url).put(`/admin-api/blobs?context_id=${ctx}`, small);
  assert.equal(up2.status, 200, up2.text);
  assert.equal(await rpc(B, 'read', { id: base58ToHex(up2.json.data.blob_id) }, 'query'), small.toString());
});

test('only members get blobs, and only blobs announced to the context; a missing blob reads as before', async () => {
  // A blob A holds but never announced: A does not hand it to B, although B is a member.
  const secret = Buffer.from('stored on A without a context');
  const up = await api(A.url).put('/admin-api/blobs', secret);
  assert.equal(up.status, 200, up.text);
  const secretId = up.json.data.blob_id as string;
  const refused = await api(B.url).get(`/admin-api/blobs/${secretId}?context_id=${ctx}`);
  assert.equal(refused.status, 404, refused.text);
  assert.deepEqual(refused.json, { error: 'Blob not found locally or in network' });
  assert.equal(await rpc(B, 'read', { id: base58ToHex(secretId) }, 'query'), '');
  assert.equal(await stored(B, secretId), false);

  // C is no member: it cannot fetch an announced blob of the context.
  const hex = (await rpc(A, 'put', { name: 'members-only', data: 'for members' })) as string;
  const outsider = await api(C.url).get(`/admin-api/blobs/${hexToBase58(hex)}?context_id=${ctx}`);
  assert.equal(outsider.status, 404, outsider.text);
  assert.ok((await fetches(C, 'not_member')) >= 1);

  // A blob nobody has: the app reads nothing (as before sharing existed), within the call's time.
  const started = Date.now();
  assert.equal(await rpc(B, 'read', { id: '00'.repeat(32) }, 'query'), '');
  assert.ok(Date.now() - started < 10_000);
  assert.ok((await fetches(B, 'missing')) >= 1);
});

test('a member serving bytes that do not hash to the requested id is refused: nothing is stored', async () => {
  // Mallory is a member (invited by A) with a swarm of its own, connected to A and B. It announces a blob nobody
  // has and answers every blob request with other bytes.
  const mallory = newKeypair();
  const inv = await api(A.url).post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: encodeId(mallory.publicKey) });
  assert.equal(inv.status, 200, inv.text);
  const genuine = Buffer.from('the content the id stands for');
  const forged = Buffer.from('something else entirely');
  const id = blobIdOf(genuine);
  const net = await Network.start({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [swarmAddressOf(A), swarmAddressOf(B)],
    mdns: false,
    logger: pino({ level: 'silent' }),
  });
  let served = 0;
  net.onSync(async (req, _peer, send) => {
    const q = decodeRequest(req);
    if (q.type !== 'blob') return void (await send(encodeResponse({ type: 'error', message: 'not served here' })));
    served++;
    await send(encodeResponse({ type: 'chunk', found: true, last: true, data: forged }));
  });
  try {
    net.subscribe(ctx);
    await until('Mallory sees A and B on the topic', async () => net.topicPeers(ctx).length >= 2, 60_000);
    await new Promise((r) => setTimeout(r, 1500)); // mesh
    await net.publish(ctx, encodeGossip({ type: 'blob', contextId: decodeId(ctx), blobId: id, size: genuine.length }));
    const got = await api(B.url).get(`/admin-api/blobs/${encodeId(id)}?context_id=${ctx}`);
    assert.equal(got.status, 404, got.text);
    assert.ok(served >= 1, 'B asked Mallory');
    assert.ok((await fetches(B, 'invalid')) >= 1);
    assert.match(B.output(), /"msg":"a peer served a blob that was refused"/);
    assert.equal(await stored(B, encodeId(id)), false);
    assert.equal(await stored(B, encodeId(blobIdOf(forged))), false);
  } finally {
    await net.stop();
  }
});

after(async () => {
  await Promise.allSettled([A, B, C].filter(Boolean).map((n) => n.stop()));
});
