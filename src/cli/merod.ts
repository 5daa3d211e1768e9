#!/usr/bin/env node
import '../polyfills.ts';
import { Command, Option, InvalidArgumentError } from 'commander';
import { ConfigError, applyEdits, readRaw, saveRaw, configExists } from '../config/file.ts';
import { defaultHome, initNode, nodeDir } from '../node/home.ts';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}

function hosts(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

const program = new Command('merod')
  .description('Calimero node')
  .option('--home <path>', 'directory for config and data (env CALIMERO_HOME)', defaultHome())
  .requiredOption('-n, --node <name>', 'name of the node (a folder under --home)')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

function dirOf(): string {
  const o = program.opts<{ home: string; node: string }>();
  return nodeDir(o.home, o.node);
}

program
  .command('init')
  .description('initialize a node home: config.toml, identity, store, TLS certificate')
  .option('--server-host <hosts>', 'hosts for the node server (comma separated)', hosts, ['127.0.0.1', '::1'])
  .option('--server-port <port>', 'port for the node server', port, 2528)
  .option('--swarm-host <hosts>', 'hosts for the p2p swarm (comma separated)', hosts, ['0.0.0.0', '::'])
  .option('--swarm-port <port>', 'port for the p2p swarm', port, 2428)
  .addOption(new Option('--auth-mode <mode>', 'authentication mode').choices(['proxy', 'embedded']))
  .addOption(new Option('--auth-storage <kind>', 'embedded auth storage').choices(['persistent', 'memory']))
  .option('--auth-storage-path <dir>', 'embedded auth storage path (persistent storage only)')
  .option('--auth-url <url>', 'proxy mode: external mero-auth URL to forward /auth and /admin to and validate tokens with')
  .option('--boot-nodes <addrs...>', 'bootstrap peers (multiaddrs)')
  .option('--no-mdns', 'disable mDNS discovery')
  .addOption(new Option('--mode <mode>', 'node mode').choices(['standard', 'read-only']).default('standard'))
  .option('--force', 'overwrite an existing node')
  .action(async (o) => {
    const dir = dirOf();
    await initNode(dir, {
      serverHost: o.serverHost,
      serverPort: o.serverPort,
      swarmHost: o.swarmHost,
      swarmPort: o.swarmPort,
      authMode: o.authMode,
      authStorage: o.authStorage,
      authStoragePath: o.authStoragePath,
      authUrl: o.authUrl,
      bootNodes: o.bootNodes,
      mdns: o.mdns,
      mode: o.mode,
      force: o.force,
    });
    process.stdout.write(`Initialized a node in ${dir}\n`);
  });

program
  .command('run')
  .description('run the node')
  .addOption(new Option('--auth-mode <mode>', 'override the configured auth mode').choices(['proxy', 'embedded']))
  .action(async (o) => {
    // Loaded here so that init/config/--help do not pay for the server's imports.
    const { startNode, exitOnFatal } = await import('../app/start.ts');
    const running = await startNode(dirOf(), { authMode: o.authMode, name: program.opts().node });
    exitOnFatal(running);
    const shutdown = (signal: string) => {
      running.node.logger.info({ signal }, 'signal received');
      running.stop().then(
        () => process.exit(0),
        (err) => {
          process.stderr.write(`error during shutdown: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('config')
  .description('edit config.toml: key=value pairs with TOML dotted keys, e.g. server.auth_mode="embedded"')
  .argument('<pairs...>', 'key=value pairs')
  .action(async (pairs: string[]) => {
    const dir = dirOf();
    if (!configExists(dir)) throw new ConfigError(`node is not initialized in ${dir}; run \`merod init\` first`);
    await saveRaw(dir, applyEdits(await readRaw(dir), pairs));
    process.stdout.write('Node configuration has been updated\n');
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
