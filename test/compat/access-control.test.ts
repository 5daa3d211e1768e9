/**
 * Upstream-built access_control.wasm (the compatibility corpus) across three real nodes: its methods call the
 * context host functions, and what they ask for takes effect as upstream applies it after the call.
 *
 * - add_member: a membership entry signed by the executor; every node lists the member, and the node holding
 *   its key (made in its identity pool) can execute as it. Without ManageMembers the call succeeds and nothing
 *   changes.
 * - kick_member: the removal reaches every node; the kicked identity is refused everywhere.
 * - create_context_child: a new context on the calling node, its alias scoped to the calling context
 *   (get_child_id resolves it there, nowhere else); a second child with the same alias is refused by the app.
 * - delete_context_child: only the calling context may be deleted, on the calling node (as upstream).
 */
import '../../src/polyfills.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startNode, swarmAddressOf, type TestNode } from '../helpers/node.ts';
import { api } from '../helpers/http.ts';
import { until } from '../helpers/until.ts';
import { CORPUS, requireCorpus } from './corpus.ts';
import { createContext, joinByInvitation } from '../helpers/share.ts';
import { encodeId } from '../../src/util/ids.ts';

let A: TestNode, B: TestNode, C: TestNode;
let ctx = '';
let appId = '';
/** Each node's member of the shared context. */
const members: Record<string, string> = {};

interface RpcAnswer {
  output?: unknown;
  error?: { type: string; data?: unknown };
}

async function rpc(n: TestNode, method: string, args: unknown, executor = members[n.node]!, contextId = ctx): Promise<RpcAnswer> {
  const r = await api(n.url).post('/jsonrpc', {
    jsonrpc: '2.0',
    id: 1,
    method: 'execute',
    params: { contextId, method, argsJson: args, executorPublicKey: executor },
  });
  assert.equal(r.status, 200, r.text);
  return r.json.error ? { error: r.json.error } : { output: r.json.result.output };
}

/** The method's output; fails the test on an error. */
async function ok(n: TestNode, method: string, args: unknown, executor?: string, contextId?: string): Promise<unknown> {
  const r = await rpc(n, method, args, executor, contextId);
  assert.equal(r.error, undefined, `${n.node} ${method}: ${JSON.stringify(r.error)}`);
  return r.output;
}

const membersOn = async (n: TestNode) => (await ok(n, 'get_all_members', {})) as string[];

