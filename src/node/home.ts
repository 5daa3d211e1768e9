import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { configExists, ConfigError, loadConfig, saveRaw } from '../config/file.ts';
import { DEFAULT_SERVER_PORT, DEFAULT_SWARM_PORT } from '../config/schema.ts';
import { Store } from '../store/store.ts';
import { generateIdentity } from './identity.ts';
import { generateCertificate } from './tls.ts';

export function defaultHome(): string {
  return process.env.CALIMERO_HOME || join(homedir(), '.calimero');
}

export function nodeDir(home: string, node: string): string {
  return resolve(home, node);
}

export interface InitOptions {
  serverHost?: string[];
  serverPort?: number;
  swarmHost?: string[];
  swarmPort?: number;
  authMode?: 'proxy' | 'embedded';
  authStorage?: 'persistent' | 'memory';
  authStoragePath?: string;
  /** Proxy mode: URL of the external mero-auth the node forwards to and validates with (ours). */
  authUrl?: string;
  bootNodes?: string[];
  mdns?: boolean;
  mode?: 'standard' | 'read-only';
  force?: boolean;
}

function hostAddr(host: string, port: number): string {
  const kind = isIP(host);
  if (kind === 0) throw new ConfigError(`invalid host \`${host}\`: expected an IPv4 or IPv6 address`);
  return `/${kind === 4 ? 'ip4' : 'ip6'}/${host}/tcp/${port}`;
}

/** Creates a node home: config.toml (identity, server, swarm, stores), the RocksDB store and a TLS certificate. */
export async function initNode(dir: string, o: InitOptions = {}): Promise<void> {
  const serverHosts = o.serverHost ?? ['127.0.0.1', '::1'];
  const serverPort = o.serverPort ?? DEFAULT_SERVER_PORT;
  const swarmHosts = o.swarmHost ?? ['0.0.0.0', '::'];
  const swarmPort = o.swarmPort ?? DEFAULT_SWARM_PORT;
  const authMode = o.authMode ?? 'proxy';
  // Validate every flag before touching the disk.
  const serverListen = serverHosts.map((h) => hostAddr(h, serverPort));
  const swarmListen = swarmHosts.map((h) => hostAddr(h, swarmPort));
  if (authMode !== 'embedded' && (o.authStorage || o.authStoragePath)) {
    throw new ConfigError('--auth-storage and --auth-storage-path apply to embedded auth only; add --auth-mode embedded');
  }
  if (authMode === 'embedded' && o.authUrl) throw new ConfigError('--auth-url applies to proxy mode only');

  if (configExists(dir)) {
    if (!o.force) {
      throw new ConfigError(`node is already initialized in ${dir}; pass --force to overwrite it`);
    }
    await rm(dir, { recursive: true, force: true });
  } else if (existsSync(dir) && o.force) {
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });

  const server: Record<string, unknown> = {
    listen: serverListen,
    auth_mode: authMode,
    admin: { enabled: true },
    jsonrpc: { enabled: true },
    websocket: { enabled: true, ping_interval_secs: 30, pong_timeout_secs: 10 },
    sse: { enabled: true },
  };
  if (authMode === 'embedded') {
    const storage =
      o.authStorage === 'memory'
        ? { type: 'memory' }
        : { type: 'rocksdb', path: o.authStoragePath ?? 'auth' };
    server.embedded_auth = {
      listen_addr: '127.0.0.1:3001',
      jwt: { issuer: 'calimero-auth', access_token_expiry: 3600, refresh_token_expiry: 2592000 },
      storage,
      providers: { user_password: true },
    };
  } else if (o.authUrl) {
    server.proxy_auth = { url: o.authUrl };
  }

  const raw = {
    identity: await generateIdentity(),
    mode: o.mode ?? 'standard',
    swarm: { listen: swarmListen },
    server,
    bootstrap: { nodes: o.bootNodes ?? [] },
    discovery: { mdns: o.mdns ?? true, advertise_address: false },
    sync: { timeout_ms: 30_000, interval_ms: 5_000, frequency_ms: 10_000 },
    datastore: { path: 'data' },
    blobstore: { path: 'blobs' },
    runtime: { workers: 2, call_timeout_ms: 5_000 },
  };
  await saveRaw(dir, raw);

  const config = await loadConfig(dir);
  await mkdir(join(dir, config.blobstore.path), { recursive: true });
  const store = await Store.open(join(dir, config.datastore.path));
  await store.close();
  await generateCertificate(dir, serverHosts.filter((h) => h !== '0.0.0.0' && h !== '::'));
}
