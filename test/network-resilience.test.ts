import '../src/polyfills.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, runCli, startNode, tmpHome, type TestNode } from './helpers/node.ts';
import { api } from './helpers/http.ts';
import { contextRpc, until } from './helpers/until.ts';

// Four merod processes share a context by invitation only: no --boot-nodes, no mDNS. Each joiner dials only
// its inviter, A; the others it meets through A (Kademlia, gossip). Restarted nodes must find their peers again
// from what they stored, the surviving nodes must redial them too, and a node cut off from every other member
// must say so.

const APP = resolve('build/apps/kv-store.wasm');
const BOUND_MS = 20_000;
const home = tmpHome('merod-resilience-');
let A: TestNode, B: TestNode, C: TestNode, D: TestNode;
let ctx: string;
const members: Record<string, string> = {};

const rpc = contextRpc(() => ctx, members);

async function entriesOf(n: TestNode): Promise<string> {
  return JSON.stringify(await rpc(n, 'entries', {}, 'query'));
}

async function converged(nodes: TestNode[], expectKey?: string): Promise<boolean> {
  const all = await Promise.all(nodes.map(entriesOf));
  return all.every((e) => e === all[0]) && (!expectKey || expectKey in JSON.parse(all[0]!));
}

function peerIdOf(n: TestNode): string {
  return /peer_id = "([^"]+)"/.exec(readFileSync(join(n.dir, 'config.toml'), 'utf8'))![1]!;
}

