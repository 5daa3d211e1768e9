/** `meroctl health`, `meroctl peers`, and the node connection profiles (`meroctl node add|use|list|remove`). */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { client, loadProfiles, print, table } from './common.ts';
import { locationOf, profilesPath, renderProfiles, validNodeName, type NodeProfile, type Profiles } from './profiles.ts';

/** Writes the profiles (they may hold tokens: readable by the user only). */
async function saveProfiles(p: Profiles): Promise<void> {
  const file = profilesPath();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, renderProfiles(p), { mode: 0o600 });
  await chmod(file, 0o600);
}

function nodeName(name: string): string {
  if (!validNodeName(name)) throw new Error(`invalid node name '${name}': letters, digits, '-' and '_' only`);
  return name;
}

export function nodeCommands(program: Command): void {
  program
    .command('health')
    .description('check that the node answers')
    .action(async () => {
      const h = await (await client()).health();
      print(h, () => h.status);
    });
  program
    .command('peers')
    .description('number of connected peers')
    .action(async () => {
      const n = await (await client()).peers();
      print({ count: n }, () => String(n));
    });

  const node = program.command('node').description(`node connection profiles (kept in ${profilesPath()})`);
  node
    .command('add <name> <location>')
    .alias('connect')
    .description("add a node: a URL (remote) or a node's directory (local, its URL read from config.toml)")
    .option('--access-token <jwt>', 'access token for a node that needs authentication')
    .option('--refresh-token <jwt>', 'refresh token (with --access-token)')
    .action(async (name: string, location: string, o: { accessToken?: string; refreshToken?: string }) => {
      const p = await loadProfiles();
      if (p.nodes[nodeName(name)]) throw new Error(`node with name '${name}' already exists, to update it, remove it first`);
      if (o.refreshToken && !o.accessToken) throw new Error('--refresh-token needs --access-token');
      const at = locationOf(location);
      const entry: NodeProfile = 'path' in at ? { path: resolve(at.path) } : at;
      if (o.accessToken) entry.jwt_tokens = o.refreshToken ? { access_token: o.accessToken, refresh_token: o.refreshToken } : { access_token: o.accessToken };
      p.nodes[name] = entry;
      await saveProfiles(p);
      print({ name, ...('url' in entry ? { url: entry.url } : { path: entry.path }) }, () => `added node ${name}`);
    });
  node
    .command('remove <name>')
    .aliases(['rm', 'disconnect'])
    .description('remove a node (and make none active if it was)')
    .action(async (name: string) => {
      const p = await loadProfiles();
      delete p.nodes[nodeName(name)];
      if (p.active_node === name) delete p.active_node;
      await saveProfiles(p);
      print({ removed: name }, () => `removed node ${name}`);
    });
  node
    .command('use <name>')
    .description('make a node the active one (the default of every command)')
    .action(async (name: string) => {
      const p = await loadProfiles();
      if (!p.nodes[nodeName(name)]) throw new Error(`Node '${name}' does not exist. Add it first with 'meroctl node add'`);
      p.active_node = name;
      await saveProfiles(p);
      print({ active: name }, () => `active node: ${name}`);
    });
  node
    .command('list')
    .alias('ls')
    .description('the configured nodes')
    .action(async () => {
      const p = await loadProfiles();
      // By name, as upstream's BTreeMap lists them.
      const rows = Object.entries(p.nodes)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, n]) => ({
          name,
          type: 'url' in n ? 'Remote' : 'Local',
          location: 'url' in n ? n.url : n.path,
          active: p.active_node === name,
          authenticated: !!n.jwt_tokens,
        }));
      print(rows, () => table(rows.map((r) => `${r.active ? '*' : ' '} ${r.name}  ${r.type}  ${r.location}`)));
    });
}
