import { z } from 'zod';
import { id } from './common.ts';

/** JSON-RPC request id: string, unsigned integer or null (docs/wire.md, JSON-RPC). */
export const requestId = z.union([z.string(), z.number().int().nonnegative(), z.null()]);

/**
 * The `execute` params (upstream's camelCase `ExecutionRequest`), for documentation and clients. The server
 * decodes them itself, to answer serde's texts (src/server/jsonrpc/payload.ts).
 */
export const executionRequest = z.object({
  contextId: id,
  method: z
    .string()
    .min(1)
    .max(256)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: 'contains control characters' }),
  argsJson: z.unknown(),
  executorPublicKey: id,
  substitute: z.array(z.string()).max(100).default([]),
});
export type ExecutionRequest = z.infer<typeof executionRequest>;

export const jsonrpcRequest = z.object({
  jsonrpc: z.literal('2.0'),
  id: requestId,
  /** `execute` (upstream), `query` or `mutate` (ours); a missing or unknown one is a JSON-RPC ParseError. */
  method: z.unknown().optional(),
  params: z.unknown().optional(),
});
export type JsonRpcRequest = z.infer<typeof jsonrpcRequest>;

export const jsonrpcError = z.object({ type: z.string(), data: z.unknown().optional() });
export const jsonrpcResponse = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: requestId, result: z.object({ output: z.unknown() }) }),
  z.object({ jsonrpc: z.literal('2.0'), id: requestId, error: jsonrpcError }),
]);
export type JsonRpcResponse = z.infer<typeof jsonrpcResponse>;
