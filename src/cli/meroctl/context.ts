/** `meroctl context …`: contexts, membership (invitations, open invitations, capabilities), updates. */
import type { Command } from 'commander';
import type { NodeMeroClient, SignedOpenInvitation } from '../../client/node.ts';
import { isId } from '../../util/ids.ts';
import { installDev, watchAndUpdate } from './app.ts';
import { actingMember, capabilityOf, client, contextOf, parseJson, print, table } from './common.ts';
import { formatSyncStatus } from '../sync-status.ts';
import { identityCommands } from './identity.ts';
import { proposalCommands } from './proposals.ts';

/** `--output json` prints upstream's response (`{"data":…}`) for the commands upstream prints it for. */
const joined = (r: { contextId: string; memberPublicKey: string }) => `context ${r.contextId}\nmember  ${r.memberPublicKey}`;

/** An open invitation from the command line: upstream's SignedOpenInvitation JSON, or the `{"data":…}` around it. */
function openInvitationOf(text: string): SignedOpenInvitation {
  const v = parseJson(text, 'the invitation') as { data?: unknown; invitation?: unknown } | null;
  const inv = v && typeof v === 'object' && 'data' in v && !('invitation' in v) ? v.data : v;
  if (!inv || typeof inv !== 'object' || !('invitation' in inv) || !('inviter_signature' in inv)) {
    throw new Error('the invitation is not a SignedOpenInvitation ({"invitation":{…},"inviter_signature":"…"})');
  }
  return inv as SignedOpenInvitation;
}

