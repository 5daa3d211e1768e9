/** Text of an error body: `{"error":"…"}` → the message; `{"error":{type,data}}` → JSON; text as is. */
function describe(body: unknown): string {
  if (body === null || body === undefined || body === '') return '(empty body)';
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return JSON.stringify(body);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The message in a JSON error body (`{"error":"…"}`, `{"error":{type,data}}`, `{"error":{message}}`, `{message}`), or null. */
function messageOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const err = (body as { error?: unknown }).error;
  if (err === undefined || err === null) {
    const m = (body as { message?: unknown }).message;
    return typeof m === 'string' ? m : null;
  }
  if (typeof err === 'string') return err;
  if (typeof err === 'object') {
    const e = err as { type?: unknown; data?: unknown; message?: unknown };
    if (typeof e.message === 'string') return e.message;
    if (typeof e.type === 'string') {
      if (e.data === undefined || e.data === null) return e.type;
      return `${e.type}: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}`;
    }
  }
  return JSON.stringify(err);
}

/**
 * An HTTP failure (non-2xx). `body` is the parsed JSON error (`{"error":…}`) when the node answered JSON,
 * else the text (axum-style rejections, install/alias handlers), or `''` for an empty body (401 from the
 * embedded auth guard, unknown routes). `method` and `path` name the request (path relative to the client's
 * URL); `serverMessage` is the server's own words, for showing to a user.
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

  /**
   * The server's message, plain: the `error` of a JSON body (a string, `{type, data}` as `type: data`, or its
   * `message`; mero-auth's `{"data":null,"error":"…"}` included), a text body (cut at 2000 characters), or
   * the status text when the body is empty (`Unauthorized` for the auth guard's bare 401).
   */
  get serverMessage(): string {
    const m = messageOf(this.body);
    if (m) return m;
    if (typeof this.body === 'string' && this.body) return this.body.length > 2000 ? `${this.body.slice(0, 2000)}…` : this.body;
    if (this.body !== '' && this.body !== null && this.body !== undefined) return JSON.stringify(this.body);
    return STATUS_TEXT[this.status] ?? `HTTP ${this.status}`;
  }
}

/** A JSON-RPC error object `{type, data?}` (docs/wire.md, JSON-RPC), or a WebSocket `{"error":{type,data}}` answer. */
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
    readonly method?: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** `unexpected answer to GET /x at data.apps: expected array, received string` from zod issues. */
export function shapeMessage(method: string, path: string, issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey>; message?: string }>): string {
  const issue = issues[0];
  const where = issue?.path?.length ? ` at ${issue.path.map(String).join('.')}` : '';
  return `unexpected answer to ${method} ${path}${where}: ${issue?.message ?? 'invalid shape'}`;
}
