#!/usr/bin/env node
import '../polyfills.ts';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { MeroClient } from '../client/index.ts';
import { subscribeSse, subscribeWs } from '../client/events.ts';

/** `meroctl`: a command line over the typed client (src/client). */
const program = new Command('meroctl')
  .description('Control a Calimero node over its node server')
  .option('--node-url <url>', 'node server URL (env MEROCTL_NODE_URL)', process.env.MEROCTL_NODE_URL ?? 'http://127.0.0.1:2528')
  .option('--token <jwt>', 'bearer token for auth-enabled nodes (env MEROCTL_TOKEN)', process.env.MEROCTL_TOKEN)
  .option('--output <format>', 'json or human', 'human')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function client(): MeroClient {
  const o = program.opts<{ nodeUrl: string; token?: string }>();
  return new MeroClient({ url: o.nodeUrl, token: o.token });
}

function print(value: unknown, human?: () => string): void {
  const json = program.opts().output === 'json';
  process.stdout.write((json || !human ? JSON.stringify(value, null, json ? 0 : 2) : human()) + '\n');
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON: ${text}`);
  }
}

const app = program.command('app').description('applications');
app
  .command('install <pathOrUrl>')
  .description('install a WASM application from a local path or an http(s) URL')
  .option('--metadata <json>', 'metadata (JSON, stored as bytes)')
  .action(async (src: string, o) => {
    const metadata = parseJson(o.metadata, '--metadata');
    const id = /^https?:\/\//.test(src)
      ? await client().installApplication({ url: src, metadata })
      : await client().installDevApplication({ path: resolve(src), metadata });
    print({ applicationId: id }, () => id);
  });
app.command('ls').description('list applications').action(async () => {
  const apps = await client().listApplications();
  print(apps, () => apps.map((a) => `${a.id}  ${a.size} B  ${a.source}`).join('\n') || '(none)');
});
app.command('get <id>').action(async (id: string) => print(await client().getApplication(id)));
app.command('uninstall <id>').action(async (id: string) => {
  await client().uninstallApplication(id);
  print({ uninstalled: id }, () => `uninstalled ${id}`);
});

const ctx = program.command('context').description('contexts');
ctx
  .command('create <applicationId>')
  .option('--params <json>', 'initialization params (JSON)')
  .action(async (applicationId: string, o) => {
    const r = await client().createContext({ applicationId, initializationParams: parseJson(o.params, '--params') });
    print(r, () => `context ${r.contextId}\nmember  ${r.memberPublicKey}`);
  });
ctx.command('ls').action(async () => {
  const all = await client().listContexts();
  print(all, () => all.map((c) => `${c.id}  app ${c.applicationId}  root ${c.rootHash}`).join('\n') || '(none)');
});
ctx.command('get <id>').action(async (id: string) => print(await client().getContext(id)));
ctx.command('delete <id>').action(async (id: string) => {
  const deleted = await client().deleteContext(id);
  print({ isDeleted: deleted }, () => (deleted ? `deleted ${id}` : `no such context ${id}`));
});
ctx
  .command('identities <id>')
  .option('--owned', 'only identities whose key this node holds')
  .action(async (id: string, o) => {
    const ids = await client().identities(id, !!o.owned);
    print(ids, () => ids.join('\n'));
  });

program
  .command('call <contextId> <method>')
  .description('call a method of a context (JSON-RPC)')
  .option('--args <json>', 'arguments (JSON)', '{}')
  .option('--as <publicKey>', 'executor identity (default: the first identity this node owns in the context)')
  .option('--query', 'read-only call (never persists)')
  .action(async (contextId: string, method: string, o) => {
    const c = client();
    const executor = o.as ?? (await c.identities(contextId, true))[0];
    if (!executor) throw new Error(`this node owns no identity in context ${contextId}`);
    const args = parseJson(o.args, '--args');
    const out = o.query ? await c.query(contextId, method, args, executor) : await c.execute(contextId, method, args, executor);
    print(out);
  });

program
  .command('watch <contextId>')
  .description('print the context events as JSON lines until interrupted')
  .option('--sse', 'use SSE instead of WebSocket')
  .action(async (contextId: string, o) => {
    const onEvent = (e: unknown) => process.stdout.write(JSON.stringify(e) + '\n');
    const sub = o.sse ? await subscribeSse(client(), [contextId], onEvent) : await subscribeWs(client(), [contextId], onEvent);
    process.stderr.write(`watching ${contextId} (${o.sse ? 'SSE' : 'WebSocket'}); Ctrl-C to stop\n`);
    await new Promise<void>((r) => {
      process.once('SIGINT', r);
      process.once('SIGTERM', r);
    });
    sub.close();
    process.exit(0);
  });

const blob = program.command('blob').description('blobs');
blob.command('upload <file>').action(async (file: string) => {
  const r = await client().uploadBlob(await readFile(file));
  print(r, () => `${r.blob_id}  ${r.size} B`);
});
blob.command('ls').action(async () => {
  const all = await client().listBlobs();
  print(all, () => all.map((b) => `${b.blob_id}  ${b.size} B`).join('\n') || '(none)');
});
blob
  .command('get <id>')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (id: string, o) => {
    const bytes = await client().downloadBlob(id);
    if (o.out) await writeFile(o.out, bytes);
    else process.stdout.write(bytes);
  });
blob.command('rm <id>').action(async (id: string) => {
  await client().deleteBlob(id);
  print({ deleted: id }, () => `deleted ${id}`);
});

program.command('health').action(async () => print(await client().health(), () => 'alive'));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
});