before(async () => {
  requireCorpus(['access_control']);
  A = await startNode({ node: 'a', initArgs: ['--no-mdns'] });
  const boot = swarmAddressOf(A);
  [B, C] = await Promise.all([
    startNode({ node: 'b', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
    startNode({ node: 'c', initArgs: ['--no-mdns', '--boot-nodes', boot] }),
  ]);
  await until('A sees B and C', async () => (await api(A.url).get('/admin-api/peers')).json.count === 2);
  ({ appId, ctx, member: members.a } = await createContext(A, join(CORPUS, 'access_control.wasm'), [...Buffer.from('{}')]));
  await joinByInvitation(A, ctx, members, [B, C]);
  for (const n of [A, B, C]) await until(`${n.node} lists the three members`, async () => (await membersOn(n)).length === 3);
});

let extra = '';

test('add_member: the member appears on every node, and the node holding its key executes as it', async () => {
  extra = (await api(B.url).post('/admin-api/identity/context')).json.data.publicKey;
  assert.deepEqual(await ok(A, 'add_member', { public_key: extra }), null);
  for (const n of [A, B, C]) {
    await until(`${n.node} lists the new member`, async () => (await membersOn(n)).includes(extra));
    assert.equal(await ok(n, 'is_member', { public_key: extra }), true);
  }
  // B held the key in its identity pool: the membership entry made it B's identity in the context.
  await until('B executes as the new member', async () => (await rpc(B, 'is_member', { public_key: extra }, extra)).output === true);
  const owned = (await api(B.url).get(`/admin-api/contexts/${ctx}/identities-owned`)).json.data.identities as string[];
  assert.ok(owned.includes(extra), JSON.stringify(owned));
  for (const n of [A, C]) assert.equal((await rpc(n, 'is_member', { public_key: extra }, extra)).error?.type, 'Unauthorized', `${n.node} has no key of it`);
});

test('add_member without ManageMembers: the call succeeds and nobody becomes a member', async () => {
  const outsider = (await api(C.url).post('/admin-api/identity/context')).json.data.publicKey;
  assert.deepEqual(await ok(B, 'add_member', { public_key: outsider }), null);
  await until('B logs the refusal', async () => /a context mutation the application asked for failed/.test(B.output()) && /author may not manage members/.test(B.output()));
  // The entry was refused where it was made, so it never left B.
  for (const n of [A, B, C]) assert.ok(!(await membersOn(n)).includes(outsider), `${n.node} lists the outsider`);
});

test('kick_member: the kicked identity is refused on every node', async () => {
  assert.deepEqual(await ok(A, 'kick_member', { public_key: extra }), null);
  for (const n of [A, B, C]) {
    await until(`${n.node} drops the kicked member`, async () => !(await membersOn(n)).includes(extra));
    assert.equal(await ok(n, 'is_member', { public_key: extra }), false);
  }
  for (const n of [A, B, C]) {
    await until(`${n.node} refuses the kicked member`, async () => (await rpc(n, 'get_all_members', {}, extra)).error?.type === 'Unauthorized');
  }
  const ids = (await api(B.url).get(`/admin-api/contexts/${ctx}/identities-owned`)).json.data.identities as string[];
  assert.ok(!ids.includes(extra));
});

let child = '';

test('create_context_child: a child context with an alias scoped to the calling context', async () => {
  assert.deepEqual(await ok(A, 'create_context_child', { protocol: 'near', app_id_base58: appId, alias: 'kid' }), null);
  child = (await ok(A, 'get_child_id', { alias: 'kid' })) as string;
  assert.equal(typeof child, 'string');
  assert.notEqual(child, ctx);
  const meta = await api(A.url).get(`/admin-api/contexts/${child}`);
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.json.data.applicationId, appId);
  // The alias is an identity alias of the parent context, as upstream registers it.
  const lookup = await api(A.url).post(`/admin-api/alias/lookup/identity/${ctx}/kid`);
  assert.equal(lookup.json.data.value, child, lookup.text);
  // The child's creator is a fresh identity of A.
  const owners = (await api(A.url).get(`/admin-api/contexts/${child}/identities-owned`)).json.data.identities as string[];
  assert.equal(owners.length, 1);
  assert.notEqual(owners[0], members.a);
  // Scoped: the child context does not see its parent's alias, and a global context alias is not resolved.
  assert.equal(await ok(A, 'get_child_id', { alias: 'kid' }, owners[0], child), null);
  const global = await api(A.url).post('/admin-api/alias/create/context', { alias: 'global-name', contextId: child });
  assert.equal(global.status, 200, global.text);
  assert.equal(await ok(A, 'get_child_id', { alias: 'global-name' }), null);
  // As upstream, a name that reads as a public key resolves to itself.
  assert.equal(await ok(A, 'get_child_id', { alias: members.b }), members.b);
  // The same alias again: the app refuses (its own check), and no second context appears.
  const before = (await api(A.url).get('/admin-api/contexts')).json.data.contexts.length;
  const again = await rpc(A, 'create_context_child', { protocol: 'near', app_id_base58: appId, alias: 'kid' });
  assert.equal(again.error?.type, 'FunctionCallError');
  // Upstream's text for an app error: the Debug form of its bytes (the JSON string the app returned).
  const refusal = `the method call returned an error: [${[...Buffer.from(JSON.stringify("Alias 'kid' already exists"))].join(', ')}]`;
  assert.equal(again.error?.data, refusal);
  assert.equal((await api(A.url).get('/admin-api/contexts')).json.data.contexts.length, before);
  // The alias is this node's record: B resolves nothing.
  assert.equal(await ok(B, 'get_child_id', { alias: 'kid' }), null);
});

test('delete_context_child: another context is refused; the calling context is deleted on the calling node', async () => {
  assert.deepEqual(await ok(A, 'delete_context_child', { context_id_base58: child }), null);
  assert.equal((await api(A.url).get(`/admin-api/contexts/${child}`)).status, 200, 'a context may only delete itself');
  assert.equal((await api(A.url).get(`/admin-api/contexts/${encodeId(new Uint8Array(32).fill(7))}`)).status, 404);
  const [owner] = (await api(A.url).get(`/admin-api/contexts/${child}/identities-owned`)).json.data.identities as string[];
  assert.deepEqual(await ok(A, 'delete_context_child', { context_id_base58: '' }, owner, child), null);
  assert.equal((await api(A.url).get(`/admin-api/contexts/${child}`)).status, 404);
  // The shared context deleting itself on B: gone there, A and C keep it and still replicate.
  assert.deepEqual(await ok(B, 'delete_context_child', { context_id_base58: '' }), null);
  assert.equal((await api(B.url).get(`/admin-api/contexts/${ctx}`)).status, 404);
  await ok(A, 'kick_member', { public_key: members.b });
  await until('C applies A\'s next change', async () => !(await membersOn(C)).includes(members.b!));
});

after(async () => {
  await Promise.allSettled([A, B, C].filter(Boolean).map((n) => n.stop()));
});
