import '../src/polyfills.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runNodeScript, startNode, type TestNode, swarmAddressOf } from './helpers/node.ts';
import { api } from './helpers/http.ts';
import { contextRpc, until } from './helpers/until.ts';
import { encodeId } from '../src/util/ids.ts';
import { buildDashboard } from '../web/admin-dashboard/build.ts';
import { launch } from './helpers/chromium.ts';

// Two merod processes share a context of sync-picky, an app whose replay of other nodes' changes
// (`__calimero_sync_next`) refuses any change that mentions "poison". A's poisoned write is applied on B without
// its state changes: B's sync status (GET /admin-api/contexts/:id/sync-status, meroctl context sync-status)
// and its dashboard list it with the reason, a re-sync retries it in vain, and switching the context to kv-store on B (the update
// route) lets it through. The status also shows B's peers, and that B is isolated once A is gone.

const PICKY = resolve('build/apps/sync-picky.wasm');
const KV = resolve('build/apps/kv-store.wasm');
let A: TestNode, B: TestNode;
let ctx: string;
const members: Record<string, string> = {};
const rpc = contextRpc(() => ctx, members);

async function status(n: TestNode): Promise<any> {
  const r = await api(n.url).get(`/admin-api/contexts/${ctx}/sync-status`);
  assert.equal(r.status, 200, r.text);
  return r.json.data;
}

async function install(n: TestNode, path: string): Promise<string> {
  const r = await api(n.url).post('/admin-api/install-dev-application', { path, metadata: [] });
  assert.equal(r.status, 200, r.text);
  return r.json.data.applicationId;
}

before(async () => {
  // B serves the dashboard built from the current sources (into a temporary directory).
  const webDir = mkdtempSync(join(tmpdir(), 'sync-status-dashboard-'));
  process.once('exit', () => rmSync(webDir, { recursive: true, force: true }));
  await buildDashboard({ outDir: webDir });
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'] });
  B = await startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', swarmAddressOf(A)], env: { CALIMERO_WEBUI_PATH: webDir } });
});

test('a context shared by two nodes: the status shows members, peers, heads and the last sync', async () => {
  const created = await api(A.url).post('/admin-api/contexts', { protocol: 'near', applicationId: await install(A, PICKY), initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  ctx = created.json.data.contextId;
  members.a = created.json.data.memberPublicKey;
  members.b = (await api(B.url).post('/admin-api/identity/context')).json.data.publicKey;
  const inv = await api(A.url).post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members.a, inviteeId: members.b });
  assert.equal(inv.status, 200, inv.text);
  const joined = await api(B.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
  assert.equal(joined.status, 200, joined.text);

  await rpc(A, 'set', { key: 'fine', value: 'A' });
  await until('B has the first write', async () => (await rpc(B, 'get', { key: 'fine' }, 'query')) === 'A');
  const s = await until('B has synced with A', async () => {
    const st = await status(B);
    return st.reachablePeers === 1 && st.lastSync !== null && st.lastApplied !== null ? st : null;
  });
  assert.equal(s.contextId, ctx);
  assert.deepEqual(s.members, { total: 2, owned: 1 });
  assert.deepEqual(s.failed, []);
  assert.equal(s.pending, 0);
  assert.equal(s.isolatedSince, null);
  assert.deepEqual(s.heads, (await api(B.url).get(`/admin-api/contexts/${ctx}`)).json.data.dagHeads.map((h: number[]) => encodeId(Uint8Array.from(h))));
  const peerA = /peer_id = "([^"]+)"/.exec(readFileSync(join(A.dir, 'config.toml'), 'utf8'))![1]!;
  const row = s.peers.find((p: { peerId: string }) => p.peerId === peerA);
  assert.ok(row?.reachable, JSON.stringify(s.peers));
  assert.ok(row.lastSync > Date.now() - 120_000 && row.lastSync <= Date.now(), 'last sync is a recent unix time in ms');

  // Unknown and malformed contexts, as the other context routes answer them.
  const unknown = await api(B.url).get(`/admin-api/contexts/${encodeId(new Uint8Array(32).fill(3))}/sync-status`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.json, { error: 'Context not found' });
  const bad = await api(B.url).get('/admin-api/contexts/not-an-id/sync-status');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /^Invalid URL: /);
});

