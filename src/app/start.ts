import pino, { type Logger } from 'pino';
import { loadConfig } from '../config/file.ts';
import type { NodeConfig } from '../config/schema.ts';
import { Node } from '../node/node.ts';
import { buildServer, listen } from '../server/server.ts';
import { setupAuth } from '../server/auth/index.ts';
import { redactLogMethod } from '../util/redact.ts';

export interface StartOptions {
  authMode?: 'proxy' | 'embedded';
  logger?: Logger;
  /** Name shown in the banner. */
  name?: string;
  /** Where the start banner goes (default: stdout). */
  banner?: (text: string) => void;
}

export interface RunningNode {
  node: Node;
  urls: string[];
  /** Settles only if the node cannot go on (its swarm cannot listen where configured); the caller then stops it. */
  fatal: Promise<Error>;
  stop(): Promise<void>;
}

/** For a node run as its own process: when it cannot go on ({@link RunningNode.fatal}), says why, stops it and exits 1. */
export function exitOnFatal(running: RunningNode): void {
  void running.fatal.then((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    void running.stop().finally(() => process.exit(1));
  });
}

/** Loads a node home, opens the node and its server, and prints the start banner. */
export async function startNode(dir: string, o: StartOptions = {}): Promise<RunningNode> {
  const config: NodeConfig = await loadConfig(dir);
  if (o.authMode) config.server.auth_mode = o.authMode;
  // Tokens never reach the log: `?token=` values and anything shaped like a JWT are written as [REDACTED].
  const logger = o.logger ?? pino({ name: 'merod', level: process.env.LOG_LEVEL ?? 'info', hooks: { logMethod: redactLogMethod } });
  const node = await Node.open({ dir, config, logger });
  let listening;
  try {
    const auth = await setupAuth(node);
    const app = await buildServer(node, auth);
    listening = await listen(node, app);
  } catch (err) {
    await node.close();
    throw err;
  }
  const urls = listening.urls;
  node.urls = urls;
  const swarm = config.swarm.listen.map((a) => `${a}/p2p/${node.identity.peerId}`);
  const first = urls[0]!;
  const banner = [
    '',
    `  Calimero node ${o.name ?? ''}`.trimEnd(),
    `  peer id        ${node.identity.peerId}`,
    `  home           ${dir}`,
    `  auth mode      ${config.server.auth_mode}`,
    ...(swarm.length > 0 ? swarm.map((a, i) => `  ${i === 0 ? 'swarm        ' : '             '}  ${a}`) : ['  swarm          no listen addresses']),
    ...urls.map((u, i) => `  ${i === 0 ? 'listening on ' : '             '}  ${u}`),
    `  admin API      ${first}/admin-api/health`,
    `  JSON-RPC       ${first}/jsonrpc`,
    `  WebSocket      ${first.replace(/^http/, 'ws')}/ws`,
    `  SSE            ${first}/sse`,
    `  dashboard      ${first}/admin-dashboard/`,
    ...(config.server.auth_mode === 'embedded' ? [`  login          ${first}/auth/login`] : []),
    ...(config.server.auth_mode === 'proxy'
      ? [
          config.server.proxy_auth?.url
            ? `  auth service   ${config.server.proxy_auth.url} (forwarded: /auth, /admin)`
            : '  WARNING        proxy mode without [server.proxy_auth]: every route is open; run it behind mero-auth',
        ]
      : []),
    '',
  ].join('\n');
  (o.banner ?? ((t) => process.stdout.write(t)))(banner + '\n');
  logger.info({ peerId: node.identity.peerId, urls, authMode: config.server.auth_mode }, 'node started');
  // The swarm starts in the background once the server answers (loading js-libp2p takes a moment), so signal
  // handlers and callers are not held up; a node without peers works as before. stop() waits for it.
  let fail!: (err: Error) => void;
  const fatal = new Promise<Error>((resolve) => (fail = resolve));
  const swarmStarted = node.startNetwork().then(
    () => {
      if (node.network) logger.info({ swarm: node.network.addresses() }, 'swarm listening');
    },
    (err: Error) => fail(err),
  );
  let stopping: Promise<void> | null = null;
  return {
    node,
    urls,
    fatal,
    stop() {
      stopping ??= (async () => {
        logger.info('shutting down');
        await listening.close();
        await swarmStarted;
        await node.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
