/**
 * Membership operations of the admin API: invite, join with an invitation, leave, grant and revoke
 * capabilities, switch the application. Each change is a signed entry made by author.ts.
 */
import type { Logger } from 'pino';
import { Batch, type Store } from '../../store/store.ts';
import { randomBytes } from 'node:crypto';
import { decodeId, encodeId, idKey, sameId, ZERO32 } from '../../util/ids.ts';
import { KeyedMutex } from '../../util/mutex.ts';
import type { Network } from '../../network/index.ts';
import type { Applications } from '../applications.ts';
import { ContextError, type Contexts } from '../contexts.ts';
import type { Execution } from '../execution.ts';
import type { Author } from './author.ts';
import { Capability, CodecError, decodeInvitation, encodeInvitation, type Invitation } from './codec.ts';
import { appInfo, can } from './membership.ts';
import type { Memberships } from './memberships.ts';
import { IssuedInvitations, type IssuedInvitation } from './issued-invitations.ts';
import { currentHeight, openRefusal, OPEN_REFUSAL_TEXT, signOpenInvitation, type SignedOpen } from './open-invitation.ts';

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
  /** Asks a member node to add `joiner` on the strength of an open invitation (protocol.ts); throws its refusal. */
  requestOpenJoin(ctx: Uint8Array, peer: string, invitation: SignedOpen, joiner: Uint8Array, secret: Uint8Array): Promise<void>;
  /** Drops what the sync layer holds for a context being left. */
  forget(ctx: Uint8Array): void;
  /** Retries a context's failed merges (in the background): after an application switch. */
  retryMerges(ctx: Uint8Array): void;
}

export class Members {
  private readonly issued: IssuedInvitations;
  /** One application update (switch, migration, switch back) at a time per context. */
  private readonly updates = new KeyedMutex();

