/** An HTTP failure: status and the parsed `{"error":…}` body (or the text body). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${typeof body === 'string' ? body || '(empty body)' : JSON.stringify(body)}`);
  }
}

/** A JSON-RPC error object `{type, data?}` (server-api §8.2). */
export class RpcError extends Error {
  constructor(
    readonly type: string,
    readonly data?: unknown,
  ) {
    super(data === undefined ? type : `${type}: ${typeof data === 'string' ? data : JSON.stringify(data)}`);
  }
}