async function metric(n: TestNode, name: string): Promise<number | undefined> {
  const text = (await api(n.url).get('/metrics')).text;
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const reachable = (n: TestNode) => metric(n, `merod_sync_context_reachable_peers{context="${ctx}"}`);

/** init with fixed ports and a 3 s isolation threshold, then run. */
async function node(name: string, env: Record<string, string> = {}): Promise<TestNode> {
  const base = ['--home', home, '--node', name];
  const init = await runCli([...base, 'init', '--no-mdns', '--server-host', '127.0.0.1', '--server-port', String(await freePort()), '--swarm-port', String(await freePort())]);
  assert.equal(init.code, 0, init.stderr);
  const cfg = await runCli([...base, 'config', 'sync.isolation_warn_ms=3000']);
  assert.equal(cfg.code, 0, cfg.stderr);
  return startNode({ home, node: name, env: { MEROD_MDNS: '0', ...env }, readyTimeoutMs: 90_000 });
}

before(async () => {
  // D never redials by itself (MEROD_PEER_REDIAL=0): after its restart only the survivors can bring it back.
  [A, B, C, D] = await Promise.all([node('a'), node('b'), node('c'), node('d', { MEROD_PEER_REDIAL: '0' })]);
});

test('four nodes share a context by invitation only', async () => {
  const a = api(A.url);
  const inst = await a.post('/admin-api/install-dev-application', { path: APP, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  ctx = created.json.data.contextId;
  members.a = created.json.data.memberPublicKey;
  for (const n of [B, C, D]) {
    members[n.node] = (await api(n.url).post('/admin-api/identity/context')).json.data.publicKey;
    const inv = await a.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: members[n.node] });
    assert.equal(inv.status, 200, inv.text);
    const joined = await api(n.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
    assert.equal(joined.status, 200, joined.text);
  }
  await rpc(A, 'set', { key: 'start', value: 'A' });
  await until('all four agree', () => converged([A, B, C, D], 'start'));
  // A, the inviter, is connected to the three others on the topic; nobody is isolated.
  await until('A reaches 3 members', async () => (await reachable(A)) === 3);
  assert.equal(await metric(A, 'merod_sync_isolated_contexts'), 0);
});

const knownPeers = async (n: TestNode): Promise<number> => (await api(n.url).get(`/admin-api/contexts/${ctx}/sync-status`)).json.data.knownPeers;

/** The node logs of a failed wait, so that a failure under load says what the nodes were doing. */
async function explained(label: string, check: () => Promise<boolean>, ms: number, nodes: TestNode[]): Promise<void> {
  try {
    await until(label, check, ms);
  } catch (err) {
    for (const n of nodes) {
      const lines = n.output().split('\n').filter((l) => /dial|peer|sync|restart|swarm|listen|error|warn/i.test(l));
      console.error(`---- ${n.node}, last lines about peers and sync:\n${lines.slice(-40).join('\n')}`);
    }
    throw err;
  }
}

test('restarted nodes reconnect without boot nodes and converge; survivors redial a restarted peer', async (t) => {
  // The survivors redial only the peers they know, and C's redial at start needs the peers it stored: each node
  // notes a peer when it joins the topic (else at the next refresh), so wait until they have.
  await until('A knows the three others, C and D know a peer', async () => (await knownPeers(A)) === 3 && (await knownPeers(C)) >= 1 && (await knownPeers(D)) >= 1);
  await Promise.all([C.stop(), D.stop()]);
  for (let i = 0; i < 20; i++) {
    await Promise.all([rpc(A, 'set', { key: `a-${i}`, value: String(i) }), rpc(B, 'set', { key: `b-${i}`, value: String(i) })]);
  }
  await until('A and B agree', () => converged([A, B], 'b-19'));

  // D cannot dial anyone: the survivors, which stored D's addresses, redial it with backoff.
  await D.restart();
  let started = Date.now();
  await explained('D converges', () => converged([A, B, D], 'b-19'), 40_000, [A, B, D]);
  const dMs = Date.now() - started;
  t.diagnostic(`D (passive) converged ${dMs} ms after its restart`);
  assert.ok(dMs < BOUND_MS, `D took ${dMs} ms`);
  const redialledD = new RegExp(`"peer":"${peerIdOf(D)}"[^\\n]*"msg":"(redialled|reconnected to) a known peer"`);
  assert.ok([A, B].some((n) => redialledD.test(n.output())), 'a survivor logs that it redialled D');
  assert.doesNotMatch(D.output().split('--- restart ---').pop()!, /redialled a known peer/);

  // C dials the addresses it stored at once.
  await rpc(A, 'set', { key: 'after-d', value: 'A' });
  await C.restart();
  started = Date.now();
  await explained('C converges', () => converged([A, B, C, D], 'after-d'), 40_000, [A, B, C, D]);
  const cMs = Date.now() - started;
  t.diagnostic(`C converged ${cMs} ms after its restart`);
  assert.ok(cMs < BOUND_MS, `C took ${cMs} ms`);
  // The survivors' redial can make C converge before C's own start-up has logged its redial (both are async).
  await explained('C logs that it redials its known peers', async () => /"msg":"redialling known peers"/.test(C.output().split('--- restart ---').pop()!), 40_000, [C]);
  // Writes made on a restarted node reach the others too.
  await rpc(C, 'set', { key: 'from-c', value: 'C' });
  await until('everyone has from-c', () => converged([A, B, C, D], 'from-c'));
});

test('a node cut off from every member reports it, then recovers when its peers return', async (t) => {
  await Promise.all([A.stop(), C.stop(), D.stop()]);
  const warning = new RegExp(`"context":"${ctx}"[^\\n]*"msg":"context has other members but no reachable peer"`);
  await until('B reports the isolation', async () => (await metric(B, 'merod_sync_isolated_contexts')) === 1 && warning.test(B.output()), 20_000);
  assert.equal(await reachable(B), 0);
  // The context's sync status says the same: no reachable peer, the three others known, since when.
  const isolated = (await api(B.url).get(`/admin-api/contexts/${ctx}/sync-status`)).json.data;
  assert.equal(isolated.reachablePeers, 0);
  assert.ok(isolated.isolatedSince !== null && Date.now() - isolated.isolatedSince >= 3_000, JSON.stringify(isolated));
  assert.deepEqual(isolated.members, { total: 4, owned: 1 });
  assert.ok(isolated.knownPeers >= 1 && isolated.peers.every((p: { reachable: boolean }) => !p.reachable), JSON.stringify(isolated.peers));
  await rpc(B, 'set', { key: 'while-isolated', value: 'B' });

  await A.restart();
  let started = Date.now();
  await until('A and B converge', () => converged([A, B], 'while-isolated'), 40_000);
  t.diagnostic(`A and B converged ${Date.now() - started} ms after A's restart`);
  await until('B is no longer isolated', async () => (await metric(B, 'merod_sync_isolated_contexts')) === 0, 10_000);
  assert.equal((await api(B.url).get(`/admin-api/contexts/${ctx}/sync-status`)).json.data.isolatedSince, null);
  assert.match(B.output(), /"msg":"context reachable again"/);

  await Promise.all([C.restart(), D.restart()]);
  started = Date.now();
  await explained('all four converge', () => converged([A, B, C, D], 'while-isolated'), 40_000, [A, B, C, D]);
  t.diagnostic(`all four converged ${Date.now() - started} ms after C and D restarted`);
});
