/**
 * The open invitations this node signed (members.ts `inviteOpen`), kept so that an operator can see what is
 * out there — who signed it, until when it is valid, who joined with it — and revoke one. Upstream cannot take an
 * open invitation back (it stays valid on the chain until it expires); here the inviter's node is the only one
 * that can add a joiner (it signs the "add member" entry with the inviter's key), so a revocation recorded here
 * is final everywhere.
 *
 * Records (this module is their only writer), in the `generic` column:
 *   "sync/open-invitations/" ‖ context id[32] ‖ secret salt[32] → JSON IssuedRecord
 * Outside `config` on purpose: snapshots copy a context's config records to joiners, and what one node handed out
 * is its own business. They outlive a context deleted here: the invitations stay valid signatures, and a node that
 * joins the context again keeps seeing (and honouring revocations of) what it issued before.
 */
import type { Store } from '../../store/store.ts';
import { concat, encodeId } from '../../util/ids.ts';
import { fromJson, toJson, type SignedOpen, type SignedOpenJson } from './open-invitation.ts';

const SCOPE = new TextEncoder().encode('sync/open-invitations/');
/** Joiners listed per invitation (the count goes on past it: an open invitation may be used by anyone). */
export const MAX_LISTED_JOINERS = 100;

interface IssuedRecord {
  signed: SignedOpenJson;
  createdAt: number;
  revokedAt: number | null;
  joinedCount: number;
  /** The most recent joiners, oldest first, at most MAX_LISTED_JOINERS. */
  joined: Array<{ member: string; at: number }>;
}

export interface IssuedInvitation extends IssuedRecord {
  invitation: SignedOpen;
}

function recordKey(ctx: Uint8Array, salt: Uint8Array): Uint8Array {
  return concat(SCOPE, ctx, salt);
}

/** Adds a joiner to a record: the count always, the list keeping only the newest MAX_LISTED_JOINERS. */
export function withJoiner(r: IssuedRecord, member: string, at: number): IssuedRecord {
  if (r.joined.some((j) => j.member === member)) return r;
  const joined = [...r.joined, { member, at }].slice(-MAX_LISTED_JOINERS);
  return { ...r, joined, joinedCount: r.joinedCount + 1 };
}

export class IssuedInvitations {
  /** Read-modify-write updates run one after the other (two joins at once must both be counted). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: Store) {}

  /** Runs `fn` after every earlier read-modify-write (and admission) has ended. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private update(ctx: Uint8Array, salt: Uint8Array, f: (r: IssuedRecord) => IssuedRecord): Promise<boolean> {
    return this.serial(async () => {
      const r = await this.read(ctx, salt);
      if (!r) return false;
      const next = f(r);
      if (next !== r) await this.store.put('generic', recordKey(ctx, salt), JSON.stringify(next));
      return true;
    });
  }

  /**
   * Admits `member` with the invitation unless it is revoked: `add` (which writes the "add member" entry) runs in
   * the same turn as the revocation check, so a revocation acknowledged before it completes is never overtaken by
   * an admission that checked earlier. Then the joiner is noted. False when the invitation is revoked.
   */
  admit(s: SignedOpen, member: Uint8Array, add: () => Promise<void>, now = Date.now()): Promise<boolean> {
    const { contextId: ctx, salt } = s.invitation;
    return this.serial(async () => {
      const r = await this.read(ctx, salt);
      if (r?.revokedAt != null) return false;
      await add();
      if (r) await this.store.put('generic', recordKey(ctx, salt), JSON.stringify(withJoiner(r, encodeId(member), now)));
      return true;
    });
  }

  async record(s: SignedOpen, now = Date.now()): Promise<void> {
    const r: IssuedRecord = { signed: toJson(s), createdAt: now, revokedAt: null, joinedCount: 0, joined: [] };
    await this.store.put('generic', recordKey(s.invitation.contextId, s.invitation.salt), JSON.stringify(r));
  }

  private async read(ctx: Uint8Array, salt: Uint8Array): Promise<IssuedRecord | null> {
    const v = await this.store.get('generic', recordKey(ctx, salt));
    return v ? (JSON.parse(Buffer.from(v).toString()) as IssuedRecord) : null;
  }

  /** The context's issued invitations, newest first. */
  async list(ctx: Uint8Array): Promise<IssuedInvitation[]> {
    const out: IssuedInvitation[] = [];
    for await (const { value } of this.store.iterate('generic', { prefix: concat(SCOPE, ctx) })) {
      const r = JSON.parse(Buffer.from(value).toString()) as IssuedRecord;
      out.push({ ...r, invitation: fromJson(r.signed) });
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Marks one revoked; false when this node issued no such invitation. Revoking twice keeps the first time. */
  revoke(ctx: Uint8Array, salt: Uint8Array, now = Date.now()): Promise<boolean> {
    return this.update(ctx, salt, (r) => (r.revokedAt === null ? { ...r, revokedAt: now } : r));
  }
}