export function contextCommands(program: Command): void {
  const ctx = program.command('context').description('contexts');
  ctx
    .command('create <applicationId>')
    .description("create a context (runs the app's init)")
    .option('--params <json>', 'initialization params (JSON, sent as its UTF-8 bytes)')
    .option('--seed <base58>', 'context seed (32 bytes, base58): derives the context id')
    .option('--protocol <name>', 'protocol', 'near')
    .action(async (applicationId: string, o: { params?: string; seed?: string; protocol: string }) => {
      const r = await (await client()).createContext({
        applicationId,
        initializationParams: parseJson(o.params, '--params'),
        contextSeed: o.seed,
        protocol: o.protocol,
      });
      print(r, () => joined(r));
    });
  ctx
    .command('ls')
    .alias('list')
    .description('list contexts')
    .action(async () => {
      const all = await (await client()).listContexts();
      print(all, () => table(all.map((c) => `${c.id}  app ${c.applicationId}  root ${c.rootHash}`)));
    });
  ctx
    .command('get [what] [context]')
    .description('show a context: `get <id|alias>`, or as upstream `get info|storage [context]` (context default: the alias default)')
    .action(async (what: string | undefined, context: string | undefined) => {
      const c = await client();
      if (what === 'info' || what === 'storage' || what === 'client-keys') {
        const id = await contextOf(c, context ?? 'default');
        if (what === 'client-keys') throw new Error('client keys of a context: upstream 0.10.0 has no such route any more (see mero-auth: GET /admin/keys/clients)');
        if (what === 'info') return print(await c.getContext(id));
        const sizeInBytes = await c.contextStorage(id);
        return print({ sizeInBytes }, () => `${sizeInBytes} B`);
      }
      print(await c.getContext(await contextOf(c, what ?? 'default')));
    });
  ctx
    .command('delete <id>')
    .aliases(['rm', 'del'])
    .description('delete a context')
    .action(async (id: string) => {
      const deleted = await (await client()).deleteContext(id);
      if (!deleted) throw new Error(`no such context ${id}`);
      print({ isDeleted: deleted }, () => `deleted ${id}`);
    });
  ctx
    .command('sync')
    .description('ask the node to pull from its peers now (one context, or all with --all)')
    .option('-c, --context <idOrAlias>', 'the context (id or context alias)', 'default')
    .option('-a, --all', 'every context')
    .action(async (o: { context: string; all?: boolean }) => {
      const c = await client();
      if (o.all) {
        await c.syncContext();
        return print({ data: null }, () => 'sync requested for every context');
      }
      const id = await contextOf(c, o.context);
      await c.syncContext(id);
      print({ data: null }, () => `sync requested for ${id}`);
    });
  ctx
    .command('sync-status <idOrAlias>')
    .description("a context's sync status: reachable peers, last sync, entries whose merge failed, pending entries")
    .action(async (idOrAlias: string) => {
      const c = await client();
      const st = await c.syncStatus(await contextOf(c, idOrAlias));
      print(st, () => formatSyncStatus(st));
    });
  ctx
    .command('identities <id>')
    .description('members of a context')
    .option('--owned', 'only identities whose private key this node holds')
    .action(async (id: string, o: { owned?: boolean }) => {
      const ids = await (await client()).identities(id, !!o.owned);
      print(ids, () => table(ids));
    });
  ctx
    .command('invite <contextId> <inviteeId>')
    .description('add a member (its public key, from `context identity generate` on its node); prints the invitation payload')
    .option('--as <publicKey>', 'inviter, a member with ManageMembers (default: the first identity this node owns)')
    .action(async (contextId: string, invitee: string, o: { as?: string }) => {
      const c = await client();
      const payload = await c.invite(contextId, await actingMember(c, contextId, o.as), invitee);
      if (payload === null) throw new Error(`no such context ${contextId}`);
      print({ invitationPayload: payload }, () => payload);
    });
  ctx
    .command('join <invitationPayload>')
    .description("join a context with an invitation (its invitee key must be in this node's identity pool)")
    .action(async (payload: string) => {
      const r = await (await client()).join(payload);
      print(r, () => joined(r));
    });
  ctx
    .command('invite-by-open-invitation')
    .alias('invite-open')
    .description('create an open invitation: anyone holding it may join until it expires (prints it as JSON)')
    .option('-c, --context <idOrAlias>', 'the context', 'default')
    .option('--as <inviter>', 'inviter (key or identity alias), a member with ManageMembers', 'default')
    .option('--valid-for-blocks <n>', 'lifetime in blocks (here a block is one second)', '1000')
    .action(async (o: { context: string; as: string; validForBlocks: string }) => {
      const c = await client();
      const blocks = Number(o.validForBlocks);
      if (!Number.isSafeInteger(blocks) || blocks < 0) throw new Error(`--valid-for-blocks must be a whole number, got ${o.validForBlocks}`);
      const contextId = await contextOf(c, o.context);
      const data = await c.inviteByOpenInvitation(contextId, await actingMember(c, contextId, o.as), blocks);
      if (data === null) throw new Error(`no such context ${contextId}`);
      print({ data }, () => JSON.stringify(data));
    });
  ctx
    .command('join-by-open-invitation <invitation>')
    .alias('join-open')
    .description('join with an open invitation (its JSON) as an identity of this node\'s pool (`context identity generate`)')
    .requiredOption('--as <publicKey>', 'the identity that joins')
    .option('--name <alias>', 'a context alias to create for the joined context')
    .action(async (text: string, o: { as: string; name?: string }) => {
      const c = await client();
      const data = await c.joinByOpenInvitation(openInvitationOf(text), o.as);
      if (data && o.name) await c.createAlias('context', o.name, data.contextId);
      print({ data }, () => (data ? joined(data) : 'not joined'));
    });
  ctx
    .command('open-invitations <idOrAlias>')
    .description('the open invitations this node signed for a context (ours), or revoke one with --revoke <salt>')
    .option('--revoke <salt>', 'refuse every later join with this invitation')
    .action(async (idOrAlias: string, o: { revoke?: string }) => {
      const c = await client();
      const contextId = await contextOf(c, idOrAlias);
      if (o.revoke) {
        await c.revokeOpenInvitation(contextId, o.revoke);
        print({ revoked: o.revoke }, () => `revoked ${o.revoke}`);
        return;
      }
      const list = await c.openInvitations(contextId);
      const state = (i: (typeof list)[number]) => (i.revokedAt !== null ? 'revoked' : i.expiresAt <= Date.now() ? 'expired' : 'valid');
      print(list, () => table(list.map((i) => `${i.salt}  ${state(i)}  until ${new Date(i.expiresAt).toISOString()}  joined ${i.joinedCount}  by ${i.inviterId}`)));
    });
  ctx
    .command('leave <contextId>')
    .description("leave a context (signed removal of this node's members, then local deletion)")
    .option('--member <publicKey>', 'remove only this owned member')
    .action(async (contextId: string, o: { member?: string }) => {
      const left = await (await client()).leave(contextId, o.member);
      if (!left) throw new Error(`no such context ${contextId}`);
      print({ isDeleted: left }, () => `left ${contextId}`);
    });
  ctx
    .command('update [contextId] [applicationId]')
    .description('switch the context to another application: an installed one, or a file installed first (--path, kept in sync with --watch)')
    .option('-c, --context <idOrAlias>', 'the context (instead of the first argument)', 'default')
    .option('-a, --application-id <id>', 'the application (instead of the second argument)')
    .option('--path <file>', 'install this WASM file and switch to it')
    .option('--metadata <json>', 'metadata of the --path install (JSON)')
    .option('-w, --watch', 'with --path: re-install and switch again whenever the file changes')
    .option('--as <publicKey>', 'executor (key or identity alias), a member with ManageApplication (default: the alias default, else the first owned identity)')
    .option('--migrate-method <name>', 'method of the new application to run once after the switch')
    .action(async (ctxArg: string | undefined, appArg: string | undefined, o: UpdateOptions) => {
      const c = await client();
      const contextId = await contextOf(c, ctxArg ?? o.context);
      const executor = await actingMember(c, contextId, o.as);
      await update(c, contextId, executor, appArg ?? o.applicationId, o);
    });
  for (const [verb, grant] of [['grant', true], ['revoke', false]] as const) {
    ctx
      .command(`${verb} <contextId> <memberId> <capability>`)
      .description(`${verb} a capability: ManageApplication, ManageMembers or Proxy`)
      .option('--as <publicKey>', 'signer, a member with ManageMembers (default: the first identity this node owns)')
      .action(async (contextId: string, member: string, capability: string, o: { as?: string }) => {
        const c = await client();
        const cap = capabilityOf(capability);
        const signer = await actingMember(c, contextId, o.as);
        await (grant ? c.grantCapabilities(contextId, signer, [[member, cap]]) : c.revokeCapabilities(contextId, signer, [[member, cap]]));
        print({ member, capability: cap, granted: grant }, () => `${grant ? 'granted' : 'revoked'} ${cap} ${grant ? 'to' : 'from'} ${member}`);
      });
  }
  identityCommands(ctx);
  proposalCommands(ctx);
}

interface UpdateOptions {
  context: string;
  applicationId?: string;
  path?: string;
  metadata?: string;
  watch?: boolean;
  as?: string;
  migrateMethod?: string;
}

async function update(c: NodeMeroClient, contextId: string, executor: string, appId: string | undefined, o: UpdateOptions): Promise<void> {
  if (appId !== undefined && (o.path || o.metadata || o.watch)) throw new Error('give either an application id or --path (with --metadata, --watch)');
  if (o.watch && !o.path) throw new Error('--watch needs --path');
  if (appId === undefined && !o.path) throw new Error('give the application: an id (argument or --application-id) or --path');
  const dev = o.path ? { path: o.path, metadata: parseJson(o.metadata, '--metadata') } : null;
  const applicationId = dev ? await installDev(c, dev) : appId!;
  if (!isId(applicationId)) throw new Error(`invalid application id ${applicationId}`);
  await c.updateContextApplication(contextId, { applicationId, executorPublicKey: executor, migrateMethod: o.migrateMethod });
  print({ applicationId }, () => `context ${contextId} runs ${applicationId}`);
  if (dev && o.watch) {
    await watchAndUpdate(c, dev, applicationId, async () => [contextId], async () => executor);
    process.exit(0);
  }
}
