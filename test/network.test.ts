import '../src/polyfills.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import pino from 'pino';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { runCli, startNode, type TestNode, swarmAddressOf } from './helpers/node.ts';
import { api } from './helpers/http.ts';
import { contextRpc, until } from './helpers/until.ts';
import { Network } from '../src/network/index.ts';
import { decodeId, encodeId } from '../src/util/ids.ts';
import { newKeypair } from '../src/node/contexts.ts';
import { decodeInvitation, decodeRequest, encodeDelta, encodeGossip, encodeInvitation, encodeRequest, encodeResponse, decodeResponse, makeDelta, Hlc, authMessage, edSign } from '../src/node/sync/codec.ts';

// Three merod processes on 127.0.0.1 share a context: membership by signed entries, state by signed deltas
// over gossipsub, catch-up over the sync stream protocol.

const APP = resolve('build/apps/kv-store.wasm');
let A: TestNode, B: TestNode, C: TestNode;
let ctx: string;
const members: Record<string, string> = {};

const rpc = contextRpc(() => ctx, members);

async function stateOf(n: TestNode): Promise<{ root: string; entries: Record<string, string> }> {
  const c = await api(n.url).get(`/admin-api/contexts/${ctx}`);
  assert.equal(c.status, 200, c.text);
  return { root: c.json.data.rootHash, entries: await rpc(n, 'entries', {}, 'query') };
}

async function converged(nodes: TestNode[]): Promise<{ root: string; entries: Record<string, string> } | undefined> {
  const states = await Promise.all(nodes.map(stateOf));
  const first = JSON.stringify(states[0]);
  return states.every((s) => JSON.stringify(s) === first) ? states[0] : undefined;
}

