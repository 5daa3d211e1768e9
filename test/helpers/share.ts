/** Setting up a context shared by several test nodes (install on the creator, invite and join the others). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './http.ts';
import type { TestNode } from './node.ts';

/** The swarm address other nodes dial to reach `n` (its first TCP listen port on 127.0.0.1). */
export function swarmAddress(n: TestNode): string {
  const text = readFileSync(join(n.dir, 'config.toml'), 'utf8');
  const peer = /peer_id = "([^"]+)"/.exec(text)![1]!;
  const port = /"\/ip4\/0\.0\.0\.0\/tcp\/(\d+)"/.exec(text)![1]!;
  return `/ip4/127.0.0.1/tcp/${port}/p2p/${peer}`;
}

/**
 * Installs the app at `path` on `creator`, creates a context of it and lets each of `joiners` join by invitation.
 * Returns the context id and the member public key of each node (by node name).
 */
export async function shareContext(path: string, creator: TestNode, joiners: TestNode[]): Promise<{ ctx: string; members: Record<string, string> }> {
  const a = api(creator.url);
  const inst = await a.post('/admin-api/install-dev-application', { path, metadata: [] });
  assert.equal(inst.status, 200, inst.text);
  const created = await a.post('/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
  assert.equal(created.status, 200, created.text);
  const ctx = created.json.data.contextId as string;
  const members: Record<string, string> = { [creator.node]: created.json.data.memberPublicKey };
  for (const n of joiners) {
    members[n.node] = (await api(n.url).post('/admin-api/identity/context')).json.data.publicKey;
    const inv = await a.post('/admin-api/contexts/invite', { contextId: ctx, inviterId: members[creator.node], inviteeId: members[n.node] });
    assert.equal(inv.status, 200, inv.text);
    const joined = await api(n.url).post('/admin-api/contexts/join', { invitationPayload: inv.json.data });
    assert.equal(joined.status, 200, joined.text);
  }
  return { ctx, members };
}
