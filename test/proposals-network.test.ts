import '../src/polyfills.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { startNode, type TestNode, swarmAddressOf } from './helpers/node.ts';
import { api } from './helpers/http.ts';
import { contextRpc, until } from './helpers/until.ts';
import { joinByInvitation } from './helpers/share.ts';
import { encodeId } from '../src/util/ids.ts';

// Three merod processes share a context; its emulated proxy contract replicates with the context's log: a
// proposal made on B (by the application, through send_proposal) and approved on C runs on every node.

const APP = resolve('build/apps/kv-store.wasm');
let A: TestNode, B: TestNode, C: TestNode;
let ctx: string;
const members: Record<string, string> = {};
const rpc = contextRpc(() => ctx, members);
const pid = (n: number) => encodeId(new Uint8Array(32).fill(n));

const post = (n: TestNode, path: string, body: unknown) => api(n.url).post(`/admin-api/contexts/${ctx}${path}`, body as Record<string, unknown>);
const proposals = async (n: TestNode) => (await post(n, '/proposals', { offset: 0, limit: 100 })).json.data as Array<{ id: string; author_id: string }>;
const value = async (n: TestNode, key: string) => {
  const r = await post(n, '/proposals/get-context-value', { key });
  return r.status === 200 ? Buffer.from(r.json.data as number[]).toString() : undefined;
};

before(async () => {
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'] });
  const boot = swarmAddressOf(A);
  [B, C] = await Promise.all([
    startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
    startNode({ node: 'c', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
  ]);
  const a = api(A.url);
  const inst = await a.post('/admin-api/install-dev-application', { path: APP, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  ctx = created.json.data.contextId;
  members.a = created.json.data.memberPublicKey;
  // Before anyone joins: two approvals needed from now on (one approval, A's own, runs this proposal).
  const raise = await post(A, '/proposals/create-and-approve', { signerId: members.a, proposal: { id: pid(1), author_id: members.a, actions: [{ scope: 'SetNumApprovals', params: { num_approvals: 2 } }] } });
  assert.equal(raise.status, 200, raise.text);
  await joinByInvitation(A, ctx, members, [B, C]);
});

test('a proposal made by the app on B and approved on C runs on every node', async () => {
  // The joiners got the proxy state with the context: two approvals needed, so B's own proposal waits.
  const waiting = await post(B, '/proposals/create-and-approve', { signerId: members.b, proposal: { id: pid(40), author_id: members.b, actions: [] } });
  assert.equal(waiting.status, 200, waiting.text);
  assert.deepEqual(waiting.json.data, { proposal_id: pid(40), num_approvals: 1 });
  await until("B's waiting proposal reaches A", async () => (await proposals(A)).some((p) => p.id === pid(40)));
  const hex = (await rpc(B, 'propose_context_value', { key: 'motto', value: 'agreed' })) as string;
  const id = encodeId(Buffer.from(hex, 'hex'));
  await until('C sees B\'s proposal', async () => (await proposals(C)).some((p) => p.id === id));
  assert.deepEqual((await api(C.url).get(`/admin-api/contexts/${ctx}/proposals/${id}/approvals/users`)).json, { data: [members.b] });
  assert.equal(await value(C, 'motto'), undefined);
  const approved = await post(C, '/proposals/approve', { signerId: members.c, proposalId: id });
  assert.equal(approved.status, 200, approved.text);
  assert.deepEqual(approved.json, { data: { proposal_id: id, num_approvals: 2 } });
  for (const n of [A, B, C]) {
    await until(`${n.node} ran the proposal`, async () => (await value(n, 'motto')) === 'agreed' && !(await proposals(n)).some((p) => p.id === id), 60_000);
  }
  // The same proxy state everywhere.
  const states = await Promise.all([A, B, C].map(async (n) => JSON.stringify([await proposals(n), (await post(n, '/proposals/context-storage-entries', { offset: 0, limit: 100 })).json])));
  assert.equal(new Set(states).size, 1, states.join('\n'));
});

test('an approval through the application (approve_proposal) counts like one over HTTP', async () => {
  const r = await post(A, '/proposals/create-and-approve', { signerId: members.a, proposal: { id: pid(50), author_id: members.a, actions: [{ scope: 'SetContextValue', params: { key: [...Buffer.from('k2')], value: [1, 2] } }] } });
  assert.equal(r.status, 200, r.text);
  await until('B sees A\'s proposal', async () => (await proposals(B)).some((p) => p.id === pid(50)));
  await rpc(B, 'approve', { id: Buffer.from(new Uint8Array(32).fill(50)).toString('hex') });
  for (const n of [A, B, C]) {
    await until(`${n.node} has k2`, async () => {
      const v = await post(n, '/proposals/get-context-value', { key: 'k2' });
      return v.status === 200 && JSON.stringify(v.json.data) === '[1,2]';
    }, 60_000);
  }
});
