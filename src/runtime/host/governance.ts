/**
 * Governance host functions (upstream host_functions/governance.rs): proposals and approvals, reported in the
 * outcome for the node to act on.
 */
import { fail } from '../errors.ts';
import { DIGEST, type CallContext, type HostFunctions } from './call.ts';

export function governance(cx: CallContext): HostFunctions {
  return {
    send_proposal: (actionsPtr, idPtr) => {
      const actions = cx.memory.slice(cx.memory.buffer(actionsPtr));
      const out = cx.memory.view(cx.memory.buffer(idPtr));
      if (out.length !== DIGEST) fail('InvalidMemoryAccess');
      const id = crypto.getRandomValues(new Uint8Array(DIGEST));
      out.set(id);
      cx.effects.proposals.push({ id, actions });
    },
    approve_proposal: (ptr) => {
      cx.effects.approvals.push(cx.memory.sized(cx.memory.buffer(ptr), DIGEST));
    },
  };
}