  constructor(private readonly d: MembersDeps) {
    this.issued = new IssuedInvitations(d.store);
  }

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
   * Switches the context to another installed application (a signed `Application` entry every member applies;
   * a context without a DAG switches locally), then runs `migrateMethod`, if given, under it. A failed migration
   * switches back, unless the context has been switched again since (a peer's entry): the rollback never undoes
   * a switch it did not make. Updates of one context run one at a time, so a migration runs under the
   * application its own request chose, and a second request's switch is never undone by the first's rollback.
   */
  updateApplication(ctx: Uint8Array, author: Uint8Array, appId: Uint8Array, migrateMethod?: string): Promise<void> {
    return this.updates.run(idKey(ctx), async () => {
      const previous = (await this.d.contexts.meta(ctx))?.applicationId;
      if (!previous) throw new ContextError('context_not_found', 'Context not found');
      await this.switchApplication(ctx, author, appId);
      if (!migrateMethod) return;
      try {
        await this.d.execution.execute({ contextId: ctx, method: migrateMethod, input: new Uint8Array(), executor: author, mode: 'mutate' });
      } catch (err) {
        const now = (await this.d.contexts.meta(ctx))?.applicationId;
        if (now && sameId(now, appId)) await this.switchApplication(ctx, author, previous);
        throw err;
      }
    });
  }

  /**
   * The switch itself: with a signed `Application` entry (the author needs ManageApplication), so every member
   * switches too (fetching the bytecode from a peer if needed); a context without a DAG (created before the sync
   * layer) rewrites its record under the context's lock, so no commit is overwritten.
   */
  private async switchApplication(ctx: Uint8Array, author: Uint8Array, appId: Uint8Array): Promise<void> {
    const m = await this.d.memberships.current(ctx);
    if (!m) {
      await this.d.execution.withLock(ctx, () => this.d.contexts.setApplication(ctx, appId));
      return;
    }
    if (!can(m, author, Capability.ManageApplication)) {
      throw new ContextError('not_allowed', `${encodeId(author)} is not allowed to manage the application of this context`);
    }
    if (m.applicationId === encodeId(appId)) return;
    const meta = await this.d.apps.get(appId);
    if (!meta) throw new ContextError('application_not_found', 'application not found');
    await this.d.author.entry(ctx, author, { type: 'application', app: appInfo(appId, meta) });
    // The new application may merge what the old one could not.
    this.d.retryMerges(ctx);
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
    await this.claim(ctx, inv.invitee);
    const net = await this.swarm();
    net.subscribe(encodeId(ctx));
    const reached = await net.dial(inv.contractId.split(',').filter(Boolean));
    const peers = [...new Set([...(inv.network ? [inv.network] : []), ...reached, ...net.topicPeers(encodeId(ctx))])].filter((p) => p !== net.peerId);
    await this.catchUp(ctx, inv.invitee, peers, timeoutMs);
    return { contextId: ctx, memberPublicKey: inv.invitee };
  }

  /**
   * Moves `member` out of the identity pool into `ctx` (unless this node already holds it there). Under the context's
   * lock: a deletion between the check and the commit would otherwise leave the key under a context with no record.
   */
  private claim(ctx: Uint8Array, member: Uint8Array): Promise<void> {
    return this.d.execution.withLock(ctx, async () => {
      const owned = await this.d.contexts.identity(ctx, member);
      if (owned?.privateKey) return;
      const batch = new Batch();
      if (!(await this.d.contexts.stageClaimFromPool(batch, ctx, member))) {
        throw new ContextError('identity_not_in_pool', `identity ${encodeId(member)} not found in the identity pool; create it with POST /admin-api/identity/context`);
      }
      await this.d.store.commit(batch);
    });
  }

  private async swarm(): Promise<Network> {
    await this.d.networkStarting();
    const net = this.d.network();
    if (!net) throw new ContextError('swarm_not_running', 'the swarm is not running; cannot join');
    return net;
  }

  /**
   * Fetches the context from `peers` (a snapshot first, then the DAG) until `member` is a member here, or
   * `timeoutMs` has passed (syncing then continues in the background).
   */
  private async catchUp(ctx: Uint8Array, member: Uint8Array, peers: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      // No peer to ask (the inviter is this node, e.g. a second identity joining a context held here): the
      // member is caught up as soon as the membership log here admits it.
      if (peers.length === 0 && can(await this.d.memberships.current(ctx), member)) {
        ok = true;
        break;
      }
      for (const peer of peers) {
        try {
          if (this.d.snapshotJoin !== false && !(await this.d.memberships.current(ctx))) {
            await this.d.joinFromSnapshot(ctx, peer).catch((err) =>
              this.d.logger.warn({ peer, err: (err as Error).message }, 'join: snapshot failed; replaying the DAG instead'),
            );
          }
          await this.d.syncWith(ctx, peer);
          if (can(await this.d.memberships.current(ctx), member)) {
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
  }

  // ---- open invitations (open-invitation.ts) ----------------------------------------------------------------------

  /**
   * An open invitation signed by `inviter` (owned here, with ManageMembers), valid for `validForBlocks` seconds;
   * null for a context without a DAG. It names this node as the one to ask (peer id, swarm addresses).
   */
  async inviteOpen(ctx: Uint8Array, inviter: Uint8Array, validForBlocks: number): Promise<SignedOpen | null> {
    const m = await this.d.memberships.current(ctx);
    if (!m) return null;
    const ident = await this.d.contexts.identity(ctx, inviter);
    if (!ident?.privateKey) throw new ContextError('identity_not_owned', `Inviter identity ${encodeId(inviter)} not found`);
    if (!can(m, inviter, Capability.ManageMembers)) {
      throw new ContextError('not_allowed', `${encodeId(inviter)} is not allowed to manage members of this context`);
    }
    await this.d.networkStarting();
    const net = this.d.network();
    const invitation = {
      inviter,
      contextId: ctx,
      expirationHeight: currentHeight() + BigInt(validForBlocks),
      salt: new Uint8Array(randomBytes(32)),
      protocol: 'p2p',
      network: net?.peerId ?? '',
      contractId: (net?.addresses() ?? []).join(','),
    };
    const signed = signOpenInvitation(invitation, decodeId(ident.privateKey));
    await this.issued.record(signed);
    return signed;
  }

  /** The open invitations this node signed for the context, newest first (issued-invitations.ts). */
  openInvitations(ctx: Uint8Array): Promise<IssuedInvitation[]> {
    return this.issued.list(ctx);
  }

  /** Revokes an open invitation this node signed; false when it signed none with that salt for the context. */
  revokeOpenInvitation(ctx: Uint8Array, salt: Uint8Array): Promise<boolean> {
    return this.issued.revoke(ctx, salt);
  }

  /**
   * The inviter's node adds a joiner that holds a valid open invitation: it signs the "add member" entry as the
   * inviter, so every member sees the joiner through the membership log. The refusal's text, or null.
   */
  async acceptOpenJoin(ctx: Uint8Array, s: SignedOpen, joiner: Uint8Array): Promise<string | null> {
    const why = openRefusal(s, currentHeight(), ctx);
    if (why) return OPEN_REFUSAL_TEXT[why];
    const m = await this.d.memberships.current(ctx);
    if (!m) return 'unknown context';
    if (m.members[encodeId(joiner)]) return null;
    if (!can(m, s.invitation.inviter, Capability.ManageMembers)) return 'invalid open invitation: the inviter may not manage members of this context';
    try {
      const add = () => this.d.author.entry(ctx, s.invitation.inviter, { type: 'member', op: 'add', member: joiner, capability: 0 }).then(() => undefined);
      return (await this.issued.admit(s, joiner, add)) ? null : OPEN_REFUSAL_TEXT.revoked;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Joins with an open invitation as `member` (an identity of this node's pool): checks the invitation, asks the
   * inviter's node to add the member, then catches up like `join`.
   */
  async joinOpen(s: SignedOpen, member: Uint8Array, timeoutMs = 20_000): Promise<{ contextId: Uint8Array; memberPublicKey: Uint8Array }> {
    const why = openRefusal(s, currentHeight());
    if (why) throw new ContextError('invalid_invitation', OPEN_REFUSAL_TEXT[why]);
    const inv = s.invitation;
    if (inv.protocol !== 'p2p') throw new ContextError('invalid_invitation', `invalid open invitation: protocol ${inv.protocol} is not supported (only p2p)`);
    const ctx = inv.contextId;
    // The member's key signs the request: from the context (a retry) or else from the pool, which it leaves
    // only once the inviter's node has added it.
    const key = (await this.d.contexts.identity(ctx, member))?.privateKey ?? (await this.d.contexts.identity(ZERO32, member))?.privateKey;
    if (!key) throw new ContextError('identity_not_in_pool', `identity ${encodeId(member)} not found in the identity pool; create it with POST /admin-api/identity/context`);
    const net = await this.swarm();
    net.subscribe(encodeId(ctx));
    const reached = await net.dial(inv.contractId.split(',').filter(Boolean));
    const peers = [...new Set([...(inv.network ? [inv.network] : []), ...reached])].filter((p) => p !== net.peerId);
    let refusal: string | null = null;
    let added = can(await this.d.memberships.current(ctx), member);
    for (const peer of added ? [] : peers) {
      try {
        await this.d.requestOpenJoin(ctx, peer, s, member, decodeId(key));
        added = true;
        break;
      } catch (err) {
        const msg = (err as Error).message;
        if (msg.startsWith('peer: ')) refusal = msg.slice(6);
        this.d.logger.debug({ peer, err: msg }, 'open join: request failed');
      }
    }
    if (!added) {
      if (!(await this.d.contexts.exists(ctx))) net.unsubscribe(encodeId(ctx));
      if (refusal) throw new ContextError('invalid_invitation', refusal);
      throw new ContextError('inviter_unreachable', "cannot reach the inviter's node named in the invitation");
    }
    await this.claim(ctx, member);
    await this.catchUp(ctx, member, [...new Set([...peers, ...net.topicPeers(encodeId(ctx))])], timeoutMs);
    return { contextId: ctx, memberPublicKey: member };
  }
}
