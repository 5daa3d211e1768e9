import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcNode, appPath, call, type InProcNode } from './helpers/inproc.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { encodeId } from '../src/util/ids.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function meroctl(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/meroctl.js', '--node-url', url, '--output', 'json', ...args], { env: { ...process.env, MEROCTL_TOKEN: '' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// The proposal routes (upstream's proxy-contract routes) on one node, answered by the emulation: proposals and
// approvals are entries of the context's signed log, executed at the approval threshold.

const pid = (n: number) => encodeId(new Uint8Array(32).fill(n));
const setValue = (key: string, value: string) => ({ scope: 'SetContextValue', params: { key: [...Buffer.from(key)], value: [...Buffer.from(value)] } });

describe('proposals on one node', () => {
  let n: InProcNode;
  let ctx: string;
  let a: string;
  const base = () => `/admin-api/contexts/${ctx}`;
  const post = (path: string, body: unknown) => call(n.url, 'POST', base() + path, body);
  const get = (path: string) => call(n.url, 'GET', base() + path);
  const propose = (id: string, actions: unknown[], signer = a) => post('/proposals/create-and-approve', { signerId: signer, proposal: { id, author_id: signer, actions } });
  const list = async () => (await post('/proposals', { offset: 0, limit: 100 })).json.data;

  before(async () => {
    n = await startInProcNode();
    const inst = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] });
    assert.equal(inst.status, 200, inst.text);
    const created = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
    assert.equal(created.status, 200, created.text);
    ctx = created.json.data.contextId;
    a = created.json.data.memberPublicKey;
  });
  after(() => n?.stop());

  test('proxy-contract, count and the defaults of a new context', async () => {
    assert.deepEqual((await get('/proxy-contract')).json, { data: `merod-proxy:${ctx}` });
    // Upstream answers the active-proposals limit here (its proxy has no count): 10 by default.
    assert.deepEqual((await get('/proposals/count')).json, { data: 10 });
    assert.deepEqual(await list(), []);
    assert.deepEqual((await post('/proposals/context-storage-entries', { offset: 0, limit: 10 })).json, { data: [] });
  });

  test('unknown context, unknown proposal, malformed ids: upstream error shapes', async () => {
    const other = `/admin-api/contexts/${pid(9)}`;
    for (const [m, p, body] of [
      ['GET', '/proxy-contract', undefined],
      ['GET', '/proposals/count', undefined],
      ['POST', '/proposals', { offset: 0, limit: 1 }],
      ['GET', `/proposals/${pid(1)}`, undefined],
      ['POST', '/proposals/get-context-value', { key: 'k' }],
    ] as const) {
      const r = await call(n.url, m, other + p, body);
      assert.equal(r.status, 404, `${m} ${p}`);
      assert.deepEqual(r.json, { error: 'Context not found' });
    }
    const missing = await get(`/proposals/${pid(1)}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'Proposal not found' });
    assert.deepEqual((await get(`/proposals/${pid(1)}/approvals/count`)).json, { error: 'Proposal not found' });
    const bad = await get('/proposals/not-base58!/approvals/users');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^Invalid URL: /);
    const badBody = await post('/proposals', { offset: 0 });
    assert.equal(badBody.status, 400);
    assert.ok(typeof badBody.json.error === 'string');
    const unknownField = await propose(pid(1), [{ scope: 'SetNumApprovals', params: { num_approvals: 1, extra: 1 } }]);
    assert.equal(unknownField.status, 400, unknownField.text);
    const mismatch = await post('/proposals/create-and-approve', { signerId: a, proposal: { id: pid(1), author_id: pid(2), actions: [] } });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.json, { error: "the proposal's author_id must be its signerId" });
    const notOwned = await propose(pid(1), [], pid(3));
    assert.equal(notOwned.status, 400, notOwned.text);
  });

  test('with one approval needed, proposing executes at once: context values', async () => {
    const r = await propose(pid(10), [setValue('greeting', 'hello'), setValue('b', '2')]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { data: { proposal_id: pid(10), num_approvals: 1 } });
    assert.deepEqual(await list(), []);
    assert.deepEqual((await post('/proposals/get-context-value', { key: 'greeting' })).json, { data: [...Buffer.from('hello')] });
    const missing = await post('/proposals/get-context-value', { key: 'nope' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'Context value not found' });
    assert.deepEqual((await post('/proposals/context-storage-entries', { offset: 1, limit: 5 })).json, { data: [{ key: [...Buffer.from('b')], value: [...Buffer.from('2')] }] });
  });

  test('actions that need a chain are recorded and answered with a needs-a-chain error, then deleted by their author', async () => {
    const transfer = { scope: 'Transfer', params: { receiver_id: 'bob.near', amount: 5 } };
    const r = await propose(pid(11), [transfer]);
    assert.equal(r.status, 501);
    assert.match(r.json.error, /needs a chain/);
    assert.deepEqual(await list(), [{ id: pid(11), author_id: a, actions: [transfer] }]);
    assert.deepEqual((await get(`/proposals/${pid(11)}`)).json, { data: { id: pid(11), author_id: a, actions: [transfer] } });
    assert.deepEqual((await get(`/proposals/${pid(11)}/approvals/count`)).json, { data: { proposal_id: pid(11), num_approvals: 0 } });
    const again = await post('/proposals/approve', { signerId: a, proposalId: pid(11) });
    assert.equal(again.status, 501);
    assert.match(again.json.error, /needs a chain/);
    const dup = await propose(pid(11), [setValue('x', 'y')]);
    assert.deepEqual([dup.status, dup.json], [409, { error: 'Proposal already exists' }]);
    const del = await propose(pid(12), [{ scope: 'DeleteProposal', params: { proposal_id: pid(11) } }]);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(await list(), []);
    const gone = await propose(pid(13), [{ scope: 'DeleteProposal', params: { proposal_id: pid(11) } }]);
    assert.deepEqual([gone.status, gone.json], [404, { error: 'Proposal to delete does not exist' }]);
  });

  test('an application proposes through send_proposal (JSON-RPC), executed after its call commits', async () => {
    const rpc = await call(n.url, 'POST', '/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: ctx, method: 'propose_context_value', argsJson: { key: 'from-app', value: 'v1' }, executorPublicKey: a } });
    assert.equal(rpc.status, 200, rpc.text);
    assert.equal(rpc.json.error, undefined, rpc.text);
    assert.match(rpc.json.result.output, /^[0-9a-f]{64}$/);
    assert.deepEqual((await post('/proposals/get-context-value', { key: 'from-app' })).json, { data: [...Buffer.from('v1')] });
  });

  test('a threshold of two: the proposal waits, its author cannot approve twice, the limit applies', async () => {
    assert.equal((await propose(pid(20), [{ scope: 'SetNumApprovals', params: { num_approvals: 2 } }, { scope: 'SetActiveProposalsLimit', params: { active_proposals_limit: 1 } }])).status, 200);
    assert.deepEqual((await get('/proposals/count')).json, { data: 1 });
    const r = await propose(pid(21), [setValue('greeting', 'bye')]);
    assert.deepEqual(r.json, { data: { proposal_id: pid(21), num_approvals: 1 } });
    assert.deepEqual((await get(`/proposals/${pid(21)}/approvals/users`)).json, { data: [a] });
    const twice = await post('/proposals/approve', { signerId: a, proposalId: pid(21) });
    assert.deepEqual([twice.status, twice.json], [409, { error: 'Already confirmed this proposal with this key' }]);
    const limit = await propose(pid(22), [setValue('c', '3')]);
    assert.deepEqual([limit.status, limit.json], [409, { error: 'Account has too many active proposals. Confirm or delete some.' }]);
    assert.deepEqual((await post('/proposals/get-context-value', { key: 'greeting' })).json, { data: [...Buffer.from('hello')] });
    // meroctl context proposals: the same routes.
    const ls = await meroctl(n.url, ['context', 'proposals', 'ls', '-c', ctx]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(JSON.parse(ls.stdout).data.map((p: { id: string }) => p.id), [pid(21)]);
    const view = await meroctl(n.url, ['context', 'proposals', 'view', pid(21), '-c', ctx]);
    assert.equal(view.code, 0, view.stderr);
    assert.deepEqual(JSON.parse(view.stdout).approvers, [a]);
    const approve = await meroctl(n.url, ['context', 'proposals', 'approve', '--proposal-id', pid(21), '-c', ctx]);
    assert.notEqual(approve.code, 0);
    assert.match(approve.stderr, /Already confirmed/);
    const file = join(mkdtempSync(join(tmpdir(), 'proposal-')), 'p.json');
    writeFileSync(file, JSON.stringify({ id: pid(22), author_id: a, actions: [{ scope: 'DeleteProposal', params: { proposal_id: pid(21) } }] }));
    const del = await meroctl(n.url, ['context', 'proposals', 'create-and-approve', '--proposal-file', file, '-c', ctx]);
    assert.equal(del.code, 0, del.stderr);
    assert.deepEqual(await list(), []);
    // The proxy state is rebuilt from the stored entries after a restart.
    await n.restart();
    assert.deepEqual((await get('/proposals/count')).json, { data: 1 });
    assert.deepEqual((await post('/proposals/get-context-value', { key: 'greeting' })).json, { data: [...Buffer.from('hello')] });
  });
});

describe('proposals in embedded auth mode', () => {
  let n: InProcNode;
  before(async () => {
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' });
  });
  after(() => n?.stop());

  test('every proposal route wants a token (401, empty body); with an admin token it answers', async () => {
    const ctx = pid(7);
    const routes: Array<[string, string, unknown]> = [
      ['GET', `/proposals/${pid(1)}/approvals/count`, undefined],
      ['GET', `/proposals/${pid(1)}/approvals/users`, undefined],
      ['GET', '/proposals/count', undefined],
      ['POST', '/proposals', { offset: 0, limit: 1 }],
      ['POST', '/proposals/create-and-approve', { signerId: pid(1), proposal: { id: pid(2), author_id: pid(1), actions: [] } }],
      ['POST', '/proposals/approve', { signerId: pid(1), proposalId: pid(2) }],
      ['GET', `/proposals/${pid(1)}`, undefined],
      ['POST', '/proposals/get-context-value', { key: 'k' }],
      ['POST', '/proposals/context-storage-entries', { offset: 0, limit: 1 }],
      ['GET', '/proxy-contract', undefined],
    ];
    const login = await call(n.url, 'POST', '/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'proposals-test'));
    assert.equal(login.status, 200, login.text);
    const auth = { authorization: `Bearer ${login.json.data.access_token}` };
    for (const [m, p, body] of routes) {
      const path = `/admin-api/contexts/${ctx}${p}`;
      const r = await call(n.url, m, path, body);
      assert.equal(r.status, 401, `${m} ${p}`);
      assert.equal(r.text, '');
      const ok = await call(n.url, m, path, body, auth);
      assert.equal(ok.status, 404, `${m} ${p}: ${ok.text}`);
      assert.deepEqual(ok.json, { error: 'Context not found' });
    }
  });
});

