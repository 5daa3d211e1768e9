/**
 * meroctl's node connection profiles (`meroctl node add|use|list|remove`), kept as upstream keeps them: a TOML
 * file `calimero/meroctl/nodes.toml` under the user's config directory, with `active_node` and one `[nodes.<name>]`
 * table per node holding its `url` (a remote node) or `path` (a local node's directory) and optional
 * `jwt_tokens`. Pure functions here; the file is read and written by node.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';

export interface JwtTokens {
  access_token: string;
  refresh_token?: string;
}

export type NodeProfile = ({ url: string } | { path: string }) & { jwt_tokens?: JwtTokens };

export interface Profiles {
  nodes: Record<string, NodeProfile>;
  active_node?: string;
}

/** The user's config directory as upstream's `dirs::config_dir` finds it, then `calimero/meroctl/nodes.toml`. */
export function profilesPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  let dir: string;
  if (platform === 'win32') dir = env.APPDATA || join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') dir = join(home, 'Library', 'Application Support');
  else dir = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(dir, 'calimero', 'meroctl', 'nodes.toml');
}

/** Node names: what upstream's `valid_node_name` lets through (letters, digits, `-`, `_`). */
export function validNodeName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}

function tokensOf(v: unknown): JwtTokens | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const t = v as Record<string, unknown>;
  if (typeof t.access_token !== 'string') return undefined;
  return typeof t.refresh_token === 'string' ? { access_token: t.access_token, refresh_token: t.refresh_token } : { access_token: t.access_token };
}

/** Reads the file's text; entries that are neither a url nor a path are skipped. Throws on invalid TOML. */
export function parseProfiles(text: string): Profiles {
  const raw = parse(text) as Record<string, unknown>;
  const nodes: Record<string, NodeProfile> = {};
  for (const [name, v] of Object.entries((raw.nodes ?? {}) as Record<string, Record<string, unknown>>)) {
    const jwt = tokensOf(v?.jwt_tokens);
    const at = typeof v?.url === 'string' ? { url: v.url } : typeof v?.path === 'string' ? { path: v.path } : null;
    if (at) nodes[name] = jwt ? { ...at, jwt_tokens: jwt } : at;
  }
  return typeof raw.active_node === 'string' ? { nodes, active_node: raw.active_node } : { nodes };
}

export function renderProfiles(p: Profiles): string {
  return stringify(p.active_node === undefined ? { nodes: p.nodes } : { active_node: p.active_node, nodes: p.nodes }) + '\n';
}

/** A remote location is an http(s) URL; anything else is a local node's directory (as upstream decides). */
export function locationOf(location: string): { url: string } | { path: string } {
  try {
    const u = new URL(location);
    if (u.protocol === 'http:' || u.protocol === 'https:') return { url: location };
  } catch {
    /* a path */
  }
  return { path: location };
}

/**
 * The admin URL of a local node from its config.toml text: the first `[server] listen` address, with a wildcard
 * host replaced by loopback. Null when there is none.
 */
export function urlFromNodeConfig(text: string): string | null {
  const raw = parse(text) as { server?: { listen?: unknown } };
  const listen = Array.isArray(raw.server?.listen) ? (raw.server.listen as unknown[]) : [];
  for (const a of listen) {
    const m = typeof a === 'string' ? /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d+)/.exec(a) : null;
    if (!m) continue;
    let host = m[2]!;
    if (host === '0.0.0.0') host = '127.0.0.1';
    if (host === '::') host = '::1';
    return `http://${m[1] === 'ip6' ? `[${host}]` : host}:${m[3]}`;
  }
  return null;
}
