/**
 * `mero-auth` command: the authentication service on its own.
 *
 *   mero-auth [--config <file.toml>] [--bind <host:port>] [-v|-vv]
 *
 * The TOML file has upstream's `AuthConfig` layout (top-level `listen_addr`, `[jwt]`, `[storage]`,
 * `[providers]`, `[cors]`, `[security]`, `[user_password]`, `[development]`); `AUTH_*` environment
 * variables override it (`AUTH_JWT__ISSUER=…`). Default listen address 127.0.0.1:3001.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { applyEnvOverrides, parseAuthConfig } from './config.ts';
import { startAuthServer } from './server.ts';

const USAGE = `Usage: mero-auth [--config <file.toml>] [--bind <host:port>] [-v]

Options:
  -c, --config <file>   configuration file (TOML, mero-auth AuthConfig layout)
  -b, --bind <addr>     listen address, overrides listen_addr (default 127.0.0.1:3001)
  -v, --verbose         more logging (-vv for trace)
  -h, --help            show this help`;

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        bind: { type: 'string', short: 'b' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    process.stderr.write(`mero-auth: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let raw: Record<string, unknown> = {};
  if (args.values.config) {
    try {
      raw = parseToml(await readFile(args.values.config, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      process.stderr.write(`mero-auth: cannot load ${args.values.config}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  let config;
  try {
    config = parseAuthConfig(applyEnvOverrides(raw, process.env));
  } catch (e) {
    process.stderr.write(`mero-auth: ${(e as Error).message}\n`);
    return 1;
  }
  const verbosity = args.values.verbose?.length ?? 0;
  let server;
  try {
    server = await startAuthServer(config, {
      listen: args.values.bind,
      logLevel: verbosity >= 2 ? 'trace' : verbosity === 1 ? 'debug' : 'info',
    });
  } catch (e) {
    process.stderr.write(`mero-auth: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`mero-auth listening on ${server.url}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