before(async () => {
  // A announces entries above 8 KiB instead of gossiping them (the announce + fetch path of large deltas).
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'], env: { MEROD_SYNC_INLINE_MAX: '8192' } });
  const boot = swarmAddressOf(A);
  [B, C] = await Promise.all([
    startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
    startNode({ node: 'c', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
  ]);
  // B joins by replaying the DAG from the genesis; C and the late D join from a snapshot (the default).
  await B.stop();
  const cfg = await runCli(['--home', B.home, '--node', B.node, 'config', 'sync.snapshot_join=false']);
  assert.equal(cfg.code, 0, cfg.stderr);
  await B.restart();
});

test('peers: A counts B and C, the banner lists swarm addresses', async () => {
  await until('A sees 2 peers', async () => (await api(A.url).get('/admin-api/peers')).json.count === 2);
  assert.match(A.output(), /swarm\s+\/ip4\/\S+\/tcp\/\d+\/p2p\/12D3Koo/);
  assert.match((await api(A.url).get('/metrics')).text, /^merod_peers 2$/m);
});

test('A creates a context and invites B and C; they join and get the app and state from A', async () => {
  const a = api(A.url);
  const inst = await a.post('/admin-api/install-dev-application', { path: APP, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const appId = inst.json.data.applicationId;
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: appId, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  ctx = created.json.data.contextId;
  members.a = created.json.data.memberPublicKey;
  await rpc(A, 'set', { key: 'before-join', value: 'A' });

  for (const n of [B, C]) {
    const id = await api(n.url).post('/admin-api/identity/context');
    members[n.node] = id.json.data.publicKey;
    const inv = await a.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: members[n.node] });
    assert.equal(inv.status, 200, inv.text);
    const payload = inv.json.data as string;
    const decoded = decodeInvitation(payload);
    assert.equal(encodeId(decoded.contextId), ctx);
    assert.equal(encodeId(decoded.invitee), members[n.node]);
    const joined = await api(n.url).post('/admin-api/contexts/join', { invitationPayload: payload });
    assert.equal(joined.status, 200, joined.text);
    assert.deepEqual(joined.json.data, { contextId: ctx, memberPublicKey: members[n.node] });
    // The app came from A over the sync protocol (same id), and the state replays to the same root.
    const apps = await api(n.url).get('/admin-api/applications');
    assert.ok(apps.json.data.apps.some((x: { id: string }) => x.id === appId));
    assert.equal(await rpc(n, 'get', { key: 'before-join' }, 'query'), 'A');
  }
  const s = await until('three nodes agree after the joins', () => converged([A, B, C]));
  assert.deepEqual(s.entries, { 'before-join': 'A' });
  // A published its entries; B applied them (by replay) and counts them in /metrics.
  const metric = async (n: TestNode, event: string) => Number(new RegExp(`^merod_sync_entries_total\\{event="${event}"\\} (\\d+)$`, 'm').exec((await api(n.url).get('/metrics')).text)?.[1]);
  assert.ok((await metric(A, 'published')) >= 3);
  assert.ok((await metric(B, 'applied')) >= 2);
  assert.doesNotMatch(B.output(), /joined from a snapshot/);
  assert.match(C.output(), /"msg":"joined from a snapshot"/);
  const ids = await a.get(`/admin-api/contexts/${ctx}/identities`);
  assert.deepEqual(new Set(ids.json.data.identities), new Set([members.a, members.b, members.c]));
  // Unknown context: data null, as upstream without a context config.
  const none = await a.post('/admin-api/contexts/invite', { contextId: encodeId(new Uint8Array(32).fill(7)), inviterId: members.a, inviteeId: members.b });
  assert.deepEqual(none.json, { data: null });
});

test('a WebSocket subscriber on B sees events of mutations made on A', async () => {
  const ws = new WebSocket(B.url.replace('http', 'ws') + '/ws');
  const frames: any[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ id: 1, method: 'subscribe', params: { contextIds: [ctx] } }));
  await until('subscribed', async () => frames.some((f) => f.id === 1));
  await rpc(A, 'set', { key: 'evt', value: 'from-A' });
  const ev = await until('event on B', async () =>
    frames.find((f) => f.id === null && f.result?.data?.events?.some((e: any) => e.kind === 'Inserted')),
  );
  ws.close();
  assert.equal(ev.result.contextId, ctx);
  assert.equal(ev.result.type, 'StateMutation');
  const e = ev.result.data.events.find((x: any) => x.kind === 'Inserted');
  assert.deepEqual(JSON.parse(Buffer.from(e.data).toString()), { key: 'evt', value: 'from-A' });
  const aRoot = (await api(A.url).get(`/admin-api/contexts/${ctx}`)).json.data.rootHash;
  await until('B reaches A root', async () => (await api(B.url).get(`/admin-api/contexts/${ctx}`)).json.data.rootHash === aRoot);
});

test('a delta larger than the inline limit is announced and fetched over the stream protocol', async () => {
  const big = 'x'.repeat(12 * 1024); // the kv-store logs the value: at most 16 KiB
  await rpc(A, 'set', { key: 'big', value: big });
  await until('B and C have the big value', async () => {
    for (const n of [B, C]) if ((await rpc(n, 'get', { key: 'big' }, 'query')) !== big) return false;
    return true;
  });
  for (const n of [B, C]) assert.match(n.output(), /"via":"announce".*"msg":"fetched announced entries"/);
  await rpc(B, 'remove', { key: 'big' });
  await until('A sees the removal', async () => (await rpc(A, 'get', { key: 'big' }, 'query')) === null);
});

test('concurrent mutations on all three nodes converge to the same root and entries', async (t) => {
  const ROUNDS = 15;
  const before = (await stateOf(A)).entries;
  await Promise.all(
    [A, B, C].map(async (n) => {
      for (let i = 0; i < ROUNDS; i++) {
        await rpc(n, 'set', { key: `${n.node}-${i}`, value: `${n.node}:${i}` });
        await rpc(n, 'set', { key: 'shared', value: `${n.node}:${i}` });
      }
    }),
  );
  const started = Date.now();
  const s = await until('convergence', () => converged([A, B, C]), 30_000);
  t.diagnostic(`converged ${Date.now() - started} ms after the last write`);
  // Every key inserted concurrently on any node is listed by `entries` on every node (one record per key).
  const expected: Record<string, string> = { ...before };
  for (const w of ['a', 'b', 'c']) for (let i = 0; i < ROUNDS; i++) expected[`${w}-${i}`] = `${w}:${i}`;
  assert.match(s.entries.shared, /^[abc]:\d+$/);
  expected.shared = s.entries.shared;
  assert.deepEqual(s.entries, expected);
  const lens = await Promise.all([A, B, C].map((n) => rpc(n, 'len', {}, 'query')));
  assert.deepEqual(lens, [Object.keys(expected).length, Object.keys(expected).length, Object.keys(expected).length]);
  const shared = await Promise.all([A, B, C].map((n) => rpc(n, 'get', { key: 'shared' }, 'query')));
  assert.deepEqual(shared, [s.entries.shared, s.entries.shared, s.entries.shared], 'the same last writer wins everywhere');
});

