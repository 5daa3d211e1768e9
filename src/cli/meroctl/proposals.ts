/**
 * `meroctl context proposals …` (upstream meroctl 0.10.0): list, view, create-and-approve, approve, over the
 * client's proposal routes. The context is an id or a context alias (`-c`, default "default"), as upstream.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { actingMember, client, contextOf, print } from './common.ts';

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${v}`);
  return n;
};

export function proposalCommands(ctx: Command): void {
  const p = ctx.command('proposals').description("a context's proposals (its proxy contract, emulated by the node)");
  p.command('list')
    .alias('ls')
    .description('active proposals of a context')
    .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
    .option('--offset <n>', 'skip this many proposals', count, 0)
    .option('--limit <n>', 'show at most this many', count, 20)
    .action(async (o: { context: string; offset: number; limit: number }) => {
      const c = await client();
      const list = await c.proposals.list(await contextOf(c, o.context), { offset: o.offset, limit: o.limit });
      print({ data: list }, () => (list.length ? list.map((x) => `${x.id}  by ${x.author_id}  ${x.actions.map((a) => a.scope).join(', ')}`).join('\n') : '(none)'));
    });
  p.command('view <proposalId>')
    .description('a proposal: its actions and approvers')
    .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
    .action(async (proposalId: string, o: { context: string }) => {
      const c = await client();
      const id = await contextOf(c, o.context);
      const proposal = await c.proposals.get(id, proposalId);
      const approvers = await c.proposals.approvers(id, proposalId);
      print({ proposal, approvers }, () => `${proposal.id}  by ${proposal.author_id}\n${JSON.stringify(proposal.actions, null, 2)}\napprovers:\n${approvers.join('\n') || '(none)'}`);
    });
  p.command('create-and-approve')
    .description('propose (a JSON file holding upstream\'s Proposal {id, author_id, actions}) and approve it as the signer')
    .requiredOption('--proposal-file <path>', 'the proposal as JSON')
    .option('--signer <publicKey>', 'signer, the proposal\'s author (default: the first identity this node owns)')
    .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
    .action(async (o: { proposalFile: string; signer?: string; context: string }) => {
      const c = await client();
      const id = await contextOf(c, o.context);
      const proposal = JSON.parse(await readFile(o.proposalFile, 'utf8')) as { id: string; author_id?: string; actions: never[] };
      const signer = await actingMember(c, id, o.signer ?? proposal.author_id);
      const r = await c.proposals.createAndApprove(id, signer, proposal);
      print({ data: r }, () => JSON.stringify({ data: r }, null, 2));
    });
  p.command('approve')
    .description('approve a proposal as the signer')
    .requiredOption('--proposal-id <id>', 'the proposal')
    .option('--signer <publicKey>', 'signer (default: the first identity this node owns)')
    .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
    .action(async (o: { proposalId: string; signer?: string; context: string }) => {
      const c = await client();
      const id = await contextOf(c, o.context);
      const r = await c.proposals.approve(id, await actingMember(c, id, o.signer), o.proposalId);
      print({ data: r }, () => JSON.stringify({ data: r }, null, 2));
    });
}
