#!/usr/bin/env node
import '../polyfills.ts';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, Option } from 'commander';
import { ApiError, NodeMeroClient, ResponseError, RpcError, type AliasKind, type Capability, type NodeEvent } from '../client/node.ts';
import { isId } from '../util/ids.ts';
import { proposalCommands } from './meroctl-proposals.ts';
import pkg from '../../package.json' with { type: 'json' };

/** `meroctl`: a command line over the typed client (src/client). Errors: message on stderr, exit code 1 (usage: 2). */
const program = new Command('meroctl')
  .description('Control a Calimero node over its node server (admin API, JSON-RPC, events)')
  .version(pkg.version)
  .option('--node-url <url>', 'node server URL (env MEROCTL_NODE_URL)', process.env.MEROCTL_NODE_URL ?? 'http://127.0.0.1:2528')
  .option('--token <jwt>', 'bearer token for auth-enabled nodes (env MEROCTL_TOKEN)', process.env.MEROCTL_TOKEN)
  .addOption(new Option('--output <format>', 'output format').choices(['json', 'human']).default('human'))
  .showHelpAfterError()
  .exitOverride();

function client(): NodeMeroClient {
  const o = program.opts<{ nodeUrl: string; token?: string }>();
  return new NodeMeroClient({ url: o.nodeUrl, token: o.token || undefined });
}

const json = () => program.opts().output === 'json';