test('a node stopped during mutations catches up after restart', async () => {
  await C.stop();
  for (let i = 0; i < 10; i++) {
    await Promise.all([rpc(A, 'set', { key: `offline-a-${i}`, value: String(i) }), rpc(B, 'set', { key: `offline-b-${i}`, value: String(i) })]);
  }
  await C.restart();
  const s = await until('C catches up', () => converged([A, B, C]), 30_000);
  assert.equal(s.entries['offline-a-9'], '9');
  assert.equal(s.entries['offline-b-9'], '9');
});

test('a non-member cannot inject deltas or read the context', async () => {
  const before = await stateOf(A);
  const meta = (await api(A.url).get(`/admin-api/contexts/${ctx}`)).json.data;
  const parents = (meta.dagHeads as number[][]).map((h) => Uint8Array.from(h));
  const contextId = decodeId(ctx);
  const evil = newKeypair();
  const net = await Network.start({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [swarmAddressOf(A)],
    mdns: false,
    logger: pino({ level: 'silent' }),
  });
  try {
    net.subscribe(ctx);
    await until('attacker in the topic', async () => net.topicPeers(ctx).length > 0).catch((err) => {
      const diag = { peers: net.libp2p.getPeers().length, pubsubPeers: net.libp2p.services.pubsub.getPeers().length };
      throw new Error(`${(err as Error).message} ${JSON.stringify(diag)}`);
    });
    await new Promise((r) => setTimeout(r, 1500)); // mesh
    const key = new Uint8Array(32).fill(9);
    const writes = { kind: 'writes' as const, writes: [{ key, value: Buffer.from('pwned') }] };
    // 1. A valid signature by a key that is not a member.
    const forged = makeDelta({ contextId, parents, hlc: new Hlc().now(), author: evil.publicKey, payload: { type: 'state', ops: writes }, events: null }, evil.secret);
    // 2. Claims to be member B, signed with another key.
    const spoofed = { ...forged, author: decodeId(members.b!) };
    // 3. A membership entry adding the attacker, signed by the attacker.
    const selfAdd = makeDelta(
      { contextId, parents, hlc: new Hlc().now(), author: evil.publicKey, payload: { type: 'member', op: 'add', member: evil.publicKey, capability: 0 }, events: null },
      evil.secret,
    );
    for (const d of [forged, spoofed, selfAdd]) await net.publish(ctx, encodeGossip({ type: 'delta', delta: encodeDelta(d) }));
    // The sync protocol refuses a non-member.
    const peerA = /peer_id = "([^"]+)"/.exec(readFileSync(join(A.dir, 'config.toml'), 'utf8'))![1]!;
    let answer: any;
    await net.request(
      peerA,
      encodeRequest({ type: 'heads', auth: { contextId, member: evil.publicKey, signature: edSign(evil.secret, authMessage(contextId, net.peerId, peerA)) } }),
      (f) => ((answer = decodeResponse(f)), true),
    );
    assert.deepEqual(answer, { type: 'error', message: 'not a member of this context' });
    await until('A logs the rejection', async () => /dropping a delta|dropping an invalid delta/.test(A.output()), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    for (const n of [A, B, C]) assert.deepEqual(await stateOf(n), before);
    const ids = await api(A.url).get(`/admin-api/contexts/${ctx}/identities`);
    assert.ok(!ids.json.data.identities.includes(encodeId(evil.publicKey)));
  } finally {
    await net.stop();
  }
});

