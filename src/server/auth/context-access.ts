import { permission } from '../../auth/index.ts';
import { allows, demand, type Principal } from './principal.ts';

/**
 * Who may watch a context's events (WebSocket and SSE subscriptions). Upstream 0.10.0 checks nothing here;
 * we accept any of `context:subscribe[<ctx>]` (the name later upstream versions use), `context:execute[<ctx>]`,
 * `context:list[<ctx>]`, or the `context[<ctx>,<identity>]` an application's frontend token carries.
 */
export function maySubscribe(principal: Principal | undefined, contextId: string): boolean {
  return allows(
    principal,
    permission('context', 'subscribe', contextId),
    permission('context', 'execute', contextId),
    permission('context', 'list', contextId),
    permission('context', '', contextId),
  );
}

/**
 * JSON-RPC `execute`: `context:execute[<ctx>,<executor>,<method>]`, where a token's user and method
 * parameters (when present) must match the executor and method of the call; or an application frontend's
 * `context[<ctx>,<identity>]` for calls as that identity.
 */
export function demandExecute(principal: Principal | undefined, contextId: string, executor: string, method: string): void {
  demand(principal, permission('context', 'execute', contextId, executor, method), permission('context', '', contextId, executor));
}
