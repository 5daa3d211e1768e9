/** `meroctl alias …`: aliases of contexts, applications and identities. */
import type { Command } from 'commander';
import type { AliasKind } from '../../client/node.ts';
import { client, print, table } from './common.ts';

const KINDS = ['context', 'application', 'identity'];
const kindArg = (k: string): AliasKind => {
  if (!KINDS.includes(k)) throw new Error(`alias kind must be one of ${KINDS.join(', ')}`);
  return k as AliasKind;
};

export function aliasCommands(program: Command): void {
  const alias = program.command('alias').description('aliases of contexts, applications and identities (identity: --context)');
  alias
    .command('create <kind> <name> <value>')
    .option('--context <id>', 'context of an identity alias')
    .action(async (kind: string, name: string, value: string, o: { context?: string }) => {
      await (await client()).createAlias(kindArg(kind), name, value, o.context);
      print({ alias: name, value }, () => `${name} → ${value}`);
    });
  alias
    .command('lookup <kind> <name>')
    .option('--context <id>', 'context of an identity alias')
    .action(async (kind: string, name: string, o: { context?: string }) => {
      const v = await (await client()).lookupAlias(kindArg(kind), name, o.context);
      if (v === null) throw new Error(`no ${kind} alias ${name}`);
      print({ value: v }, () => v);
    });
  alias
    .command('rm <kind> <name>')
    .option('--context <id>', 'context of an identity alias')
    .action(async (kind: string, name: string, o: { context?: string }) => {
      await (await client()).deleteAlias(kindArg(kind), name, o.context);
      print({ deleted: name }, () => `deleted ${name}`);
    });
  alias
    .command('ls <kind>')
    .option('--context <id>', 'context of identity aliases')
    .action(async (kind: string, o: { context?: string }) => {
      const all = await (await client()).listAliases(kindArg(kind), o.context);
      print(all, () => table(Object.entries(all).map(([k, v]) => `${k}  ${v}`)));
    });
}