test('an application update on A is a signed entry: B and C switch too (C fetches the new bytecode)', async () => {
  // The same app with an extra custom section: another blob and application id that C has never seen.
  const v2 = join(A.dir, 'kv-store-v2.wasm');
  writeFileSync(v2, Buffer.concat([readFileSync(APP), Buffer.from([0x00, 0x03, 0x02, 0x76, 0x32])]));
  const inst = await api(A.url).post('/admin-api/install-dev-application', { path: v2, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const app2 = inst.json.data.applicationId as string;
  const app1 = (await api(A.url).get(`/admin-api/contexts/${ctx}`)).json.data.applicationId as string;
  const switchApp = (n: TestNode, applicationId: string, migrateMethod?: string) =>
    api(n.url).post(`/admin-api/contexts/${ctx}/application`, { applicationId, executorPublicKey: members[n.node], migrateMethod });
  const appOf = async (n: TestNode) => (await api(n.url).get(`/admin-api/contexts/${ctx}`)).json.data.applicationId as string;

  // B is a member without ManageApplication.
  assert.equal((await api(B.url).post('/admin-api/install-dev-application', { path: v2, metadata: [] })).json.data.applicationId, app2);
  const denied = await switchApp(B, app2);
  assert.equal(denied.status, 403, denied.text);
  assert.equal(await appOf(A), app1);

  const ok = await switchApp(A, app2);
  assert.equal(ok.status, 200, ok.text);
  await until('B and C run the new application', async () => (await appOf(B)) === app2 && (await appOf(C)) === app2);
  const onC = await api(C.url).get(`/admin-api/applications/${app2}`);
  assert.equal(onC.status, 200, onC.text);
  await rpc(C, 'set', { key: 'after-update', value: 'C' });
  await until('A reads the write made on C under the new app', async () => (await rpc(A, 'get', { key: 'after-update' }, 'query')) === 'C');

  // A failed migration switches back, everywhere.
  const failed = await switchApp(A, app1, 'no_such_migration');
  assert.ok(failed.status >= 400 && failed.status < 500, failed.text);
  assert.equal(await appOf(A), app2);
  await until('B and C are back on the new application', async () => (await appOf(B)) === app2 && (await appOf(C)) === app2);
  const s = await until('all three agree after the failed migration', () => converged([A, B, C]));
  assert.equal(s.entries['after-update'], 'C');
});

test('event handlers run on receiving nodes, not on the author (kv-store-with-handlers)', async () => {
  const a = api(A.url);
  const inst = await a.post('/admin-api/install-dev-application', { path: resolve('build/apps/kv-store-with-handlers.wasm'), metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  const hctx = created.json.data.contextId as string;
  const who: Record<string, string> = { a: created.json.data.memberPublicKey };
  for (const n of [B, C]) {
    who[n.node] = (await api(n.url).post('/admin-api/identity/context')).json.data.publicKey;
    const inv = await a.post('/admin-api/contexts/invite', { contextId: hctx, inviterId: who.a, inviteeId: who[n.node] });
    assert.equal((await api(n.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data })).status, 200);
  }
  const call = async (n: TestNode, method: string, args: unknown, mode = 'execute') => {
    const r = await api(n.url).post('/jsonrpc', { jsonrpc: '2.0', id: 1, method: mode, params: { contextId: hctx, method, argsJson: args, executorPublicKey: who[n.node] } });
    assert.equal(r.json.error, undefined, r.text);
    return r.json.result.output;
  };
  const counts = () => Promise.all([A, B, C].map((n) => call(n, 'get_handler_execution_count', {}, 'query')));
  // The history before B and C joined (init) ran no handlers.
  assert.deepEqual(await counts(), [0, 0, 0]);
  // A inserts: B and C each run insert_handler once (2 runs, 3 if the author ran it too); then B updates: A and
  // C run update_handler (2 more).
  await call(A, 'set', { key: 'k', value: '1' });
  await until('2 handler runs seen everywhere', async () => (await counts()).every((c) => c === 2));
  await call(B, 'set', { key: 'k', value: '2' });
  await until('4 handler runs seen everywhere', async () => (await counts()).every((c) => c === 4));
  // No node ran a handler of its own event, and handler runs (which emit nothing) trigger nothing further.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(await counts(), [4, 4, 4]);
});

test('capabilities: grant lets B invite; revoke takes it back; leave removes C', async () => {
  const b = api(B.url);
  const extra = (await api(C.url).post('/admin-api/identity/context')).json.data.publicKey;
  const denied = await b.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.b, inviteeId: extra });
  assert.equal(denied.status, 403, denied.text);
  const g = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/grant`, { capabilities: [[members.b, 'ManageMembers']], signer_id: members.a });
  assert.equal(g.status, 200, g.text);
  assert.equal(g.text, 'null');
  await until('B may invite', async () => (await b.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.b, inviteeId: extra })).status === 200);
  const r = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/revoke`, { capabilities: [[members.b, 'ManageMembers']], signer_id: members.a });
  assert.equal(r.status, 200, r.text);
  const another = (await api(C.url).post('/admin-api/identity/context')).json.data.publicKey;
  await until('B may no longer invite', async () => (await b.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.b, inviteeId: another })).status === 403);
  const unknown = await api(A.url).post(`/admin-api/contexts/${encodeId(new Uint8Array(32).fill(5))}/capabilities/grant`, { capabilities: [[members.b, 'Proxy']], signer_id: members.a });
  assert.equal(unknown.status, 404, unknown.text);
  assert.match(unknown.json.error, /does not exist/);
  const left = await api(C.url).del(`/admin-api/contexts/${ctx}/membership`);
  assert.equal(left.status, 200, left.text);
  assert.deepEqual(left.json, { data: { isDeleted: true } });
  await until('A drops C from the members', async () => {
    const ids = (await api(A.url).get(`/admin-api/contexts/${ctx}/identities`)).json.data.identities as string[];
    return !ids.includes(members.c!);
  }).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- A ---\n${A.output().slice(-3000)}\n--- C ---\n${C.output().slice(-3000)}`);
  });
  assert.equal((await api(C.url).get(`/admin-api/contexts/${ctx}`)).status, 404);
});

test('a fresh node with no boot nodes joins right after start, through the invitation addresses alone', async () => {
  const D = await startNode({ node: 'd', initArgs: ['--no-mdns'] });
  const pk = (await api(D.url).post('/admin-api/identity/context')).json.data.publicKey;
  const inv = await api(A.url).post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: pk });
  assert.equal(inv.status, 200, inv.text);
  const joined = await api(D.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
  assert.equal(joined.status, 200, joined.text);
  members.d = pk;
  // D copies A's snapshot: membership (C left), state, merge stamps; the current app is fetched from A.
  const aState = await until('D converges with A', async () => {
    const [a, d] = await Promise.all([stateOf(A), stateOf(D)]);
    return JSON.stringify(a) === JSON.stringify(d) ? a : undefined;
  });
  assert.equal(aState.entries['before-join'], 'A');
  assert.match(D.output(), /"msg":"joined from a snapshot"/);
  // ...including the application switches.
  const appOf = async (n: TestNode) => (await api(n.url).get(`/admin-api/contexts/${ctx}`)).json.data.applicationId;
  assert.equal(await appOf(D), await appOf(A));
  const ids = (await api(D.url).get(`/admin-api/contexts/${ctx}/identities`)).json.data.identities as string[];
  assert.ok(ids.includes(members.a!) && ids.includes(members.b!) && ids.includes(pk) && !ids.includes(members.c!));
  await rpc(D, 'set', { key: 'from-d', value: 'D' });
  await until('B sees D', async () => (await rpc(B, 'get', { key: 'from-d' }, 'query')) === 'D');
});

// A member's node sits between a joiner and A and alters the snapshot it relays; the joiner must notice, refuse
// it and replay the DAG through the same peer instead (the relay passes heads and entries through unchanged).
test('a joiner refuses a tampered snapshot (state, membership or membership sets) and replays the DAG instead', async () => {
  const contextId = decodeId(ctx);
  const mallory = newKeypair();
  const peerA = /peer_id = "([^"]+)"/.exec(readFileSync(join(A.dir, 'config.toml'), 'utf8'))![1]!;
  const inviteA = async (pk: string) => {
    const r = await api(A.url).post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: pk });
    assert.equal(r.status, 200, r.text);
  };
  await inviteA(encodeId(mallory.publicKey));
  let tamper: 'state' | 'membership' | 'sets' = 'state';
  const relay = await Network.start({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [swarmAddressOf(A)], mdns: false, logger: pino({ level: 'silent' }) });
  relay.onSync(async (frame, _peer, send) => {
    const q = decodeRequest(frame);
    let served = 0;
    const auth = { contextId, member: mallory.publicKey, signature: edSign(mallory.secret, authMessage(contextId, relay.peerId, peerA)) };
    await relay.request(peerA, encodeRequest({ ...q, auth }), async (f) => {
      const r = decodeResponse(f);
      let out: Uint8Array = f;
      if (r.type === 'records' && tamper === 'state' && r.column === 'state') {
        out = encodeResponse({ ...r, records: r.records.map((x, i) => (i === 0 ? { key: x.key, value: Buffer.from('tampered') } : x)) });
      } else if (r.type === 'records' && tamper === 'sets' && r.column === 'config') {
        // Forget a membership entry in every set (e.g. to hide a removal from later authorisation checks).
        out = encodeResponse({
          ...r,
          records: r.records.map((x) => (x.key[0] === 2 ? { key: x.key, value: Buffer.from(JSON.stringify(JSON.parse(Buffer.from(x.value).toString('utf8')).slice(0, -1))) } : x)),
        });
      } else if (r.type === 'records' && tamper === 'membership' && r.column === 'config') {
        out = encodeResponse({
          ...r,
          records: r.records.map((x) => {
            if (x.key.length !== 1 || x.key[0] !== 0) return x;
            const m = JSON.parse(Buffer.from(x.value).toString('utf8'));
            m.members[encodeId(mallory.publicKey)] = [0, 1, 2];
            return { key: x.key, value: Buffer.from(JSON.stringify(m)) };
          }),
        });
      }
      await send(out);
      // The relay forwards until A's answer to this request is complete.
      if (r.type === 'records') return false;
      if (r.type === 'delta') return ++served >= (q.type === 'deltas' ? q.ids.length : 1);
      if (r.type === 'chunk') return r.last;
      return true;
    });
  });
  try {
    for (const [mode, reason] of [
      ['state', /state does not match its digest/],
      ['membership', /membership does not follow from its entries/],
      ['sets', /a membership set does not match its hash/],
    ] as const) {
      tamper = mode;
      const J = await startNode({ node: `j-${mode}`, initArgs: ['--no-mdns'] });
      const pk = (await api(J.url).post('/admin-api/identity/context')).json.data.publicKey as string;
      await inviteA(pk);
      // The invitation names the relay as the inviter: the joiner asks it, and only it, for the context.
      const payload = encodeInvitation({ contextId, invitee: decodeId(pk), protocol: 'p2p', network: relay.peerId, contractId: relay.addresses().join(',') });
      const joined = await api(J.url).post('/admin-api/contexts/join', { invitationPayload: payload });
      assert.equal(joined.status, 200, joined.text);
      members[J.node] = pk;
      await until(`${mode}: the joiner converges with A by replay`, async () => {
        const [a, j] = await Promise.all([stateOf(A), stateOf(J)]);
        return JSON.stringify(a) === JSON.stringify(j);
      });
      assert.match(J.output(), /join: snapshot failed; replaying the DAG instead/);
      assert.match(J.output(), reason);
      assert.doesNotMatch(J.output(), /joined from a snapshot/);
      const ids = (await api(J.url).get(`/admin-api/contexts/${ctx}/identities`)).json.data.identities as string[];
      assert.ok(ids.includes(encodeId(mallory.publicKey)));
      await J.stop();
    }
  } finally {
    await relay.stop();
  }
});
