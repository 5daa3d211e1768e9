import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeStats } from '../runtime/index.ts';

/** Prometheus metrics of one node (own registry, so several nodes in one process do not clash). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'merod_http_requests_total',
    help: 'HTTP requests handled, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'merod_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly executions = new Counter({
    name: 'merod_executions_total',
    help: 'WASM method executions, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly executionDuration = new Histogram({
    name: 'merod_execution_duration_seconds',
    help: 'WASM method execution latency',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly wsConnections = new Counter({
    name: 'merod_ws_connections_total',
    help: 'WebSocket connections accepted',
    registers: [this.registry],
  });
  /**
   * Events pushed to subscribers, by transport: plain numbers, bumped once per subscriber and event (a fan-out
   * to thousands of subscribers would otherwise hash the label set thousands of times), read at each scrape.
   */
  readonly delivered = { ws: 0, sse: 0 };
  readonly eventsDelivered = ((delivered) =>
    new Counter({
      name: 'merod_events_delivered_total',
      help: 'Events pushed to subscribers, by transport',
      labelNames: ['transport'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const transport of ['ws', 'sse'] as const) this.inc({ transport }, delivered[transport]);
      },
    }))(this.delivered);
  /** Application blobs fetched from peers on demand (src/node/sync/app-blobs.ts), by outcome. */
  readonly blobFetches = new Counter({
    name: 'merod_blob_fetches_total',
    help: 'Blob fetches from context peers: fetched, missing (no peer served it), invalid (wrong id or too large), failed, not_member',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'merod_' });
  }

  /** The sync layer's figures, read from it at each scrape. */
  watchSync(read: () => { entries: Record<string, number>; pending: number; peers: number }): void {
    const registers = [this.registry];
    new Counter({
      name: 'merod_sync_entries_total',
      help: 'DAG entries: applied (local and remote), rejected, published, fetched from peers; handlers = event handler runs',
      labelNames: ['event'] as const,
      registers,
      collect() {
        this.reset();
        for (const [event, n] of Object.entries(read().entries)) this.inc({ event }, n);
      },
    });
    new Gauge({ name: 'merod_sync_pending_entries', help: 'Received entries waiting for their parents', registers, collect() { this.set(read().pending); } });
    new Gauge({ name: 'merod_peers', help: 'Connected swarm peers', registers, collect() { this.set(read().peers); } });
  }

  /** The runtime's counters (src/runtime/index.ts), read at each scrape. */
  watchRuntime(read: () => RuntimeStats): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, pick: (s: RuntimeStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(pick(read()));
        },
      });
    counter('merod_runtime_calls_total', 'Guest calls handed to the runtime', (s) => s.calls);
    counter('merod_runtime_reused_instances_total', 'Guest calls that ran in a reused instance, reset to its state after instantiation, rather than a new one', (s) => s.reusedInstances);
    counter('merod_runtime_compiled_modules_total', 'Modules compiled (module cache misses that compiled)', (s) => s.compiled);
    counter('merod_runtime_timeouts_total', 'Guest calls ended at their deadline', (s) => s.timeouts);
    counter('merod_runtime_worker_restarts_total', 'Execution workers replaced (deadline, crash, out of memory)', (s) => s.workerRestarts);
  }

  /** The store's durable writes (group commit: fewer WAL syncs than synced commits under concurrency). */
  watchStore(read: () => { syncedCommits: number; walSyncs: number }): void {
    const registers = [this.registry];
    new Counter({ name: 'merod_store_synced_commits_total', help: 'Commits written to be made durable by a WAL sync', registers, collect() { this.reset(); this.inc(read().syncedCommits); } });
    new Counter({ name: 'merod_store_wal_syncs_total', help: 'WAL syncs (fdatasync), each covering every commit written before it began', registers, collect() { this.reset(); this.inc(read().walSyncs); } });
  }

  /** Root hash checks across peers (src/node/sync/repair.ts): repairs of diverged contexts and inherent differences. */
  watchRoots(read: () => { repaired: number; failed: number; inherent: number; moved: number }): void {
    const registers = [this.registry];
    new Counter({
      name: 'merod_sync_repairs_total',
      help: 'Repairs of contexts whose root differed from their peers\' at equal heads: repaired, failed attempts, moved (the heads changed meanwhile)',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        this.reset();
        const r = read();
        for (const outcome of ['repaired', 'failed', 'moved'] as const) this.inc({ outcome }, r[outcome]);
      },
    });
    new Counter({
      name: 'merod_sync_root_differences_inherent_total',
      help: 'Root differences at equal heads left alone because a side holds local-only structure from calimero-storage (docs/network.md)',
      registers,
      collect() {
        this.reset();
        this.inc(read().inherent);
      },
    });
  }

  /** Reachability of the contexts that have other members (src/node/sync/peers.ts). */
  watchReachability(read: () => { contexts: Array<{ context: string; reachable: number }>; isolated: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'merod_sync_context_reachable_peers',
      help: 'Connected peers subscribed to the topic of each context that has other members',
      labelNames: ['context'] as const,
      registers,
      collect() {
        this.reset();
        for (const { context, reachable } of read().contexts) this.set({ context }, reachable);
      },
    });
    new Gauge({
      name: 'merod_sync_isolated_contexts',
      help: 'Contexts with other members but no reachable peer for [sync] isolation_warn_ms',
      registers,
      collect() {
        this.set(read().isolated);
      },
    });
  }
}
