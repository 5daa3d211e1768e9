/**
 * Membership operations of the admin API: invite, join with an invitation, leave, grant and revoke
 * capabilities, switch the application. Each change is a signed entry made by author.ts.
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { encodeId } from '../../util/ids.ts';
import type { Network } from '../../network/index.ts';
import type { Applications } from '../applications.ts';
import { ContextError, type Contexts } from '../contexts.ts';
import type { Execution } from '../execution.ts';
import type { Author } from './author.ts';
import { Capability, CodecError, decodeInvitation, encodeInvitation, type Invitation } from './codec.ts';
import { appInfo, can } from './membership.ts';
import type { Memberships } from './memberships.ts';

export interface MembersDeps {
  store: Store;
  contexts: Contexts;
  apps: Applications;
  execution: Execution;
  logger: Logger;
  author: Author;
  memberships: Memberships;
  snapshotJoin?: boolean;
  network(): Network | null;
  networkStarting(): Promise<void> | null;
  syncWith(ctx: Uint8Array, peer: string): Promise<void>;
  joinFromSnapshot(ctx: Uint8Array, peer: string): Promise<void>;
  /** Drops what the sync layer holds for a context being left. */
  forget(ctx: Uint8Array): void;
}

export class Members {
  constructor(private readonly d: MembersDeps) {}

  /** Adds the invitee (when not yet a member) and returns the invitation payload; null without a DAG. */
  async invite(ctx: Uint8Array, inviter: Uint8Array, invitee: Uint8Array): Promise<string | null> {
    const m = await this.d.memberships.current(ctx);
    if (!m) return null;
    if (!can(m, inviter, Capability.ManageMembers)) {
      throw new ContextError('not_allowed', `${encodeId(inviter)} is not allowed to manage members of this context`);
    }
    if (!m.members[encodeId(invitee)]) await this.d.author.entry(ctx, inviter, { type: 'member', op: 'add', member: invitee, capability: 0 });
    await this.d.networkStarting(); // the payload carries our swarm addresses
    const net = this.d.network();
    return encodeInvitation({
      contextId: ctx,
      invitee,
      protocol: 'p2p',
      network: net?.peerId ?? '',
      contractId: (net?.addresses() ?? []).join(','),
    });
  }

  async setCapability(ctx: Uint8Array, signer: Uint8Array, grants: Array<[Uint8Array, number]>, grant: boolean): Promise<void> {
    const m = await this.d.memberships.current(ctx);
    // Upstream answers 500 here; a missing context is the client's error, so 404 with upstream's message.
    if (!m) throw new ContextError('context_not_found', `context '${encodeId(ctx)}' does not exist`);
    for (const [member, cap] of grants) {
      await this.d.author.entry(ctx, signer, { type: 'member', op: grant ? 'grant' : 'revoke', member, capability: cap });
    }
  }

  /**
   * Switches the context to another installed application with a signed `Application` entry (the author needs
   * ManageApplication), so every member switches too (fetching the bytecode from a peer if needed). Returns
   * false for a context without a DAG (created before the sync layer), which the caller switches locally.
   */
  async setApplication(ctx: Uint8Array, author: Uint8Array, appId: Uint8Array): Promise<boolean> {
    const m = await this.d.memberships.current(ctx);
    if (!m) return false;
    if (!can(m, author, Capability.ManageApplication)) {
      throw new ContextError('not_allowed', `${encodeId(author)} is not allowed to manage the application of this context`);
    }
    if (m.applicationId === encodeId(appId)) return true;
    const meta = await this.d.apps.get(appId);
    if (!meta) throw new ContextError('application_not_found', 'application not found');
    await this.d.author.entry(ctx, author, { type: 'application', app: appInfo(appId, meta) });
    return true;
  }

  /** Removes an owned member from the context (self-removal is always allowed), then forgets it locally. */
  async leave(ctx: Uint8Array, member?: Uint8Array): Promise<boolean> {
    if (!(await this.d.contexts.exists(ctx))) return false;
    const owned = member ? [member] : await this.d.contexts.identities(ctx, true);
    const m = await this.d.memberships.current(ctx);
    for (const pk of owned) {
      if (m?.members[encodeId(pk)]) {
        await this.d.author.entry(ctx, pk, { type: 'member', op: 'remove', member: pk, capability: 0 }).catch((err) =>
          this.d.logger.warn({ err: (err as Error).message }, 'could not announce leaving'),
        );
      }
    }
    // Give the removal a moment to leave the node before the topic is dropped.
    await new Promise((r) => setTimeout(r, 200));
    this.d.network()?.unsubscribe(encodeId(ctx));
    this.d.forget(ctx);
    return this.d.execution.deleteContext(ctx);
  }

  /**
   * Joins with an invitation: moves the invitee identity out of the pool, subscribes, dials the inviter and
   * catches up on the DAG. Returns once caught up, or after `timeoutMs` (syncing continues in the background).
   */
  async join(payload: string, timeoutMs = 20_000): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    let inv: Invitation;
    try {
      inv = decodeInvitation(payload);
    } catch (err) {
      throw new ContextError('invalid_invitation', err instanceof CodecError ? err.message : 'invalid invitation payload', { cause: err });
    }
    const ctx = inv.contextId;
    const owned = await this.d.contexts.identity(ctx, inv.invitee);
    if (!owned?.privateKey) {
      const batch = new Batch();
      if (!(await this.d.contexts.stageClaimFromPool(batch, ctx, inv.invitee))) {
        throw new ContextError('identity_not_in_pool', `identity ${encodeId(inv.invitee)} not found in the identity pool; create it with POST /admin-api/identity/context`);
      }
      await this.d.store.commit(batch);
    }
    await this.d.networkStarting();
    const net = this.d.network();
    if (!net) throw new ContextError('swarm_not_running', 'the swarm is not running; cannot join');
    net.subscribe(encodeId(ctx));
    const reached = await net.dial(inv.contractId.split(',').filter(Boolean));
    const peers = [...new Set([...(inv.network ? [inv.network] : []), ...reached, ...net.topicPeers(encodeId(ctx))])].filter((p) => p !== net.peerId);
    const deadline = Date.now() + timeoutMs;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      for (const peer of peers) {
        try {
          if (this.d.snapshotJoin !== false && !(await this.d.memberships.current(ctx))) {
            await this.d.joinFromSnapshot(ctx, peer).catch((err) =>
              this.d.logger.warn({ peer, err: (err as Error).message }, 'join: snapshot failed; replaying the DAG instead'),
            );
          }
          await this.d.syncWith(ctx, peer);
          if (can(await this.d.memberships.current(ctx), inv.invitee)) {
            ok = true;
            break;
          }
        } catch (err) {
          this.d.logger.debug({ err: (err as Error).message, peer }, 'join: sync failed');
        }
      }
      if (!ok) await new Promise((r) => setTimeout(r, 300));
    }
    if (!ok) this.d.logger.warn({ context: encodeId(ctx) }, 'join: not caught up yet; syncing continues in the background');
    return { contextId: ctx, memberPublicKey: inv.invitee };
  }
}
