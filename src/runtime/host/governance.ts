/**
 * Governance host functions (upstream host_functions/governance.rs): proposals and approvals, reported in the
 * outcome for the node to act on.
 */
import { fail } from '../errors.ts';
import { DIGEST, type CallContext, type HostFunctions } from './call.ts';

export function governance(cx: CallContext): HostFunctions {
  const { memory, effects } = cx;
  return {
    send_proposal: (actionsPtr, idPtr) => {
      const actions = memory.slice(memory.buffer(actionsPtr));
      const out = memory.view(memory.buffer(idPtr));
      if (out.length !== DIGEST) fail('InvalidMemoryAccess');
      const id = crypto.getRandomValues(new Uint8Array(DIGEST));
      out.set(id);
      effects.proposals.push({ id, actions });
    },
    approve_proposal: (ptr) => {
      effects.approvals.push(memory.sized(memory.buffer(ptr), DIGEST));
    },
  };
}
