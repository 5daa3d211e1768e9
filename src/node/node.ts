import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/schema.ts';
import { Store } from '../store/store.ts';
import { loadIdentity, type NodeIdentity } from './identity.ts';
import { EventHub } from './events.ts';
import { Metrics } from './metrics.ts';
import { BlobStore } from './blobs.ts';
import { Applications } from './applications.ts';
import { Contexts } from './contexts.ts';
import { Execution } from './execution.ts';
import { SyncManager } from './sync/manager.ts';
import type { Network } from '../network/index.ts';
import { SwarmListenError } from '../network/listen.ts';
import { Runtime } from '../runtime/index.ts';
import { StoreAuthStorage, type AuthService } from '../auth/index.ts';
import { createWalletLogin, nodeSignerFromSeed, type WalletLogin } from '../auth/wallet.ts';

export interface NodeOptions {
  dir: string;
  config: NodeConfig;
  logger: Logger;
}

/**
 * A running node: its store, identity and the managers that the server's handlers call. The server is a
 * thin layer over this object; tests and the CLI use the same object through the HTTP surfaces.
 */
export class Node {
  readonly events = new EventHub();
  readonly metrics = new Metrics();
  private closers: Array<() => Promise<void>> = [];
  /** The embedded auth service, in embedded mode. */
  auth?: AuthService;
  /** Server URLs once the server is listening. */
  urls: string[] = [];
  readonly blobs: BlobStore;
  readonly apps: Applications;
  readonly contexts: Contexts;
  readonly runtime: Runtime;
  readonly execution: Execution;
  /** Participating contexts: the DAG of signed entries, membership, and sync with peers (src/node/sync). */
  readonly sync: SyncManager;
  /** The swarm, once started (startNetwork). */
  network: Network | null = null;
  /** The seed's wallet login: challenges and root/client keys, kept in the node store. */
  readonly wallet: WalletLogin;

  private constructor(
    readonly dir: string,
    readonly config: NodeConfig,
    readonly logger: Logger,
    readonly identity: NodeIdentity,
    readonly store: Store,
    readonly blobDir: string,
  ) {
    this.blobs = new BlobStore(store, blobDir);
    this.wallet = createWalletLogin({ signer: nodeSignerFromSeed(identity.seed), storage: new StoreAuthStorage(store, false) });
    this.apps = new Applications(store, this.blobs);
    this.contexts = new Contexts(store);
    this.runtime = new Runtime({ workers: config.runtime.workers, timeoutMs: config.runtime.call_timeout_ms });
    this.execution = new Execution({
      store,
      apps: this.apps,
      blobs: this.blobs,
      contexts: this.contexts,
      runtime: this.runtime,
      events: this.events,
      metrics: this.metrics,
      logger,
      timeoutMs: config.runtime.call_timeout_ms,
    });
    this.sync = new SyncManager({
      store,
      contexts: this.contexts,
      apps: this.apps,
      blobs: this.blobs,
      execution: this.execution,
      events: this.events,
      logger: logger.child({ component: 'sync' }),
      frequencyMs: config.sync.frequency_ms,
      timeoutMs: config.sync.timeout_ms,
      snapshotJoin: config.sync.snapshot_join,
      redialMaxMs: config.sync.redial_max_ms,
      isolationWarnMs: config.sync.isolation_warn_ms,
      metrics: this.metrics,
    });
    this.execution.hooks = this.sync.hooks;
    this.execution.blobSharing = this.sync.appBlobs;
    this.execution.governance = (ctx, executor, outcome) => this.sync.proposals.fromOutcome(ctx, executor, outcome);
    this.metrics.watchSync(() => ({ entries: { ...this.sync.stats }, pending: this.sync.pendingCount(), peers: this.peerCount() }));
    this.metrics.watchReachability(() => this.sync.reachability());
    this.metrics.watchRoots(() => this.sync.roots.stats);
    this.metrics.watchRuntime(() => this.runtime.stats());
    this.metrics.watchStore(() => ({ syncedCommits: this.store.syncedCommits, walSyncs: this.store.walSyncs }));
  }

  /**
   * Starts the swarm (`[swarm] listen`, `[bootstrap] nodes`, `[discovery] mdns`) and attaches the sync layer.
   * A failure is logged and the node keeps working locally, except a configured swarm address that cannot be bound
   * (its port in use): that rejects with SwarmListenError.
   */
  startNetwork(): Promise<void> {
    this.sync.networkStarting ??= this.startNetworkInner();
    return this.sync.networkStarting;
  }

  private async startNetworkInner(): Promise<void> {
    if (this.network) return;
    try {
      const { Network } = await import('../network/index.ts');
      const network = await Network.start({
        privateKey: this.identity.privateKey,
        listen: this.config.swarm.listen,
        bootstrap: this.config.bootstrap.nodes,
        mdns: this.config.discovery.mdns && process.env.MEROD_MDNS !== '0',
        logger: this.logger.child({ component: 'network' }),
      });
      this.network = network;
      await this.sync.attach(network);
      this.onClose(async () => {
        await this.sync.stop();
        await network.stop();
      });
    } catch (err) {
      // A port another process holds is the operator's to fix: the node stops instead of running unreachable.
      if (err instanceof SwarmListenError) {
        this.logger.fatal({ err }, 'the swarm cannot listen on its configured address');
        throw err;
      }
      this.logger.error({ err }, 'the swarm failed to start; running without peers');
    }
  }

  static async open(o: NodeOptions): Promise<Node> {
    const identity = loadIdentity(o.config.identity);
    const blobDir = resolve(o.dir, o.config.blobstore.path);
    await mkdir(blobDir, { recursive: true });
    const store = await Store.open(join(o.dir, o.config.datastore.path), {
      sync: true,
      onSyncFailure: (err) => o.logger.fatal({ err }, 'the store can no longer make writes durable: every write is refused; restart the node'),
    });
    const node = new Node(o.dir, o.config, o.logger, identity, store, blobDir);
    const swept = await node.blobs.sweep();
    if (swept > 0) o.logger.info({ files: swept }, 'removed chunk files of blob uploads a stop interrupted');
    node.closers.push(() => store.close());
    node.closers.push(() => node.runtime.close());
    return node;
  }

  /** Connected peers of the swarm. */
  peerCount(): number {
    return this.network?.peerCount() ?? 0;
  }

  /** Registers a shutdown step; steps run in reverse order of registration. */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    const steps = this.closers.reverse();
    this.closers = [];
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        this.logger.error({ err }, 'error during shutdown');
      }
    }
  }
}
