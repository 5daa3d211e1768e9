/** `meroctl context identity …`: the identity pool, a context's identities and their aliases (as upstream). */
import type { Command } from 'commander';
import type { NodeMeroClient } from '../../client/node.ts';
import { client, contextOf, print, table } from './common.ts';

/** Points `name` at `identity` in the context, replacing another target only with `force` (upstream's rules). */
async function setIdentityAlias(c: NodeMeroClient, contextId: string, name: string, identity: string, force: boolean): Promise<void> {
  const members = await c.identities(contextId, false);
  if (!members.includes(identity)) throw new Error(`Identity '${identity}' does not exist in context '${contextId}'`);
  const existing = await c.lookupAlias('identity', name, contextId);
  if (existing !== null) {
    if (existing === identity || !force) throw new Error(`Alias '${name}' already exists and points to '${existing}'. Use --force to overwrite.`);
    process.stderr.write(`Overwriting existing alias '${name}' from '${existing}' to '${identity}'\n`);
    await c.deleteAlias('identity', name, contextId);
  }
  await c.createAlias('identity', name, identity, contextId);
}

export function identityCommands(ctx: Command): void {
  const identity = ctx.command('identity').description('context identities');
  identity
    .command('generate')
    .alias('new')
    .description("create a key pair in this node's identity pool (to be invited with); prints its public key")
    .action(async () => {
      const publicKey = await (await client()).generateContextIdentity();
      print({ publicKey }, () => publicKey);
    });
  identity
    .command('list')
    .alias('ls')
    .description('identities in a context')
    .option('-c, --context <idOrAlias>', 'the context', 'default')
    .option('--owned', 'only identities whose private key this node holds')
    .action(async (o: { context: string; owned?: boolean }) => {
      const c = await client();
      const identities = await c.identities(await contextOf(c, o.context), !!o.owned);
      print({ identities }, () => table(identities));
    });
  identity
    .command('use <identity>')
    .description("make an identity the context's default (the identity alias `default`)")
    .option('-c, --context <idOrAlias>', 'the context', 'default')
    .option('-f, --force', 'replace an existing default')
    .action(async (pk: string, o: { context: string; force?: boolean }) => {
      const c = await client();
      const contextId = await contextOf(c, o.context);
      await setIdentityAlias(c, contextId, 'default', pk, !!o.force);
      print({ alias: 'default', value: pk }, () => `default → ${pk}`);
    });

  const alias = identity.command('alias').description('aliases of the identities of a context');
  alias
    .command('add <name> <identity>')
    .aliases(['new', 'create'])
    .description('name an identity of a context')
    .option('-c, --context <idOrAlias>', 'the context the identity is a member of', 'default')
    .option('-f, --force', 'replace an alias that points elsewhere')
    .action(async (name: string, pk: string, o: { context: string; force?: boolean }) => {
      const c = await client();
      await setIdentityAlias(c, await contextOf(c, o.context), name, pk, !!o.force);
      print({ alias: name, value: pk }, () => `${name} → ${pk}`);
    });
  alias
    .command('remove <name>')
    .aliases(['rm', 'del', 'delete'])
    .description('remove an identity alias')
    .requiredOption('-c, --context <idOrAlias>', 'the context')
    .action(async (name: string, o: { context: string }) => {
      const c = await client();
      await c.deleteAlias('identity', name, await contextOf(c, o.context));
      print({ deleted: name }, () => `deleted ${name}`);
    });
  alias
    .command('get [name]')
    .description('the identity an alias names (default: the alias default)')
    .option('-c, --context <idOrAlias>', 'the context', 'default')
    .action(async (name: string | undefined, o: { context: string }) => {
      const c = await client();
      const value = await c.lookupAlias('identity', name ?? 'default', await contextOf(c, o.context));
      if (value === null) throw new Error(`no identity alias ${name ?? 'default'}`);
      print({ value }, () => value);
    });
  alias
    .command('list')
    .alias('ls')
    .description('the identity aliases of a context')
    .option('-c, --context <idOrAlias>', 'the context', 'default')
    .action(async (o: { context: string }) => {
      const c = await client();
      const all = await c.listAliases('identity', await contextOf(c, o.context));
      print(all, () => table(Object.entries(all).map(([k, v]) => `${k}  ${v}`)));
    });
}
