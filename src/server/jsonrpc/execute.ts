import type { Handler } from '../handler.ts';
import type { Services } from '../services.ts';
import type { jsonrpcRoutes } from '../../wire/routes/streams.ts';
import { executionRequest, type JsonRpcResponse } from '../../wire/jsonrpc.ts';
import { decodeId, encodeId, isId } from '../../util/ids.ts';
import { ExecuteError, type ExecMode } from '../../node/execution.ts';
import { validationMessage } from '../errors.ts';
import { demandExecute } from '../auth/context-access.ts';

/**
 * JSON-RPC method names: upstream's `execute`, plus the seed's `query` (read-only: runs concurrently, never
 * persists) and `mutate` (same as `execute`: serialised per context, commits its writes).
 */
const METHODS: Record<string, ExecMode> = { execute: 'mutate', mutate: 'mutate', query: 'query' };

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
    const mode = METHODS[body.method];
    if (!mode) {
      return reply({ error: { type: 'ParseError', data: `unknown variant \`${body.method}\`, expected one of \`execute\`, \`query\`, \`mutate\`` } });
    }
    if (body.params === undefined) return reply({ error: { type: 'ParseError', data: 'missing field `params`' } });
    const parsed = executionRequest.safeParse(body.params);
    if (!parsed.success) return reply({ error: { type: 'ParseError', data: validationMessage(parsed.error.issues) } });
    const p = parsed.data;
    demandExecute(principal, p.contextId, p.executorPublicKey, p.method);
    try {
      let args = JSON.stringify(p.argsJson ?? null);
      if (p.substitute.length > 0) args = await substitute(s, decodeId(p.contextId), args, p.substitute);
      const result = await s.execution.execute({
        contextId: decodeId(p.contextId),
        method: p.method,
        input: Buffer.from(args, 'utf8'),
        executor: decodeId(p.executorPublicKey),
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