/** JSON on one line with `--output json`; otherwise the human form (pretty JSON when there is none). */
function print(value: unknown, human?: () => string): void {
  process.stdout.write((json() ? JSON.stringify(value) : human ? human() : JSON.stringify(value, null, 2)) + '\n');
}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON: ${text}`);
  }
}

const table = (rows: string[]) => (rows.length ? rows.join('\n') : '(none)');

// ---- applications ---------------------------------------------------------------------------------------------

const app = program.command('app').description('applications');
app
  .command('install <pathOrUrl>')
  .description('install a WASM application: a local path (install-dev-application) or an http(s) URL (install-application)')
  .option('--metadata <json>', 'metadata (JSON, stored as its UTF-8 bytes)')
  .option('--hash <base58>', 'expected sha256 of the file (URL installs)')
  .option('--package <name>', 'package name (default on the node: unknown)')
  .option('--package-version <version>', 'version of the package, e.g. 1.0.0; also --version, as upstream (default on the node: 0.0.0)')
  .action(async (src: string, o: { metadata?: string; hash?: string; package?: string; packageVersion?: string }) => {
    const metadata = parseJson(o.metadata, '--metadata');
    const named = { package: o.package, version: o.packageVersion };
    let id: string;
    if (/^https?:\/\//i.test(src)) {
      id = await client().installApplication({ url: src, metadata, hash: o.hash, ...named });
    } else {
      const path = resolve(src);
      // The node reads the path itself; checking here gives a clearer message when both run on one machine.
      await stat(path).catch(() => {
        throw new Error(`no such file: ${path}`);
      });
      id = await client().installDevApplication({ path, metadata, ...named });
    }
    print({ applicationId: id }, () => id);
  });
app
  .command('ls')
  .description('list installed applications')
  .action(async () => {
    const apps = await client().listApplications();
    print(apps, () => table(apps.map((a) => `${a.id}  ${a.size} B  ${a.source}`)));
  });
app
  .command('get <id>')
  .description('show an application')
  .action(async (id: string) => {
    const a = await client().getApplication(id);
    if (!a) throw new Error(`application ${id} is not installed`);
    print(a);
  });
app
  .command('uninstall <id>')
  .description('uninstall an application')
  .action(async (id: string) => {
    await client().uninstallApplication(id);
    print({ uninstalled: id }, () => `uninstalled ${id}`);
  });
app
  .command('list-packages')
  .description('package names of the installed applications')
  .action(async () => {
    const packages = await client().listPackages();
    print({ packages }, () => table(packages));
  });
app
  .command('list-versions <package>')
  .description('installed versions of a package')
  .action(async (name: string) => {
    const versions = await client().listVersions(name);
    print({ versions }, () => table(versions));
  });
app
  .command('get-latest-version <package>')
  .description('the newest installed version of a package and its application id')
  .action(async (name: string) => {
    const latest = await client().getLatestVersion(name);
    print(latest, () => (latest.version === null ? `no versions of ${name}` : `${latest.version}  ${latest.applicationId}`));
  });

// ---- contexts -------------------------------------------------------------------------------------------------

const ctx = program.command('context').description('contexts');
ctx
  .command('create <applicationId>')
  .description("create a context (runs the app's init)")
  .option('--params <json>', 'initialization params (JSON, sent as its UTF-8 bytes)')
  .option('--seed <base58>', 'context seed (32 bytes, base58): derives the context id')
  .option('--protocol <name>', 'protocol', 'near')
  .action(async (applicationId: string, o: { params?: string; seed?: string; protocol: string }) => {
    const r = await client().createContext({
      applicationId,
      initializationParams: parseJson(o.params, '--params'),
      contextSeed: o.seed,
      protocol: o.protocol,
    });
    print(r, () => `context ${r.contextId}\nmember  ${r.memberPublicKey}`);
  });
ctx
  .command('ls')
  .description('list contexts')
  .action(async () => {
    const all = await client().listContexts();
    print(all, () => table(all.map((c) => `${c.id}  app ${c.applicationId}  root ${c.rootHash}`)));
  });
ctx
  .command('get <id>')
  .description('show a context')
  .action(async (id: string) => print(await client().getContext(id)));
ctx
  .command('delete <id>')
  .alias('rm')
  .description('delete a context')
  .action(async (id: string) => {
    const deleted = await client().deleteContext(id);
    if (!deleted) throw new Error(`no such context ${id}`);
    print({ isDeleted: deleted }, () => `deleted ${id}`);
  });
ctx
  .command('sync')
  .description('ask the node to pull from its peers now (one context, or all with --all)')
  .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
  .option('-a, --all', 'every context')
  .action(async (o: { context: string; all?: boolean }) => {
    const c = client();
    if (o.all) {
      await c.syncContext();
      return print({ data: null }, () => 'sync requested for every context');
    }
    const id = isId(o.context) ? o.context : await c.lookupAlias('context', o.context);
    if (!id) throw new Error(`unable to resolve context alias ${o.context}`);
    await c.syncContext(id);
    print({ data: null }, () => `sync requested for ${id}`);
  });
ctx
  .command('identities <id>')
  .description('members of a context')
  .option('--owned', 'only identities whose private key this node holds')
  .action(async (id: string, o: { owned?: boolean }) => {
    const ids = await client().identities(id, !!o.owned);
    print(ids, () => table(ids));
  });

/** The member acting in a context: `--as`, or else the first identity this node owns there. */
async function actingMember(c: NodeMeroClient, contextId: string, as: string | undefined): Promise<string> {
  const member = as ?? (await c.identities(contextId, true))[0];
  if (!member) throw new Error(`this node owns no identity in context ${contextId}; pass --as <publicKey>`);
  return member;
}

const CAPABILITIES: Record<string, Capability> = {
  manageapplication: 'ManageApplication',
  managemembers: 'ManageMembers',
  proxy: 'Proxy',
};
function capabilityOf(name: string): Capability {
  const c = CAPABILITIES[name.replace(/[-_]/g, '').toLowerCase()];
  if (!c) throw new Error(`unknown capability ${name}: one of ManageApplication (manage-application), ManageMembers (manage-members), Proxy`);
  return c;
}

ctx
  .command('invite <contextId> <inviteeId>')
  .description('add a member (its public key, from `context identity generate` on its node); prints the invitation payload')
  .option('--as <publicKey>', 'inviter, a member with ManageMembers (default: the first identity this node owns)')
  .action(async (contextId: string, invitee: string, o: { as?: string }) => {
    const c = client();
    const payload = await c.invite(contextId, await actingMember(c, contextId, o.as), invitee);
    if (payload === null) throw new Error(`no such context ${contextId}`);
    print({ invitationPayload: payload }, () => payload);
  });
ctx
  .command('join <invitationPayload>')
  .description("join a context with an invitation (its invitee key must be in this node's identity pool)")
  .action(async (payload: string) => {
    const r = await client().join(payload);
    print(r, () => `context ${r.contextId}\nmember  ${r.memberPublicKey}`);
  });
ctx
  .command('leave <contextId>')
  .description("leave a context (signed removal of this node's members, then local deletion)")
  .option('--member <publicKey>', 'remove only this owned member')
  .action(async (contextId: string, o: { member?: string }) => {
    const left = await client().leave(contextId, o.member);
    if (!left) throw new Error(`no such context ${contextId}`);
    print({ isDeleted: left }, () => `left ${contextId}`);
  });
ctx
  .command('update <contextId> <applicationId>')
  .description('switch the context to another installed application (members follow)')
  .option('--as <publicKey>', 'executor, a member with ManageApplication (default: the first identity this node owns)')
  .option('--migrate-method <name>', 'method of the new application to run once after the switch')
  .action(async (contextId: string, applicationId: string, o: { as?: string; migrateMethod?: string }) => {
    const c = client();
    await c.updateContextApplication(contextId, { applicationId, executorPublicKey: await actingMember(c, contextId, o.as), migrateMethod: o.migrateMethod });
    print({ applicationId }, () => `context ${contextId} runs ${applicationId}`);
  });
proposalCommands(ctx, { client, print, actingMember });
for (const [verb, grant] of [['grant', true], ['revoke', false]] as const) {
  ctx
    .command(`${verb} <contextId> <memberId> <capability>`)
    .description(`${verb} a capability: ManageApplication, ManageMembers or Proxy`)
    .option('--as <publicKey>', 'signer, a member with ManageMembers (default: the first identity this node owns)')
    .action(async (contextId: string, member: string, capability: string, o: { as?: string }) => {
      const c = client();
      const cap = capabilityOf(capability);
      const signer = await actingMember(c, contextId, o.as);
      await (grant ? c.grantCapabilities(contextId, signer, [[member, cap]]) : c.revokeCapabilities(contextId, signer, [[member, cap]]));
      print({ member, capability: cap, granted: grant }, () => `${grant ? 'granted' : 'revoked'} ${cap} ${grant ? 'to' : 'from'} ${member}`);
    });
}
ctx
  .command('identity')
  .description('context identities')
  .command('generate')
  .alias('new')
  .description("create a key pair in this node's identity pool (to be invited with); prints its public key")
  .action(async () => {
    const publicKey = await client().generateContextIdentity();
    print({ publicKey }, () => publicKey);
  });

// ---- calls and events -----------------------------------------------------------------------------------------

program
  .command('call <contextId> <method>')
  .description('call a method of a context (JSON-RPC); prints its JSON output')
  .option('--args <json>', 'arguments (JSON)', '{}')
  .option('--as <publicKey>', 'executor identity (default: the first identity this node owns in the context)')
  .option('--query', 'read-only call (runs concurrently, never persists)')
  .option('--substitute <aliases>', 'comma-separated identity aliases to replace as {alias} in the args')
  .action(async (contextId: string, method: string, o: { args: string; as?: string; query?: boolean; substitute?: string }) => {
    const c = client();
    const args = parseJson(o.args, '--args');
    const executor = await actingMember(c, contextId, o.as);
    const opts = o.substitute ? { substitute: o.substitute.split(',').filter(Boolean) } : {};
    const out = o.query ? await c.query(contextId, method, args, executor, opts) : await c.execute(contextId, method, args, executor, opts);
    print(out);
  });

program
  .command('watch <contextId...>')
  .description('print the events of contexts as JSON lines until interrupted (SIGINT)')
  .option('--sse', 'use SSE instead of WebSocket')
  .option('--since <lastEventId>', 'SSE: resume a session from this event id (replays what it missed)')
  .action(async (contextIds: string[], o: { sse?: boolean; since?: string }) => {
    const c = client();
    const onEvent = (e: NodeEvent) => process.stdout.write(JSON.stringify(e) + '\n');
    const warn = (err: Error) => process.stderr.write(`warning: ${err.message}\n`);
    let sub: { close(): void };
    let lost: Promise<string>;
    if (o.sse) {
      const s = await c.subscribeSse(contextIds, onEvent, {
        lastEventId: o.since,
        onError: warn,
        onReconnect: ({ sessionId, resumed }) => process.stderr.write(`reconnected (session ${sessionId}${resumed ? '' : ', new session'})\n`),
      });
      sub = s;
      lost = new Promise(() => undefined); // SSE reconnects by itself
      process.stderr.write(`watching ${contextIds.join(', ')} (SSE session ${s.sessionId}); Ctrl-C to stop\n`);
    } else {
      const s = await c.subscribeWs(contextIds, onEvent, { onError: warn });
      sub = s;
      lost = s.closed.then(({ code, reason }) => `connection closed by the node (${code}${reason ? ` ${reason}` : ''})`);
      process.stderr.write(`watching ${contextIds.join(', ')} (WebSocket); Ctrl-C to stop\n`);
    }
    const stop = new Promise<null>((r) => {
      process.once('SIGINT', () => r(null));
      process.once('SIGTERM', () => r(null));
    });
    const why = await Promise.race([stop, lost]);
    sub.close();
    if (why) throw new Error(why);
    process.exit(0);
  });

// ---- blobs ----------------------------------------------------------------------------------------------------

const blob = program.command('blob').description('blobs');
blob
  .command('upload <file>')
  .description('upload a file (streamed)')
  .option('--hash <base58>', 'expected sha256 of the file')
  .action(async (file: string, o: { hash?: string }) => {
    await stat(file).catch(() => {
      throw new Error(`no such file: ${file}`);
    });
    const r = await client().uploadBlob(createReadStream(file), { hash: o.hash });
    print(r, () => `${r.blob_id}  ${r.size} B`);
  });
blob
  .command('ls')
  .description('list blobs')
  .action(async () => {
    const all = await client().listBlobs();
    print(all, () => table(all.map((b) => `${b.blob_id}  ${b.size} B`)));
  });
blob
  .command('get <id>')
  .description('download a blob to stdout or a file')
  .option('-o, --out <file>', 'write to a file instead of stdout')
  .action(async (id: string, o: { out?: string }) => {
    const b = await client().openBlob(id);
    const source = Readable.fromWeb(b.body as import('node:stream/web').ReadableStream<Uint8Array>);
    if (o.out) {
      await pipeline(source, createWriteStream(o.out));
      process.stderr.write(`wrote ${b.size} B to ${o.out}\n`);
    } else {
      await pipeline(source, process.stdout as Writable, { end: false });
    }
  });
blob
  .command('rm <id>')
  .description('delete a blob')
  .action(async (id: string) => {
    await client().deleteBlob(id);
    print({ deleted: id }, () => `deleted ${id}`);
  });

// ---- aliases --------------------------------------------------------------------------------------------------

const KINDS = ['context', 'application', 'identity'];
const kindArg = (k: string): AliasKind => {
  if (!KINDS.includes(k)) throw new Error(`alias kind must be one of ${KINDS.join(', ')}`);
  return k as AliasKind;
};
const alias = program.command('alias').description('aliases of contexts, applications and identities (identity: --context)');
alias
  .command('create <kind> <name> <value>')
  .option('--context <id>', 'context of an identity alias')
  .action(async (kind: string, name: string, value: string, o: { context?: string }) => {
    await client().createAlias(kindArg(kind), name, value, o.context);
    print({ alias: name, value }, () => `${name} → ${value}`);
  });
alias
  .command('lookup <kind> <name>')
  .option('--context <id>', 'context of an identity alias')
  .action(async (kind: string, name: string, o: { context?: string }) => {
    const v = await client().lookupAlias(kindArg(kind), name, o.context);
    if (v === null) throw new Error(`no ${kind} alias ${name}`);
    print({ value: v }, () => v);
  });
alias
  .command('rm <kind> <name>')
  .option('--context <id>', 'context of an identity alias')
  .action(async (kind: string, name: string, o: { context?: string }) => {
    await client().deleteAlias(kindArg(kind), name, o.context);
    print({ deleted: name }, () => `deleted ${name}`);
  });
alias
  .command('ls <kind>')
  .option('--context <id>', 'context of identity aliases')
  .action(async (kind: string, o: { context?: string }) => {
    const all = await client().listAliases(kindArg(kind), o.context);
    print(all, () => table(Object.entries(all).map(([k, v]) => `${k}  ${v}`)));
  });

// ---- node -----------------------------------------------------------------------------------------------------

program
  .command('health')
  .description('check that the node answers')
  .action(async () => {
    const h = await client().health();
    print(h, () => h.status);
  });
program
  .command('peers')
  .description('number of connected peers')
  .action(async () => {
    const n = await client().peers();
    print({ count: n }, () => String(n));
  });

/** One line for any failure, in the node's own words where it gave some. */
function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return `HTTP 401: unauthorized (pass --token or set MEROCTL_TOKEN)${err.errorText ? `: ${err.errorText}` : ''}`;
    return err.message;
  }
  if (err instanceof RpcError || err instanceof ResponseError) return err.message;
  if (err instanceof TypeError && err.message === 'fetch failed') {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return `cannot reach the node at ${program.opts().nodeUrl} (${cause?.code ?? cause?.message ?? 'fetch failed'})`;
  }
  if (err instanceof Error && /ECONNREFUSED/.test(err.message)) return `cannot reach the node at ${program.opts().nodeUrl} (${err.message})`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Upstream's `app install --version <v>`: commander would take `--version` anywhere as the program's own flag,
 * so after `install` it is passed on as `--package-version`.
 */
function argv(): string[] {
  const at = process.argv.indexOf('install');
  return process.argv.map((a, i) => (at > 1 && i > at && /^--version(=|$)/.test(a) ? a.replace('--version', '--package-version') : a));
}

try {
  await program.parseAsync(argv());
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  process.stderr.write(`error: ${describe(err)}\n`);
  process.exit(1);
}
