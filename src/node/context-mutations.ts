/**
 * Applies what an application asked of the node through the context host functions (context_create,
 * context_delete, context_add_member, context_remove_member; src/runtime/host/context.ts). They run after the
 * mutation that asked for them has committed, in the order asked, with the same effect as upstream 0.10.0
 * (crates/context/src/handlers/utils.rs):
 *
 * - AddMember / RemoveMember: a membership entry signed by the executor, so every member applies it; it is
 *   refused unless the executor may manage members (a member may always remove itself).
 * - CreateContext: a new context of the application on this node, created by a fresh identity of this node
 *   (no seed, no given secret); its alias names the new context among the caller's identity aliases, scoped to
 *   the calling context, which is what `context_resolve_alias` reads.
 * - DeleteContext: only the calling context may be deleted (on this node); any other id is refused.
 *
 * A mutation that fails is logged and skipped: the call itself has already succeeded.
 */
import type { Logger } from 'pino';
import { encodeId, sameId } from '../util/ids.ts';
import type { ContextMutation } from '../runtime/index.ts';
import type { Contexts } from './contexts.ts';

export interface ContextMutationDeps {
  contexts: Pick<Contexts, 'createAlias'>;
  createContext(applicationId: Uint8Array, initArgs: Uint8Array): Promise<{ contextId: Uint8Array }>;
  deleteContext(contextId: Uint8Array): Promise<boolean>;
  /** Signs and applies a membership change; null on a node without the sync layer. */
  changeMember: ((contextId: Uint8Array, executor: Uint8Array, op: 'add' | 'remove', member: Uint8Array) => Promise<void>) | null;
  logger: Logger;
}

/** The one mutation a call may not ask for, with the reason (null when it may). */
export function forbidden(contextId: Uint8Array, m: ContextMutation): string | null {
  if (m.kind === 'DeleteContext' && !sameId(m.contextId, contextId)) return 'a context may only delete itself';
  return null;
}

export async function applyContextMutations(
  d: ContextMutationDeps,
  contextId: Uint8Array,
  executor: Uint8Array,
  mutations: readonly ContextMutation[],
): Promise<void> {
  const context = encodeId(contextId);
  for (const m of mutations) {
    const log = d.logger.child({ context, mutation: m.kind });
    const no = forbidden(contextId, m);
    if (no) {
      log.warn({ reason: no }, 'refusing a context mutation the application asked for');
      continue;
    }
    try {
      await applyOne(d, contextId, executor, m, log);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'a context mutation the application asked for failed');
    }
  }
}

async function applyOne(d: ContextMutationDeps, contextId: Uint8Array, executor: Uint8Array, m: ContextMutation, log: Logger): Promise<void> {
  switch (m.kind) {
    case 'AddMember':
    case 'RemoveMember': {
      if (!d.changeMember) throw new Error('membership changes need the sync layer');
      await d.changeMember(contextId, executor, m.kind === 'AddMember' ? 'add' : 'remove', m.publicKey);
      log.info({ member: encodeId(m.publicKey) }, 'membership changed at the application\'s request');
      return;
    }
    case 'CreateContext': {
      const { contextId: child } = await d.createContext(m.applicationId, m.initArgs);
      log.info({ child: encodeId(child), alias: m.alias }, 'context created at the application\'s request');
      if (m.alias !== null && !(await d.contexts.createAlias('identity', contextId, m.alias, child))) {
        log.warn({ alias: m.alias }, 'the alias of the new context is already taken in the calling context');
      }
      return;
    }
    case 'DeleteContext': {
      await d.deleteContext(contextId);
      log.info('context deleted at the application\'s request');
      return;
    }
  }
}
