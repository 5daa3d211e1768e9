import type { Node } from '../node/node.ts';
import type { StreamAuth } from './auth/streams.ts';
import type { Guard } from './auth/principal.ts';
import type { RecordLimits } from './admin/limits.ts';

/** Auth state of one server, built once in `buildServer` and handed to the handlers that need it. */
export interface ServerAuth {
  /** Open streams, closed when their credential is revoked or expires. */
  readonly streams: StreamAuth;
  hasAdministrator(): Promise<boolean>;
  /** The credential check of protected routes; absent when the node enforces none (read by `is-authed`). */
  readonly guard?: Guard;
}

/**
 * What the server's handlers may use: the node's services and the server's own state (built once in
 * `buildServer`). Each handler names the part it needs (`Pick<Services, 'contexts' | 'execution'>`), so its
 * reach is visible in its signature.
 */
export interface Services {
  contexts: Node['contexts'];
  execution: Node['execution'];
  apps: Node['apps'];
  blobs: Node['blobs'];
  sync: Node['sync'];
  wallet: Node['wallet'];
  /** The embedded mero-auth service (embedded mode only). */
  authService: Node['auth'];
  config: Node['config'];
  logger: Node['logger'];
  /** The node's home directory (its TLS certificate). */
  dir: string;
  peerId: string;
  /** The URLs the server listens on (known once it is bound). */
  urls(): string[];
  peerCount(): number;
  /** `[server.limits]` caps on stored records. */
  limits: RecordLimits;
  auth: ServerAuth;
  /** The OpenAPI document of the routes this server mounts. */
  openApi(): Record<string, unknown>;
}

/** The node's part of {@link Services}. */
export function nodeServices(node: Node): Omit<Services, 'limits' | 'auth' | 'openApi'> {
  return {
    contexts: node.contexts,
    execution: node.execution,
    apps: node.apps,
    blobs: node.blobs,
    sync: node.sync,
    wallet: node.wallet,
    authService: node.auth,
    config: node.config,
    logger: node.logger,
    dir: node.dir,
    peerId: node.identity.peerId,
    urls: () => node.urls,
    peerCount: () => node.peerCount(),
  };
}
