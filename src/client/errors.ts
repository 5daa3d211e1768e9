/** Text of an error body: `{"error":"…"}` → the message; `{"error":{type,data}}` → JSON; text as is. */
function describe(body: unknown): string {
  if (body === null || body === undefined || body === '') return '(empty body)';
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return JSON.stringify(body);
}

/**
 * An HTTP failure (non-2xx). `body` is the parsed JSON error (`{"error":…}`) when the node answered JSON,
 * else the text (axum-style rejections, install/alias handlers), or `''` for an empty body (401 from the
 * embedded auth guard, unknown routes).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method?: string,
    readonly path?: string,
  ) {
    super(`HTTP ${status}: ${describe(body)}`);
  }

  /** The `error` text of a `{"error":"…"}` body, the text body, or undefined. */
  get errorText(): string | undefined {
    if (typeof this.body === 'string') return this.body;
    const e = (this.body as { error?: unknown } | null)?.error;
    return typeof e === 'string' ? e : undefined;
  }
}

/** A JSON-RPC error object `{type, data?}` (server-api §8.2), or a WebSocket `{"error":{type,data}}` answer. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly type: string,
    readonly data?: unknown,
  ) {
    super(data === undefined ? type : `${type}: ${typeof data === 'string' ? data : JSON.stringify(data)}`);
  }
}

/** A 2xx answer whose body does not have the shape of the route's wire schema (src/wire). */
export class ResponseError extends Error {
  override readonly name = 'ResponseError';
  constructor(
    message: string,
    readonly body: unknown,
    readonly issues: unknown[] = [],
  ) {
    super(message);
  }
}
