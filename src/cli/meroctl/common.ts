/**
 * What every meroctl command group shares: the program and its global options, the connection to the node
 * (`--node-url`, `--node <profile>`, the active profile, or the default), output (`--output json|human`), and
 * resolving aliases the way upstream's `Alias<…>` arguments do.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { NodeMeroClient, type Capability } from '../../client/node.ts';
import { isId } from '../../util/ids.ts';
import pkg from '../../../package.json' with { type: 'json' };
import { parseProfiles, profilesPath, urlFromNodeConfig, type Profiles } from './profiles.ts';

export const DEFAULT_URL = 'http://127.0.0.1:2528';

export const program = new Command('meroctl')
  .description('Control a Calimero node over its node server (admin API, JSON-RPC, events)')
  .version(pkg.version)
  .addOption(new Option('--node-url <url>', `node server URL (default: the active node profile, else ${DEFAULT_URL})`).env('MEROCTL_NODE_URL'))
  .option('--node <name>', 'a node profile (meroctl node add); overrides MEROCTL_NODE_URL')
  .option('--token <jwt>', 'bearer token for auth-enabled nodes (env MEROCTL_TOKEN)', process.env.MEROCTL_TOKEN)
  .addOption(new Option('--output <format>', 'output format').choices(['json', 'human']).default('human'))
  .showHelpAfterError()
  .exitOverride();

type Globals = { nodeUrl?: string; node?: string; token?: string };

export async function loadProfiles(): Promise<Profiles> {
  const text = await readFile(profilesPath(), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  try {
    return parseProfiles(text);
  } catch (err) {
    throw new Error(`cannot read ${profilesPath()}: ${(err as Error).message}`);
  }
}

/** The URL of a profile: its `url`, or the server address in its local node's config.toml. */
export async function profileUrl(name: string, at: { url: string } | { path: string }): Promise<string> {
  if ('url' in at) return at.url;
  const file = join(at.path, 'config.toml');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`local node '${name}': cannot read ${file}`);
  });
  const url = urlFromNodeConfig(text);
  if (!url) throw new Error(`local node '${name}': no [server] listen address in ${file}`);
  return url;
}

let connection: Promise<{ url: string; token?: string }> | null = null;

/**
 * Where commands connect: `--node-url`, else `--node <profile>`, else `MEROCTL_NODE_URL`, else the active profile,
 * else the default URL. An explicit `--token` beats a profile's.
 */
export function target(): Promise<{ url: string; token?: string }> {
  connection ??= (async () => {
    const o = program.opts<Globals>();
    const token = o.token || undefined;
    const fromCli = program.getOptionValueSource('nodeUrl') === 'cli';
    if (fromCli && o.node !== undefined) throw new Error('give either --node-url or --node, not both');
    if (o.nodeUrl && (fromCli || o.node === undefined)) return { url: o.nodeUrl, token };
    const profiles = await loadProfiles();
    const name = o.node ?? profiles.active_node;
    if (name === undefined) return { url: DEFAULT_URL, token };
    const p = profiles.nodes[name];
    if (!p) {
      throw new Error(o.node !== undefined ? `node '${name}' is not configured; add it with 'meroctl node add ${name} <url|path>'` : `Active node '${name}' not found. Please check your configuration.`);
    }
    return { url: await profileUrl(name, p), token: token ?? p.jwt_tokens?.access_token };
  })();
  return connection;
}

export async function client(): Promise<NodeMeroClient> {
  const t = await target();
  return new NodeMeroClient({ url: t.url, token: t.token });
}

export const json = () => program.opts().output === 'json';

/** JSON on one line with `--output json`; otherwise the human form (pretty JSON when there is none). */
export function print(value: unknown, human?: () => string): void {
  process.stdout.write((json() ? JSON.stringify(value) : human ? human() : JSON.stringify(value, null, 2)) + '\n');
}

/** A progress line (upstream's InfoLine): on stderr, so stdout stays the command's result in either format. */
export function info(text: string): void {
  process.stderr.write(text + '\n');
}

export function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON: ${text}`);
  }
}

export const table = (rows: string[]) => (rows.length ? rows.join('\n') : '(none)');

/** A context id, or a context alias (upstream's `Alias<ContextId>`; `default` is an alias name too). */
export async function contextOf(c: NodeMeroClient, idOrAlias: string): Promise<string> {
  if (isId(idOrAlias)) return idOrAlias;
  const id = await c.lookupAlias('context', idOrAlias);
  if (!id) throw new Error(`unable to resolve context alias ${idOrAlias}`);
  return id;
}

/** A public key, or an identity alias of the context. */
export async function identityOf(c: NodeMeroClient, contextId: string, idOrAlias: string): Promise<string> {
  if (isId(idOrAlias)) return idOrAlias;
  const id = await c.lookupAlias('identity', idOrAlias, contextId);
  if (!id) throw new Error(`unable to resolve identity alias ${idOrAlias} in context ${contextId}`);
  return id;
}

/**
 * The member acting in a context: `--as` (a key or an identity alias), else the context's `default` identity
 * alias, else the first identity this node owns there.
 */
export async function actingMember(c: NodeMeroClient, contextId: string, as: string | undefined): Promise<string> {
  if (as !== undefined && as !== 'default') return identityOf(c, contextId, as);
  const member = (await c.lookupAlias('identity', 'default', contextId).catch(() => null)) ?? (await c.identities(contextId, true))[0];
  if (!member) throw new Error(`this node owns no identity in context ${contextId}; pass --as <publicKey>`);
  return member;
}

const CAPABILITIES: Record<string, Capability> = {
  manageapplication: 'ManageApplication',
  managemembers: 'ManageMembers',
  proxy: 'Proxy',
};
export function capabilityOf(name: string): Capability {
  const c = CAPABILITIES[name.replace(/[-_]/g, '').toLowerCase()];
  if (!c) throw new Error(`unknown capability ${name}: one of ManageApplication (manage-application), ManageMembers (manage-members), Proxy`);
  return c;
}

/** Waits for SIGINT or SIGTERM (long-running commands: watch). */
export function interrupted(): Promise<null> {
  return new Promise<null>((r) => {
    process.once('SIGINT', () => r(null));
    process.once('SIGTERM', () => r(null));
  });
}