test('a delta whose merge fails on B is listed with its reason; its descendants still apply', async () => {
  await rpc(A, 'set', { key: 'bad', value: 'poison' });
  await rpc(A, 'set', { key: 'after', value: 'A' });
  await until('B applied the write after the poisoned one', async () => (await rpc(B, 'get', { key: 'after' }, 'query')) === 'A');
  assert.equal(await rpc(B, 'get', { key: 'bad' }, 'query'), null, 'the failed merge left B without the value');
  assert.equal(await rpc(A, 'get', { key: 'bad' }, 'query'), 'poison', 'A made the write itself');
  const s = await status(B);
  assert.equal(s.failed.length, 1, JSON.stringify(s.failed));
  const [f] = s.failed;
  assert.equal(f.author, members.a);
  assert.match(f.reason, /sync-picky refuses a change that mentions poison/);
  assert.equal(f.attempts, 1);
  assert.ok(f.since <= f.lastTriedAt && f.since > Date.now() - 120_000);
  assert.deepEqual((await status(A)).failed, []);
  assert.match(B.output(), /"msg":"a delta was applied without its state changes/);

  // meroctl shows the same status, as JSON and for people.
  const meroctl = (...args: string[]) => runNodeScript('bin/meroctl.js', ['--node-url', B.url, ...args]);
  const asJson = await meroctl('--output', 'json', 'context', 'sync-status', ctx);
  assert.equal(asJson.code, 0, asJson.stderr);
  const viaCli = JSON.parse(asJson.stdout);
  assert.deepEqual(viaCli.failed, s.failed);
  assert.deepEqual(viaCli.members, { total: 2, owned: 1 });
  const human = await meroctl('context', 'sync-status', ctx);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^peers {10}1 reachable, \d+ known$/m);
  assert.match(human.stdout, new RegExp(`^failed {9}1 .*\\n  ${f.id}  by ${members.a}  since \\S+  attempts 1: .*mentions poison`, 'm'));

  // B's dashboard lists it; its re-sync button (POST /admin-api/contexts/sync/:id) retries the merge, which the
  // app still refuses, so the record stays with one more attempt.
  const browser = await launch();
  try {
    const { page } = browser;
    await page.goto(`${B.url}/admin-dashboard/contexts/${ctx}`);
    const card = page.getByTestId('sync-status');
    const row = card.getByTestId('sync-failed-row');
    await row.waitFor({ timeout: 20_000 });
    assert.match((await row.textContent()) ?? '', /sync-picky refuses a change that mentions poison/);
    assert.equal(await card.getByTestId('sync-failed-count').getAttribute('data-count'), '1');
    assert.equal(await card.getByTestId('sync-reachable').getAttribute('data-reachable'), '1');
    await card.getByTestId('sync-retry').click();
    await card.getByTestId('sync-retry-success').waitFor({ timeout: 10_000 });
    await until('the dashboard shows the second attempt', async () => (await row.locator('td[data-label=Attempts]').textContent()) === '2', 20_000);
  } finally {
    await browser.close();
  }
  const again = await status(B);
  assert.equal(again.failed.length, 1);
  assert.equal(again.failed[0].id, f.id);
  assert.equal(again.failed[0].attempts, 2);
  assert.equal(again.failed[0].since, f.since);
});

test('a fix lets it through: switching the context to kv-store on B merges the failed delta', async () => {
  const kv = await install(B, KV);
  assert.equal(await install(A, KV), kv, 'the same application on both nodes');
  // B's member may switch the application once A grants it ManageApplication.
  const g = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/grant`, { capabilities: [[members.b, 'ManageApplication']], signer_id: members.a });
  assert.equal(g.status, 200, g.text);
  const switched = await until('B may switch the application', async () => {
    const r = await api(B.url).post(`/admin-api/contexts/${ctx}/application`, { applicationId: kv, executorPublicKey: members.b });
    return r.status === 200 ? r : null;
  });
  assert.deepEqual(switched.json, { data: null });
  await until('B merged the failed delta', async () => (await status(B)).failed.length === 0);
  assert.equal(await rpc(B, 'get', { key: 'bad' }, 'query'), 'poison');
  assert.match(B.output(), /"msg":"failed deltas merged on retry"/);
  // Both nodes hold the same state again (kv-store lists it).
  await until('A switched too and both agree', async () => {
    const [a, b] = await Promise.all([rpc(A, 'entries', {}, 'query'), rpc(B, 'entries', {}, 'query')]);
    return JSON.stringify(a) === JSON.stringify(b) && a.bad === 'poison';
  });
  // While B held a failed merge its heartbeats said its root is no measure of its data: A, the author of the write
  // B refused, never replaced its state with B's incomplete one (which lost the write on both nodes).
  assert.doesNotMatch(A.output(), /repaired a diverged context/);
});

test('B, cut off from A, shows the isolation in its status and metrics', async () => {
  await A.stop();
  const s = await until(
    'B reports the isolation',
    async () => {
      const st = await status(B);
      return st.reachablePeers === 0 && st.isolatedSince !== null ? st : null;
    },
    30_000,
  );
  assert.ok(s.knownPeers >= 1, 'B still knows A');
  assert.ok(s.peers.length >= 1 && s.peers.every((p: { reachable: boolean }) => !p.reachable));
  assert.ok(s.lastSync !== null, 'the last sync before A left is kept');
  assert.match((await api(B.url).get('/metrics')).text, new RegExp(`^merod_sync_context_reachable_peers\\{context="${ctx}"\\} 0$`, 'm'));
  await A.restart();
  await until('B reaches A again', async () => {
    const st = await status(B);
    return st.reachablePeers === 1 && st.isolatedSince === null;
  }, 40_000);
});
