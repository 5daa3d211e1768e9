/**
 * Context host functions (upstream host_functions/context.rs): membership queries answered by the node, alias
 * resolution, and requests to create or delete contexts and to add or remove members, which the node applies
 * after the call (they are reported as the outcome's `contextMutations`).
 */
import { fail, HostTrap, hostErrors } from '../errors.ts';
import { DIGEST, hex, serviceNames, type CallContext, type HostFunctions, type Synced } from './call.ts';

/** The node services context functions need (main thread, async). */
export interface ContextServices {
  /** Members of the context, for context_is_member / context_members (else: none). */
  contextMembers?(): Promise<Uint8Array[]>;
  /**
   * Alias resolution for context_resolve_alias, scoped to the calling context: its alias, else the name itself
   * when it reads as a public key (else: "node client is not available").
   */
  resolveAlias?(alias: string): Promise<Uint8Array | null>;
  /** Whether the calling context already has this alias (context_create refuses to reuse it; else: not checked). */
  aliasTaken?(alias: string): Promise<boolean>;
}

export const CONTEXT_SERVICES = serviceNames<ContextServices>({ contextMembers: 'contextMembers', resolveAlias: 'resolveAlias', aliasTaken: 'aliasTaken' });

const MAX_ALIAS_LEN = 50;

export function context(cx: CallContext<Synced<ContextServices>>): HostFunctions {
  const id32 = (ptr: bigint) => cx.memory.sized(cx.memory.buffer(ptr), DIGEST);
  const checkAlias = (alias: string): void => {
    if (Buffer.byteLength(alias) > MAX_ALIAS_LEN) throw new HostTrap(hostErrors.aliasTooLong(Buffer.byteLength(alias)));
  };

  return {
    context_create: (protocolPtr, appIdPtr, argsPtr, aliasPtr) => {
      const protocol = cx.memory.str(cx.memory.buffer(protocolPtr));
      const applicationId = id32(appIdPtr);
      const initArgs = cx.memory.slice(cx.memory.buffer(argsPtr));
      let alias: string | null = null;
      if (aliasPtr !== 0n) {
        const a = cx.memory.buffer(aliasPtr);
        if (a.len > 0) alias = cx.memory.str(a);
      }
      if (alias !== null) {
        checkAlias(alias);
        if (cx.host.aliasTaken?.(alias)) throw new HostTrap(hostErrors.aliasAlreadyExists(alias));
      }
      cx.effects.contextMutations.push({ kind: 'CreateContext', protocol, applicationId, initArgs, alias });
    },
    context_delete: (ptr) => {
      cx.effects.contextMutations.push({ kind: 'DeleteContext', contextId: id32(ptr) });
    },
    context_add_member: (ptr) => {
      cx.effects.contextMutations.push({ kind: 'AddMember', publicKey: id32(ptr) });
    },
    context_remove_member: (ptr) => {
      cx.effects.contextMutations.push({ kind: 'RemoveMember', publicKey: id32(ptr) });
    },
    context_is_member: (ptr) => {
      const pk = hex(id32(ptr));
      const members = cx.host.contextMembers?.() ?? [];
      return members.some((m) => hex(m) === pk) ? 1 : 0;
    },
    context_members: (reg) => {
      const members = cx.host.contextMembers?.() ?? [];
      const out = new Uint8Array(4 + DIGEST * members.length); // borsh Vec<[u8; 32]>
      new DataView(out.buffer).setUint32(0, members.length, true);
      members.forEach((m, i) => out.set(m.subarray(0, DIGEST), 4 + i * DIGEST));
      cx.registers.set(reg, out);
    },
    context_resolve_alias: (ptr, reg) => {
      const alias = cx.memory.str(cx.memory.buffer(ptr));
      if (!cx.host.resolveAlias) fail('NodeClientNotAvailable');
      checkAlias(alias);
      const id = cx.host.resolveAlias(alias);
      if (!id) return 0;
      cx.registers.set(reg, id.slice());
      return 1;
    },
  };
}
