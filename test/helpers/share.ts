/** Setting up a context shared by several test nodes (install on the creator, invite and join the others). */
import assert from 'node:assert/strict';
import { api } from './http.ts';
import type { TestNode } from './node.ts';

/**
 * Installs the app at `path` on `creator`, creates a context of it and lets each of `joiners` join by invitation.
 * Returns the context id and the member public key of each node (by node name).
 */
export async function shareContext(path: string, creator: TestNode, joiners: TestNode[]): Promise<{ ctx: string; members: Record<string, string> }> {
  const { ctx, member } = await createContext(creator, path);
  const members: Record<string, string> = { [creator.node]: member };
  await joinByInvitation(creator, ctx, members, joiners);
  return { ctx, members };
}

/**
 * Installs the app at `path` on `node` (dev install) and creates a context of it with `init`'s arguments as bytes
 * (upstream-built apps take `{}`); returns the application id, the context id and the creator's member key.
 */
export async function createContext(node: TestNode, path: string, initializationParams: number[] = []): Promise<{ appId: string; ctx: string; member: string }> {
  const a = api(node.url);
  const inst = await a.post('/admin-api/install-dev-application', { path, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams });
  assert.equal(created.status, 200, created.text);
  return { appId: inst.json.data.applicationId, ctx: created.json.data.contextId, member: created.json.data.memberPublicKey };
}

/**
 * Each of `joiners` makes an identity, is invited by the creator's member (`members[creator.node]`) and joins;
 * its member key is recorded in `members` under its node name.
 */
export async function joinByInvitation(creator: TestNode, ctx: string, members: Record<string, string>, joiners: TestNode[]): Promise<void> {
  for (const n of joiners) {
    members[n.node] = (await api(n.url).post('/admin-api/identity/context')).json.data.publicKey;
    const inv = await api(creator.url).post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members[creator.node], inviteeId: members[n.node] });
    assert.equal(inv.status, 200, inv.text);
    const joined = await api(n.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
    assert.equal(joined.status, 200, joined.text);
  }
}
