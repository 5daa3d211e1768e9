import { readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify, TomlError } from 'smol-toml';
import { configSchema, type NodeConfig } from './schema.ts';

export const CONFIG_FILE = 'config.toml';

export class ConfigError extends Error {}

type Table = Record<string, unknown>;

export function configPath(nodeDir: string): string {
  return join(nodeDir, CONFIG_FILE);
}

export function configExists(nodeDir: string): boolean {
  return existsSync(configPath(nodeDir));
}

/**
 * Upstream's README documents `[network.server]` while the real file is flattened (`[server]`). We accept
 * both on read: tables under `network` are lifted to the top level (the top-level spelling wins on a clash).
 */
export function normalize(raw: Table): Table {
  const out: Table = { ...raw };
  const network = raw.network;
  if (network && typeof network === 'object' && !Array.isArray(network)) {
    delete out.network;
    for (const [k, v] of Object.entries(network as Table)) {
      out[k] = deepMerge(v, out[k]);
    }
  }
  return out;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isTable(base) && isTable(over)) {
    const out: Table = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
    return out;
  }
  return over;
}

function isTable(v: unknown): v is Table {
  return !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
}

function formatIssues(file: string, error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .map((i) => `${file}: invalid value for key \`${i.path.map(String).join('.') || '(root)'}\`: ${i.message}`)
    .join('\n');
}

/** Validates a parsed TOML document; errors name the offending key. */
export function validate(raw: Table, file = CONFIG_FILE): NodeConfig {
  const result = configSchema.safeParse(normalize(raw));
  if (!result.success) throw new ConfigError(formatIssues(file, result.error));
  return result.data;
}

export async function readRaw(nodeDir: string): Promise<Table> {
  const file = configPath(nodeDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(`node is not initialized in ${nodeDir} (no ${CONFIG_FILE}); run \`merod init\` first`);
    }
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parse(text, { integersAsBigInt: 'asNeeded' }) as Table;
  } catch (err) {
    const e = err as TomlError;
    throw new ConfigError(`${file}: invalid TOML at line ${e.line ?? '?'}, column ${e.column ?? '?'}: ${firstLine(e.message)}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

export async function loadConfig(nodeDir: string): Promise<NodeConfig> {
  return validate(await readRaw(nodeDir), configPath(nodeDir));
}

/** Writes the upstream form (`[server]`, not `[network.server]`), atomically (temp file + rename). */
export async function saveRaw(nodeDir: string, raw: Table): Promise<void> {
  const normalized = normalize(raw);
  validate(normalized, configPath(nodeDir));
  const file = configPath(nodeDir);
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, stringify(normalized) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Applies `key=value` edits (TOML dotted keys; the value is parsed as a TOML value, and a bare word that is
 * not valid TOML is taken as a string, so `server.auth_mode=embedded` works as well as `="embedded"`).
 */
export function applyEdits(raw: Table, edits: string[]): Table {
  const doc = normalize(structuredClone(raw));
  for (const edit of edits) {
    const eq = edit.indexOf('=');
    if (eq <= 0) throw new ConfigError(`invalid argument \`${edit}\`: expected key=value`);
    let path = edit.slice(0, eq).trim().split('.');
    if (path[0] === 'network' && path.length > 1) path = path.slice(1);
    if (path.some((p) => p === '')) throw new ConfigError(`invalid key \`${edit.slice(0, eq)}\``);
    const value = parseValue(edit.slice(eq + 1).trim());
    let cur: Table = doc;
    for (const key of path.slice(0, -1)) {
      const next = cur[key];
      if (next === undefined) cur[key] = {};
      else if (!isTable(next)) throw new ConfigError(`cannot set \`${path.join('.')}\`: \`${key}\` is not a table`);
      cur = cur[key] as Table;
    }
    cur[path.at(-1)!] = value;
  }
  return doc;
}

function parseValue(text: string): unknown {
  try {
    return (parse(`v = ${text}`, { integersAsBigInt: 'asNeeded' }) as Table).v;
  } catch {
    if (/^[^\s"'[\]{}=]+$/.test(text)) return text;
    throw new ConfigError(`invalid TOML value \`${text}\``);
  }
}
