/** Small HTTP client for e2e tests, over the global fetch (undici). */

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** The body as UTF-8 text ('' when empty). */
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: T;
  /** The raw body bytes. */
  bytes: Buffer;
}

export type Body = string | Uint8Array | ArrayBuffer | Record<string, unknown> | unknown[] | null | undefined;

export interface Api {
  readonly url: string;
  request<T = any>(method: string, path: string, body?: Body, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  head<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  options<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: Body, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: Body, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  del<T = any>(path: string, body?: Body, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

/**
 * `api('http://127.0.0.1:1234')`. A string / bytes body is sent as is; an object or array is sent as JSON
 * with `content-type: application/json` (unless a content-type header is given).
 */
export function api(url: string, defaults: Record<string, string> = {}): Api {
  const base = url.replace(/\/+$/, '');
  async function request<T>(method: string, path: string, body?: Body, headers: Record<string, string> = {}) {
    const h: Record<string, string> = { ...defaults, ...headers };
    let payload: string | Uint8Array | undefined;
    if (body === undefined || body === null) payload = undefined;
    else if (typeof body === 'string') payload = body;
    else if (body instanceof Uint8Array) payload = body;
    else if (body instanceof ArrayBuffer) payload = new Uint8Array(body);
    else {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
    const res = await fetch(base + path, {
      method,
      headers: h,
      body: payload as BodyInit | undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T, bytes };
  }
  return {
    url: base,
    request,
    get: (path, headers) => request('GET', path, undefined, headers),
    head: (path, headers) => request('HEAD', path, undefined, headers),
    options: (path, headers) => request('OPTIONS', path, undefined, headers),
    post: (path, body, headers) => request('POST', path, body, headers),
    put: (path, body, headers) => request('PUT', path, body, headers),
    del: (path, body, headers) => request('DELETE', path, body, headers),
  };
}
