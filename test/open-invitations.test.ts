import '../src/polyfills.ts';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { runNodeScript, startNode, type TestNode } from './helpers/node.ts';
import { launch } from './helpers/chromium.ts';
import { api } from './helpers/http.ts';
import { passwordTokenRequest } from './helpers/auth.ts';
import { contextRpc, until } from './helpers/until.ts';
import { encodeId } from '../src/util/ids.ts';

// Open invitations (issue #16 item 2) across three merod processes: A (embedded mero-auth) signs one invitation
// naming no invitee; B and C join with that same invitation; the inviter's node adds each joiner to the signed
// membership log, so all three list them and they can execute. Expired and tampered invitations are refused.

const APP = resolve('build/apps/kv-store.wasm');
let A: TestNode, B: TestNode, C: TestNode;
let ctx: string;
const members: Record<string, string> = {};
let admin: Record<string, string>;

const rpc = contextRpc(() => ctx, members);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

before(async () => {
  [A, B, C] = await Promise.all([
    startNode({ node: 'a', initArgs: ['--no-mdns', '--auth-mode', 'embedded', '--auth-storage', 'memory'] }),
    startNode({ node: 'b', initArgs: ['--no-mdns'] }),
    startNode({ node: 'c', initArgs: ['--no-mdns'] }),
  ]);
  const login = await api(A.url).post('/auth/token', passwordTokenRequest('admin', 'correct horse battery', 'open-invitations'));
  assert.equal(login.status, 200, login.text);
  admin = bearer(login.json.data.access_token);
});

const invite = (body: unknown, headers = admin) => api(A.url).post('/admin-api/contexts/invite_by_open_invitation', body as Record<string, unknown>, headers);
const join = (n: TestNode, invitation: unknown, newMemberPublicKey: string) =>
  api(n.url).post('/admin-api/contexts/join_by_open_invitation', { invitation, newMemberPublicKey } as Record<string, unknown>);
const poolIdentity = async (n: TestNode) => (await api(n.url).post('/admin-api/identity/context')).json.data.publicKey as string;

test('A signs an open invitation: upstream SignedOpenInvitation, validation and auth as upstream', async () => {
  const a = api(A.url);
  const inst = await a.post('/admin-api/install-dev-application', { path: APP, metadata: [] }, admin);
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] }, admin);
  assert.equal(created.status, 200, created.text);
  ctx = created.json.data.contextId;
  members.a = created.json.data.memberPublicKey;
  await until('A executes', async () => {
    const r = await a.post('/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'execute', params: { contextId: ctx, method: 'set', argsJson: { key: 'k', value: 'A' }, executorPublicKey: members.a } }, admin);
    return r.status === 200 && !r.json.error;
  });

  const r = await invite({ contextId: ctx, inviterId: members.a, validForBlocks: 600 });
  assert.equal(r.status, 200, r.text);
  const s = r.json.data;
  assert.deepEqual(Object.keys(s), ['invitation', 'inviter_signature']);
  assert.equal(encodeId(Uint8Array.from(s.invitation.inviter_identity)), members.a);
  assert.equal(encodeId(Uint8Array.from(s.invitation.context_id)), ctx);
  assert.equal(s.invitation.secret_salt.length, 32);
  assert.equal(s.invitation.protocol, 'p2p');
  assert.match(s.inviter_signature, /^[0-9a-f]{128}$/);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(s.invitation.expiration_height - (now + 600)) <= 5, String(s.invitation.expiration_height));

  // Unknown context: {"data":null}, as upstream without a context config.
  const none = await invite({ contextId: encodeId(new Uint8Array(32).fill(7)), inviterId: members.a, validForBlocks: 10 });
  assert.deepEqual([none.status, none.json], [200, { data: null }]);
  // upstream's MAX_VALID_FOR_BLOCKS (one year).
  const long = await invite({ contextId: ctx, inviterId: members.a, validForBlocks: 31_536_001 });
  assert.deepEqual([long.status, long.json], [400, { error: "Field 'valid_for_blocks' value exceeds maximum of 31536000" }]);
  // Embedded mero-auth: no token → 401; a key without the admin permission (upstream names none for these
  // routes) → 403, on both routes.
  assert.equal((await invite({ contextId: ctx, inviterId: members.a, validForBlocks: 10 }, {})).status, 401);
  const key = await a.post('/admin/client-key', { permissions: [`context:list[${ctx}]`] }, admin);
  assert.equal(key.status, 200, key.text);
  const scoped = bearer(key.json.data.access_token);
  assert.equal((await invite({ contextId: ctx, inviterId: members.a, validForBlocks: 10 }, scoped)).status, 403);
  const joinScoped = await a.post('/admin-api/contexts/join_by_open_invitation', { invitation: s, newMemberPublicKey: members.a }, scoped);
  assert.equal(joinScoped.status, 403);
});

