/**
 * The proposal records of a context (config column, tag 6; src/node/sync/records.ts): one JSON ProposalRecord
 * per applied proposal entry. Owner of those records; the proxy state is their fold (rules.ts).
 */
import type { Batch, Store } from '../../store/store.ts';
import { concat } from '../../util/ids.ts';
import type { Delta } from '../sync/codec.ts';
import { proposalKey, TAG } from '../sync/records.ts';
import { foldProxy, proposalRecord, type ProposalRecord, type ProxyState } from './rules.ts';

export class ProposalRecords {
  constructor(private readonly store: Store) {}

  /** Stages the record of an applied proposal entry. */
  stage(batch: Batch, ctx: Uint8Array, d: Delta): void {
    batch.put('config', proposalKey(ctx, d.id), JSON.stringify(proposalRecord(d)));
  }

  async list(ctx: Uint8Array): Promise<ProposalRecord[]> {
    const out: ProposalRecord[] = [];
    for await (const { value } of this.store.iterate('config', { prefix: concat(ctx, Uint8Array.of(TAG.proposal)) })) {
      out.push(JSON.parse(value.toString('utf8')) as ProposalRecord);
    }
    return out;
  }

  /** The context's proxy state: the fold of its records, with `extra` (an entry about to be made) last. */
  async state(ctx: Uint8Array, extra?: ProposalRecord): Promise<ProxyState> {
    const records = await this.list(ctx);
    if (extra) records.push(extra);
    return foldProxy(records);
  }
}
