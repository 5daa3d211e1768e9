#!/usr/bin/env node
import '../polyfills.ts';
import { CommanderError } from 'commander';
import { ApiError, ResponseError, RpcError } from '../client/node.ts';
import { aliasCommands } from './meroctl/alias.ts';
import { appCommands } from './meroctl/app.ts';
import { blobCommands } from './meroctl/blob.ts';
import { callCommands } from './meroctl/calls.ts';
import { program, target } from './meroctl/common.ts';
import { contextCommands } from './meroctl/context.ts';
import { nodeCommands } from './meroctl/node.ts';

/**
 * `meroctl`: a command line over the typed client (src/client), one module per command group in ./meroctl/.
 * Errors: message on stderr, exit code 1 (usage: 2).
 */
appCommands(program);
contextCommands(program);
callCommands(program);
blobCommands(program);
aliasCommands(program);
nodeCommands(program);

/** One line for any failure, in the node's own words where it gave some. */
async function describe(err: unknown): Promise<string> {
  const url = async () => (await target().catch(() => null))?.url ?? 'the configured URL';
  if (err instanceof ApiError) {
    if (err.status === 401) return `HTTP 401: unauthorized (pass --token or set MEROCTL_TOKEN)${err.errorText ? `: ${err.errorText}` : ''}`;
    return err.message;
  }
  if (err instanceof RpcError || err instanceof ResponseError) return err.message;
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `cannot reach the node at ${await url()} (${cause?.code ?? cause?.message ?? 'fetch failed'})`;
  }
  if (err instanceof Error && /ECONNREFUSED/.test(err.message)) return `cannot reach the node at ${await url()} (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Upstream's `app install|watch --version <v>`: commander would take `--version` anywhere as the program's own
 * flag, so after `install` or `watch` it is passed on as `--package-version`.
 */
function argv(): string[] {
  const at = process.argv.findIndex((a, i) => i > 1 && (a === 'install' || a === 'watch'));
  return process.argv.map((a, i) => (at > 1 && i > at && /^--version(=|$)/.test(a) ? a.replace('--version', '--package-version') : a));
}

try {
  await program.parseAsync(argv());
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  process.stderr.write(`error: ${await describe(err)}\n`);
  process.exit(1);
}
