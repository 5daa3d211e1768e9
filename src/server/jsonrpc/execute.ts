import { defineRoute } from '../route.ts';
import { executionRequest, jsonrpcRequest, jsonrpcResponse, type JsonRpcResponse } from '../../wire/jsonrpc.ts';
import { decodeId, encodeId, isId } from '../../util/ids.ts';
import { ExecuteError, type ExecMode } from '../../node/execution.ts';
import { validationMessage } from '../errors.ts';
import type { Node } from '../../node/node.ts';
import { demandExecute } from '../auth/context-access.ts';

/**
 * JSON-RPC method names: upstream's `execute`, plus the seed's `query` (read-only: runs concurrently, never
 * persists) and `mutate` (same as `execute`: serialised per context, commits its writes).
 */
const METHODS: Record<string, ExecMode> = { execute: 'mutate', mutate: 'mutate', query: 'query' };

/**
 * POST /jsonrpc. Envelope errors are HTTP 4xx text (axum's Json extractor); everything after a valid
 * envelope is HTTP 200 with `result` or `error` `{type, data?}` (server-api §8).
 */
export default defineRoute({
  method: 'POST',
  url: '/jsonrpc',
  access: 'protected',
  // The context, executor and method are in the body: `demandExecute` below.
  permission: 'in-handler',
  response: jsonrpcResponse,
  body: { schema: jsonrpcRequest, errors: 'plain' },
  async handler({ node, body, principal }): Promise<JsonRpcResponse> {
    const reply = (r: { result: { output: unknown } } | { error: { type: string; data?: unknown } }) =>
      ({ jsonrpc: '2.0', id: body.id, ...r }) as JsonRpcResponse;
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
      if (p.substitute.length > 0) args = await substitute(node, decodeId(p.contextId), args, p.substitute);
      const result = await node.execution.execute({
        contextId: decodeId(p.contextId),
        method: p.method,
        input: Buffer.from(args, 'utf8'),
        executor: decodeId(p.executorPublicKey),
        mode,
      });
      return reply({ result: { output: result.output } });
    } catch (err) {
      if (err instanceof ExecuteError) return reply({ error: err.toJSON() });
      node.logger.error({ err }, 'execution failed');
      return reply({ error: { type: 'InternalError', data: {} } });
    }
  },
});

/** Replaces each `{alias}` in the serialised args with the member key the alias names in this context. */
async function substitute(node: Node, contextId: Uint8Array, args: string, aliases: string[]): Promise<string> {
  for (const alias of aliases) {
    const target = await node.contexts.lookupAlias('identity', contextId, alias).catch(() => null);
    let key: string;
    if (target) key = encodeId(target);
    else if (isId(alias)) key = alias;
    else throw new ExecuteError('AliasResolutionFailed', { alias });
    args = args.split(`{${alias}}`).join(key);
  }
  return args;
}
