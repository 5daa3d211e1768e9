import type { z } from 'zod';
import { fillPath, methodsOf, type BodyIn, type PathParams, type ResponseOf, type RouteDef } from '../http/route.ts';
import { ApiError, ResponseError, shapeMessage } from './errors.ts';
import { isBinary, replayable, toBody } from './body.ts';
import type { BlobSource } from './types.ts';
import { globalWebSocket, type WebSocketFactory } from './ws.ts';

/** A bearer token, or a function returning the current one (called before every request). */
export type TokenSource = string | undefined | (() => Promise<string | undefined> | string | undefined);

export interface ClientOptions {
  /** Node URL, e.g. http://127.0.0.1:2528 (a path prefix such as http://host/node1 is kept). */
  url: string;
  /** Bearer token for auth-enabled nodes: sent as `Authorization: Bearer …`, and as `?token=` for WS/SSE. */
  token?: TokenSource;
  /** fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** WebSocket constructor wrapper; default: the global WebSocket (browsers). NodeMeroClient uses `ws`. */
  webSocket?: WebSocketFactory;
  /** Extra headers sent with every HTTP request. */
  headers?: Record<string, string>;
  /**
   * Called when a request is answered 401. Resolve true (e.g. after refreshing the token) to have the request
   * sent once more, with the token read again; false to let the 401 through as an ApiError. If the retry is
   * answered 401 too, it is called once more with `retried: true` (its answer is then ignored), so an app can
   * send the user to a login page. Requests with a streamed body (ReadableStream, async iterable) cannot be
   * sent twice and are not retried.
   */
  onUnauthorized?: (info: { method: string; path: string; retried: boolean }) => Promise<boolean> | boolean;
  /**
   * Base URL of the routes upstream serves outside `NODE_PATH_PREFIX`: `/sse…` and mero-auth's `/auth/…` and
   * `/admin/…`. Default: `url`. Set it when `url` carries a path prefix (`http://host/node1` → `http://host`).
   */
  rootUrl?: string;
}

/** Extra options of `fetchRaw`. */
export interface RawRequestInit extends RequestInit {
  /** Also send the token as `?token=` (WebSocket-style; our node accepts it on `/sse`). */
  tokenInQuery?: boolean;
  /** Send no token and never call `onUnauthorized` (public routes such as `/auth/refresh`). */
  anonymous?: boolean;
}

type ParamArgs<D extends RouteDef> = [keyof PathParams<D['url']>] extends [never] ? { params?: undefined } : { params: PathParams<D['url']> };
type BodyArgs<D extends RouteDef> = D extends { body: { schema: z.ZodType } }
  ? { body: BodyIn<D> }
  : D extends { rawBody: true }
    ? { body: BlobSource }
    : { body?: undefined };

/** What a call of route `D` takes: its path parameters, its body, and optionally a query and request options. */
export type CallArgs<D extends RouteDef> = ParamArgs<D> &
  BodyArgs<D> & {
    query?: Record<string, string | undefined>;
    init?: RawRequestInit;
  };

/** The arguments are optional when the route needs neither parameters nor a body. */
type Rest<D extends RouteDef> = object extends CallArgs<D> ? [args?: CallArgs<D>] : [args: CallArgs<D>];

/** Untyped call arguments (for routes chosen at run time). */
export interface LooseArgs {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
  init?: RawRequestInit;
}

/**
 * The client's transport: URLs, the token, 401 handling, JSON bodies, and calls of declared routes
 * (src/wire/routes) whose arguments and answers are typed from the declaration and validated with its schema.
 */
export class HttpClient {
  readonly url: string;
  /** Base URL of `/sse`, `/auth/…` and `/admin/…` (see ClientOptions.rootUrl). */
  readonly rootUrl: string;
  protected readonly token: TokenSource;
  protected readonly fetchFn: typeof fetch;
  protected readonly webSocket: WebSocketFactory;
  protected readonly headers: Record<string, string>;
  private readonly onUnauthorized: ClientOptions['onUnauthorized'];

  constructor(o: ClientOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.rootUrl = (o.rootUrl ?? o.url).replace(/\/+$/, '');
    this.token = o.token;
    this.fetchFn = o.fetch ?? ((...a) => fetch(...a));
    this.webSocket = o.webSocket ?? globalWebSocket;
    this.headers = o.headers ?? {};
    this.onUnauthorized = o.onUnauthorized;
  }

  /** Absolute URL of a route: `/sse…`, `/auth/…`, `/admin/…` under `rootUrl`, everything else under `url`. */
  urlOf(path: string): string {
    return (/^\/(sse|auth|admin)(?=[/?]|$)/.test(path) ? this.rootUrl : this.url) + path;
  }