test('B and C join with the same invitation; every node lists them and they execute', async () => {
  const s = (await invite({ contextId: ctx, inviterId: members.a, validForBlocks: 600 })).json.data;
  for (const n of [B, C]) {
    members[n.node] = await poolIdentity(n);
    const r = await join(n, s, members[n.node]!);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data, { contextId: ctx, memberPublicKey: members[n.node] });
    assert.equal(await rpc(n, 'get', { key: 'k' }, 'query'), 'A');
  }
  const all = new Set([members.a, members.b, members.c]);
  for (const [n, h] of [[A, admin], [B, {}], [C, {}]] as const) {
    await until(`${n.node} lists the three members`, async () => {
      const ids = await api(n.url).get(`/admin-api/contexts/${ctx}/identities`, h);
      return ids.status === 200 && ids.json.data.identities.length === 3 && ids.json.data.identities.every((x: string) => all.has(x));
    });
  }
  await rpc(B, 'set', { key: 'from', value: 'B' });
  await rpc(C, 'set', { key: 'also', value: 'C' });
  await until('A sees what B and C wrote', async () => {
    const r = await api(A.url).post('/jsonrpc', { jsonrpc: '2.0', id: 1, method: 'query', params: { contextId: ctx, method: 'entries', argsJson: {}, executorPublicKey: members.a } }, admin);
    const e = r.json?.result?.output;
    return e && e.from === 'B' && e.also === 'C';
  });
  // Joining again with the same invitation and member is harmless.
  const again = await join(B, s, members.b!);
  assert.equal(again.status, 200, again.text);
});

test('an expired or tampered invitation is refused with upstream\'s error shape ({"error":…})', async () => {
  const pk = await poolIdentity(C);
  const fresh = async (validForBlocks: number) => (await invite({ contextId: ctx, inviterId: members.a, validForBlocks })).json.data;

  const expired = await fresh(1);
  await new Promise((r) => setTimeout(r, 2100));
  const late = await join(C, expired, pk);
  assert.deepEqual([late.status, late.json], [400, { error: 'invalid open invitation: it has expired' }]);

  const s = await fresh(600);
  const longer = { ...s, invitation: { ...s.invitation, expiration_height: s.invitation.expiration_height + 1_000_000 } };
  const otherSalt = { ...s, invitation: { ...s.invitation, secret_salt: s.invitation.secret_salt.map((b: number) => b ^ 1) } };
  for (const bad of [longer, otherSalt]) {
    const r = await join(C, bad, pk);
    assert.deepEqual([r.status, r.json], [400, { error: "invalid open invitation: the inviter's signature does not match the invitation" }]);
  }
  const garbled = await join(C, { ...s, inviter_signature: 'xyz' }, pk);
  assert.equal(garbled.status, 400);
  assert.match(garbled.json.error, /inviter_signature is not 64 bytes of hex/);
  // A signature by someone else than the named inviter.
  const impostor = await join(C, { ...s, invitation: { ...s.invitation, inviter_identity: [...Buffer.alloc(32, 9)] } }, pk);
  assert.equal(impostor.status, 400);
  // Not in the pool.
  const stranger = await join(C, s, encodeId(new Uint8Array(32).fill(3)));
  assert.equal(stranger.status, 400);
  assert.match(stranger.json.error, /not found in the identity pool/);

  // Nobody joined: still three members everywhere.
  const ids = await api(A.url).get(`/admin-api/contexts/${ctx}/identities`, admin);
  assert.equal(ids.json.data.identities.length, 3);
  assert.ok(!ids.json.data.identities.includes(pk));
});

