import type { Handler } from '../handler.ts';
import type { Services } from '../services.ts';
import type { jsonrpcRoutes } from '../../wire/routes/streams.ts';
import type { JsonRpcResponse } from '../../wire/jsonrpc.ts';
import { encodeId, isId } from '../../util/ids.ts';
import { ExecuteError } from '../../node/execute-error.ts';
import { demandExecute } from '../auth/context-access.ts';
import { parseExecutePayload } from './payload.ts';

type Failure = { type: string; data?: unknown };

/**
 * A failed call as JSON-RPC's `error` member (HTTP 200): the one place where execution failures become the
 * envelope. Anything that is not an ExecuteError is logged and answered as `InternalError`.
 */
function rpcFailure(err: unknown, s: Pick<Services, 'logger'>): Failure {
  if (err instanceof ExecuteError) return err.toJSON();
  s.logger.error({ err }, 'execution failed');
  return { type: 'InternalError', data: {} };
}

/**
 * POST /jsonrpc. Envelope errors are HTTP 4xx text (axum's Json extractor); everything after a valid
 * envelope is HTTP 200 with `result` or `error` `{type, data?}`.
 */
export default (s: Pick<Services, 'execution' | 'contexts' | 'logger'>): Handler<typeof jsonrpcRoutes.execute> =>
  async ({ body, principal }): Promise<JsonRpcResponse> => {
    const reply = (r: { result: { output: unknown } } | { error: Failure }) => ({ jsonrpc: '2.0', id: body.id, ...r }) as JsonRpcResponse;
    // Payload errors in serde's words, as upstream (src/server/jsonrpc/payload.ts).
    const parsed = parseExecutePayload(body);
    if (!parsed.ok) return reply({ error: { type: 'ParseError', data: parsed.message } });
    const { mode, params: p } = parsed;
    demandExecute(principal, encodeId(p.contextId), encodeId(p.executorPublicKey), p.method);
    try {
      let args = JSON.stringify(p.argsJson);
      if (p.substitute.length > 0) args = await substitute(s, p.contextId, args, p.substitute);
      const result = await s.execution.execute({
        contextId: p.contextId,
        method: p.method,
        input: Buffer.from(args, 'utf8'),
        executor: p.executorPublicKey,
        mode,
      });
      return reply({ result: { output: result.output } });
    } catch (err) {
      return reply({ error: rpcFailure(err, s) });
    }
  };

/** Replaces each `{alias}` in the serialised args with the member key the alias names in this context. */
async function substitute(s: Pick<Services, 'contexts'>, contextId: Uint8Array, args: string, aliases: string[]): Promise<string> {
  for (const alias of aliases) {
    const target = await s.contexts.lookupAlias('identity', contextId, alias).catch(() => null);
    let key: string;
    if (target) key = encodeId(target);
    else if (isId(alias)) key = alias;
    else throw new ExecuteError('AliasResolutionFailed', { alias });
    args = args.split(`{${alias}}`).join(key);
  }
  return args;
}