  /** The current bearer token (undefined when none). */
  async bearerToken(): Promise<string | undefined> {
    return (typeof this.token === 'function' ? await this.token() : this.token) || undefined;
  }

  async authHeader(): Promise<Record<string, string>> {
    const t = await this.bearerToken();
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  /**
   * A raw request with the client's headers and token; the caller reads the Response. A 401 goes through
   * `onUnauthorized` (and one retry) unless `anonymous`.
   */
  async fetchRaw(path: string, init: RawRequestInit = {}): Promise<Response> {
    const { tokenInQuery, anonymous, ...rest } = init;
    const method = (rest.method ?? 'GET').toUpperCase();
    const send = async (): Promise<Response> => {
      const token = anonymous ? undefined : await this.bearerToken();
      const headers: Record<string, string> = { ...this.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
      new Headers(rest.headers).forEach((v, k) => (headers[k] = v));
      let url = this.urlOf(path);
      if (tokenInQuery && token) url += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      return this.fetchFn(url, { ...rest, headers });
    };
    let res = await send();
    if (res.status !== 401 || anonymous || !this.onUnauthorized) return res;
    const retry = await this.onUnauthorized({ method, path, retried: false });
    if (!retry || !replayable(rest.body)) return res;
    await res.body?.cancel().catch(() => undefined);
    res = await send();
    if (res.status === 401) await this.onUnauthorized({ method, path, retried: true });
    return res;
  }

  /**
   * Sends a request and returns the parsed JSON body (null when empty, the text when not JSON). A JSON
   * value `body` is sent as `application/json`; bytes and streams as they are. Non-2xx → ApiError.
   */
  async request(method: string, path: string, body?: unknown, extra: RawRequestInit = {}): Promise<unknown> {
    const headers = new Headers(extra.headers);
    let payload: BodyInit | undefined;
    let duplex: 'half' | undefined;
    if (body === undefined) payload = undefined;
    else if (isBinary(body)) {
      ({ payload, duplex } = toBody(body as BlobSource));
      if (!headers.has('content-type')) headers.set('content-type', 'application/octet-stream');
    } else {
      payload = JSON.stringify(body);
      headers.set('content-type', 'application/json');
    }
    const res = await this.fetchRaw(path, { ...extra, method, headers, body: payload, ...(duplex ? { duplex } : {}) } as RawRequestInit);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : res.ok ? null : '';
    } catch {
      /* a text body */
    }
    if (!res.ok) throw new ApiError(res.status, parsed, method, path);
    return parsed;
  }

  /** `request` + validation of the answer with a wire schema. */
  async typed<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown, extra: RawRequestInit = {}): Promise<z.infer<S>> {
    return checked(schema, await this.request(method, path, body, extra), method, path);
  }

  /** The method and path (with parameters and query) of a call of `def`. */
  protected target(def: RouteDef, a: LooseArgs): { method: string; path: string } {
    let path = fillPath(def.url, a.params ?? {});
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(a.query ?? {})) if (v !== undefined) q.set(k, v);
    const qs = q.toString();
    if (qs) path += `?${qs}`;
    return { method: methodsOf(def)[0]!, path };
  }

  /** A call of a route chosen at run time: its answer validated with the declared schema, when there is one. */
  protected async invoke(def: RouteDef, a: LooseArgs = {}): Promise<unknown> {
    const { method, path } = this.target(def, a);
    const raw = await this.request(method, path, a.body, a.init);
    return def.response ? checked(def.response, raw, method, path) : raw;
  }

  /** Calls a declared route: arguments and answer typed from the declaration, the answer validated. */
  async call<D extends RouteDef>(def: D, ...[args]: Rest<D>): Promise<ResponseOf<D>> {
    return (await this.invoke(def, args as LooseArgs | undefined)) as ResponseOf<D>;
  }

  /**
   * Calls a mero-auth route: its `{"data": …, "error": null}` envelope is checked and unwrapped; an answer with
   * `error` set is an ApiError even when the status is 2xx.
   */
  async callAuth<D extends RouteDef>(def: D, ...[args]: Rest<D>): Promise<AuthData<D> | null> {
    const env = (await this.invoke(def, args as LooseArgs | undefined)) as { data: AuthData<D> | null; error?: string | null };
    if (env.error) {
      const { method, path } = this.target(def, (args ?? {}) as LooseArgs);
      throw new ApiError(200, { error: env.error }, method, path);
    }
    return env.data;
  }
}

/** The `data` of a mero-auth answer. */
export type AuthData<D extends RouteDef> = ResponseOf<D> extends { data: infer T } ? NonNullable<T> : unknown;

function checked<S extends z.ZodType>(schema: S, raw: unknown, method: string, path: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ResponseError(shapeMessage(method, path, r.error.issues), raw, r.error.issues, method, path);
  return r.data;
}