test('the inviter node lists what it signed and who joined; a revoked invitation is refused (HTTP, meroctl, dashboard)', async () => {
  // A's first shared invitation was used by B and C.
  const onA = await api(A.url).get(`/admin-api/contexts/${ctx}/open-invitations`, admin);
  assert.equal(onA.status, 200, onA.text);
  const shared = onA.json.data.find((i: { joinedCount: number }) => i.joinedCount === 2);
  assert.ok(shared, JSON.stringify(onA.json.data));
  assert.deepEqual(new Set(shared.joined.map((j: { memberPublicKey: string }) => j.memberPublicKey)), new Set([members.b, members.c]));
  assert.equal(shared.inviterId, members.a);
  assert.equal(shared.salt, encodeId(Uint8Array.from(shared.invitation.invitation.secret_salt)));
  assert.equal(shared.expiresAt, shared.invitation.invitation.expiration_height * 1000);
  assert.equal(shared.revokedAt, null);
  assert.equal((await api(A.url).get(`/admin-api/contexts/${ctx}/open-invitations`)).status, 401);
  const unknownCtx = await api(A.url).get(`/admin-api/contexts/${encodeId(new Uint8Array(32).fill(7))}/open-invitations`, admin);
  assert.deepEqual([unknownCtx.status, unknownCtx.json], [404, { error: 'Context not found' }]);
  const unknownSalt = await api(A.url).del(`/admin-api/contexts/${ctx}/open-invitations/${encodeId(new Uint8Array(32).fill(5))}`, undefined, admin);
  assert.deepEqual([unknownSalt.status, unknownSalt.json], [404, { error: 'Open invitation not found' }]);

  // B (proxy mode, no login) gets ManageMembers and signs one from its dashboard; C joins with it; B revokes it there.
  const grant = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/grant`, { capabilities: [[members.b, 'ManageMembers']], signer_id: members.a }, admin);
  assert.equal(grant.status, 200, grant.text);
  const b = api(B.url);
  await until('B may manage members', async () => {
    const r = await b.get(`/admin-api/contexts/${ctx}/identities`);
    return r.status === 200 && (await b.post('/admin-api/contexts/invite_by_open_invitation', { contextId: ctx, inviterId: members.b, validForBlocks: 60 })).status === 200;
  });
  const listB = async () => (await b.get(`/admin-api/contexts/${ctx}/open-invitations`)).json.data as Array<Record<string, any>>;
  const before = (await listB()).length;
  const browser = await launch();
  try {
    const { page } = browser;
    await page.goto(`${B.url}/admin-dashboard/contexts/${ctx}`);
    const card = page.getByTestId('open-invitations');
    await card.getByTestId('open-invitation-hours').fill('2');
    await card.getByTestId('open-invitation-create').click();
    const shown = card.getByTestId('open-invitation-json').locator('textarea');
    await shown.waitFor({ timeout: 20_000 });
    const fromDashboard = JSON.parse(await shown.inputValue());
    const made = await listB();
    assert.equal(made.length, before + 1);
    assert.deepEqual(made[0]!.invitation, fromDashboard, 'newest first, as the dashboard showed it');
    assert.ok(Math.abs(made[0]!.expiresAt - (Date.now() + 2 * 3600_000)) < 60_000);

    // C joins by pasting it into its own dashboard's Join card (which makes a pool identity for it).
    const onC = await browser.context.newPage();
    await onC.goto(`${C.url}/admin-dashboard/contexts`);
    await onC.getByTestId('join-payload').fill(JSON.stringify(fromDashboard));
    await onC.getByTestId('join-submit').click();
    await onC.getByTestId('join-success').waitFor({ timeout: 30_000 });
    const pk = (await onC.getByTestId('new-identity-key').textContent())?.trim() ?? '';
    assert.match((await onC.getByTestId('join-success').textContent()) ?? '', new RegExp(ctx));
    await page.reload();
    const row = card.locator(`[data-testid=open-invitation-row][data-salt="${made[0]!.salt}"]`);
    await until('the dashboard shows the joiner', async () => (await row.getByTestId('open-invitation-joined').textContent()) === '1 joined', 20_000);
    assert.equal(await row.getAttribute('data-state'), 'valid');
    await row.getByTestId('open-invitation-revoke').click();
    await row.getByTestId('open-invitation-revoke-confirm').click();
    await until('the dashboard shows it revoked', async () => (await row.getAttribute('data-state')) === 'revoked', 20_000);
    const after = (await listB()).find((i) => i.salt === made[0]!.salt)!;
    assert.equal(after.joinedCount, 1);
    assert.equal(after.joined[0].memberPublicKey, pk);
    assert.ok(after.revokedAt > Date.now() - 120_000);
    // The next joiner with it is refused by B's node, which alone signs joins for B's invitations.
    const late = await join(C, fromDashboard, await poolIdentity(C));
    assert.deepEqual([late.status, late.json], [400, { error: 'invalid open invitation: the inviter has revoked it' }]);
  } finally {
    await browser.close();
  }

  // meroctl: the same list as JSON, and --revoke.
  const meroctl = (...args: string[]) => runNodeScript('bin/meroctl.js', ['--node-url', B.url, ...args]);
  const listed = await meroctl('--output', 'json', 'context', 'open-invitations', ctx);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), await listB());
  const open = (await listB()).find((i) => i.revokedAt === null)!;
  const revoked = await meroctl('context', 'open-invitations', ctx, '--revoke', open.salt);
  assert.equal(revoked.code, 0, revoked.stderr);
  const human = await meroctl('context', 'open-invitations', ctx);
  assert.match(human.stdout, new RegExp(`^${open.salt}  revoked  until \\S+  joined 0  by ${members.b}$`, 'm'));
});

test('a revoked inviter: its node refuses joiners with its old invitation', async () => {
  // B gets ManageMembers, signs an invitation, loses the capability; a joiner with B's invitation is refused.
  const grant = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/grant`, { capabilities: [[members.b, 'ManageMembers']], signer_id: members.a }, admin);
  assert.equal(grant.status, 200, grant.text);
  const b = api(B.url);
  const s = await until('B may invite openly', async () => {
    const r = await b.post('/admin-api/contexts/invite_by_open_invitation', { contextId: ctx, inviterId: members.b, validForBlocks: 600 });
    return r.status === 200 && r.json.data;
  });
  const revoke = await api(A.url).post(`/admin-api/contexts/${ctx}/capabilities/revoke`, { capabilities: [[members.b, 'ManageMembers']], signer_id: members.a }, admin);
  assert.equal(revoke.status, 200, revoke.text);
  await until('B lost ManageMembers', async () => (await b.post('/admin-api/contexts/invite_by_open_invitation', { contextId: ctx, inviterId: members.b, validForBlocks: 600 })).status === 403);
  const pk = await poolIdentity(C);
  const r = await join(C, s, pk);
  assert.deepEqual([r.status, r.json], [400, { error: 'invalid open invitation: the inviter may not manage members of this context' }]);
});
