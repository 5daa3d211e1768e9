/**
 * fetch with the dashboard's auth rules and plain errors:
 * - sends `Authorization: Bearer <access-token>` when a token is stored;
 * - on 401 refreshes once (`/auth/refresh`) and retries, then sends the user to the login page;
 * - any non-2xx becomes an ApiError carrying the status and the server's own words
 *   (`{"error": …}`, mero-auth's `{"data":null,"error": …}`, a text body, or the status text).
 */
import { accessToken, accessTokenExpired, markAuthorized, refreshTokens, requireLogin } from './auth.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server's message in a JSON error body, or null. */
export function errorMessageOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const err = (body as { error?: unknown }).error;
  if (err === undefined || err === null) return null;
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
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export async function errorFromResponse(res: Response, method: string, path: string): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* body unreadable */
  }
  let body: unknown = text;
  let message: string | null = null;
  if (text) {
    try {
      body = JSON.parse(text);
      message = errorMessageOf(body);
    } catch {
      /* not JSON */
    }
    message ??= text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  }
  message ||= res.statusText || STATUS_TEXT[res.status] || 'request failed';
  return new ApiError(res.status, message, method, path, body);
}

export interface RequestOptions {
  /** JSON-serialised unless it is a Blob/ArrayBuffer/Uint8Array (sent raw). */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not send the user to the login page on an unfixable 401 (probing requests). */
  noLoginRedirect?: boolean;
}

function isRaw(body: unknown): body is BodyInit {
  return body instanceof Blob || body instanceof ArrayBuffer || body instanceof Uint8Array || typeof body === 'string';
}

/** fetch with auth; returns the raw Response for 2xx, throws ApiError otherwise. */
export async function send(method: string, url: string, o: RequestOptions = {}): Promise<Response> {
  if (accessTokenExpired()) await refreshTokens();
  const attempt = async (): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
    const token = accessToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (o.body !== undefined) {
      if (isRaw(o.body)) {
        body = o.body;
        headers['content-type'] ??= 'application/octet-stream';
      } else {
        body = JSON.stringify(o.body);
        headers['content-type'] = 'application/json';
      }
    }
    try {
      return await fetch(url, { method, headers, body, signal: o.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, `network error: ${(err as Error).message} (is the node running?)`, method, url);
    }
  };
  let res = await attempt();
  if (res.status === 401 && (await refreshTokens())) res = await attempt();
  if (res.status === 401) {
    if (!o.noLoginRedirect) requireLogin();
    throw await errorFromResponse(res, method, url);
  }
  if (!res.ok) throw await errorFromResponse(res, method, url);
  markAuthorized();
  return res;
}

/** JSON request → parsed JSON answer (null for an empty body). */
export async function requestJson(method: string, url: string, o: RequestOptions = {}): Promise<unknown> {
  const res = await send(method, url, o);
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `expected JSON, got: ${text.slice(0, 200)}`, method, url, text);
  }
}
