import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import FindMyWay from 'find-my-way';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Readable } from 'node:stream';
import { multiaddr } from '@multiformats/multiaddr';
import type { Node } from '../node/node.ts';
import { readCertificate } from '../node/tls.ts';
import { sendError, toHttpError, validationMessage } from './errors.ts';
import { parseJsonBody, readBody } from './route.ts';
import { methodsOf, type RouteDef } from '../http/route.ts';
import { ADMIN } from '../wire/permission.ts';
import { demand, type Principal } from './auth/principal.ts';
import { StreamAuth } from './auth/streams.ts';
import type { AuthSetup } from './auth/setup.ts';
import { registerWs } from './ws/index.ts';
import { sseSessions } from './sse/index.ts';
import { registerDashboard } from './dashboard.ts';
import { ROUTES, servedRoutes } from './routes.ts';
import { openApiDocument } from './openapi.ts';
import { nodeServices, type ServerAuth, type Services } from './services.ts';
import { recordLimits } from './admin/limits.ts';
import type { HandlerContext, Served } from './handler.ts';
import { redactUrl } from '../util/redact.ts';

/**
 * The auth mode's parts (see {@link AuthSetup}): `guard` checks protected requests (absent = every route open,
 * proxy mode behind an external proxy), `plugins` mount the auth service's routes.
 */
export type ServerOptions = Partial<AuthSetup>;

export type { ServerAuth } from './services.ts';

/** An optional route's caller that brought no credential. */
const ANONYMOUS: Principal = { id: 'anonymous', permissions: [], stillValid: async () => true };

function presentsCredential(req: { headers: Record<string, unknown> }): boolean {
  const h = req.headers;
  return h.authorization !== undefined || h.signing_key !== undefined || h['signing-key'] !== undefined;
}

/** Builds the node server: CORS, body handling, the declared routes, 404/405 in upstream's shapes. */
export async function buildServer(node: Node, opts: ServerOptions = {}): Promise<FastifyInstance> {
  const limits = node.config.server.limits;
  const bodyLimit = limits?.body_limit_bytes ?? 2 * 1024 * 1024;
  const app = Fastify({
    // The node's logger for handlers (`req.log`: the embedded mero-auth's warnings), without per-request lines.
    loggerInstance: node.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies are read by the route wrapper, which applies its own limit per route.
    bodyLimit: Number.MAX_SAFE_INTEGER,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    // A path with malformed percent-encoding (`/contexts/%ff`): upstream's Path extractor answers 400 text
    // `Invalid URL: …`; fastify's default is its own JSON shape ({"error","code","message","statusCode"}),
    // which is none of upstream's (found by test/fuzz.test.ts).
    frameworkErrors: (err, _req, reply) => {
      (reply as FastifyReply).code(400).type('text/plain; charset=utf-8').send(`Invalid URL: ${err.message}`);
    },
  });

  // Upstream CORS: any origin, any header, these methods, private-network access allowed.
  await app.register(cors, {
    origin: '*',
    methods: ['POST', 'GET', 'DELETE', 'PUT', 'OPTIONS'],
    allowedHeaders: '*',
    strictPreflight: false,
  });
  // Hooks on every request take a callback rather than return a promise: one less microtask turn per request.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (req.method === 'OPTIONS') reply.header('access-control-allow-private-network', 'true');
    done(null, payload);
  });
  await app.register(websocket, { options: { maxPayload: bodyLimit } });

  // Every body arrives as a stream; the route wrapper decides how to read it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  // Method-agnostic index of every path, to answer 405 (with Allow) instead of 404 for a known path.
  const paths = FindMyWay({ ignoreTrailingSlash: false, maxParamLength: 500 });
  const allowed = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    let set = allowed.get(r.url);
    if (!set) {
      allowed.set(r.url, (set = new Set()));
      paths.on('GET', r.url, () => undefined, { url: r.url });
    }
    for (const m of methods) set.add(m);
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    node.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    node.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const found = paths.find('GET', path);
    const methods = found ? allowed.get((found.store as { url: string }).url) : undefined;
    if (methods && methods.size > 0) {
      const allow = [...methods].filter((m) => m !== 'OPTIONS');
      return reply.code(405).header('allow', allow.join(',')).send();
    }
    return reply.code(404).send();
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const known = toHttpError(err);
    if (known) return sendError(reply, known);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).type('text/plain; charset=utf-8').send(e.message ?? 'bad request');
    }
    node.logger.error({ err, url: redactUrl(req.url) }, 'unhandled error');
    return reply.code(500).send({ error: 'internal server error' });
  });

  const streams = new StreamAuth(opts.streamRecheckMs ?? 5_000, opts.onCredentialsChanged);
  app.addHook('onClose', async () => streams.close());
  const auth: ServerAuth = {
    streams,
    hasAdministrator: opts.hasAdministrator ?? (async () => false),
    guard: opts.guard,
  };

  /** Runs the guard and the route's declared permission; throws the refusal. */
  const authenticate = async (def: RouteDef, req: Parameters<NonNullable<ServerOptions['guard']>>[0]): Promise<Principal | undefined> => {
    if (def.access === 'public' || !opts.guard) return undefined;
    if (def.access === 'optional' && !presentsCredential(req)) return ANONYMOUS;
    const r = await opts.guard(req, { queryToken: def.url === '/sse' });
    if (!r.ok) throw r.error;
    req.principal = r.principal;
    if (def.access === 'protected' && def.permission !== 'in-handler') {
      demand(r.principal, def.permission?.({ params: (req.params ?? {}) as Record<string, string> }) ?? ADMIN);
    }
    return r.principal;
  };

  // The server's state, built once and handed to the handlers that need it.
  const sessions = node.config.server.sse?.enabled ? await sseSessions(app, node) : undefined;
  const declared = ROUTES(node);
  let document: Record<string, unknown> | undefined;
  const services: Services = {
    ...nodeServices(node),
    limits: recordLimits(node),
    auth,
    openApi: () => (document ??= openApiDocument([...declared, ...(opts.routes ?? [])])),
  };
  const routes = servedRoutes(services, sessions);
  const checkResponses = process.env.MEROD_CHECK_RESPONSES === '1';
  const explicitHead = new Set(routes.filter((r) => methodsOf(r.def).includes('HEAD')).map((r) => r.def.url));

  /** Runs one request of a route: auth, body, handler; failures are mapped to HTTP once, in src/server/errors.ts. */
  const run = async ({ def, run: handle }: Served, req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const principal = await authenticate(def, req);
    let body: unknown;
    if (def.body) {
      const errors = def.body.errors === 'auth' ? 'validated' : def.body.errors;
      const raw = await readBody(req.body as Readable | undefined, bodyLimit, errors);
      body = parseJsonBody(raw, req.headers['content-type'], { schema: def.body.schema, errors });
    } else if (def.rawBody) {
      body = req.body;
    } else if (req.body) {
      (req.body as Readable).resume(); // drain and ignore
    }
    const ctx: HandlerContext = {
      req,
      reply,
      body,
      params: (req.params ?? {}) as Record<string, string>,
      query: (req.query ?? {}) as Record<string, string | undefined>,
      principal,
    };
    try {
      return await handle(ctx);
    } catch (err) {
      throw toHttpError(err, def.failure) ?? err;
    }
  };

  const mount = (served: Served) => {
    const { def } = served;
    const methods = methodsOf(def);
    app.route({
      method: methods,
      url: def.url,
      // GET routes answer HEAD too, as axum does.
      exposeHeadRoute: methods.includes('GET') && !explicitHead.has(def.url),
      handler: async (req, reply) => {
        const out = await run(served, req, reply);
        if (reply.sent) return reply;
        if (out === undefined || out === reply) return reply;
        if (checkResponses && def.response) {
          const r = def.response.safeParse(out);
          if (!r.success) {
            node.logger.error({ url: def.url, issues: r.error.issues }, 'answer does not match its wire schema');
            return reply.code(500).send({ error: `answer of ${req.method} ${def.url} does not match its wire schema: ${validationMessage(r.error.issues)}` });
          }
        }
        return reply.type('application/json').send(JSON.stringify(out));
      },
    });
  };
  for (const r of routes) mount(r);
  if (node.config.server.websocket?.enabled) await registerWs(app, node, auth, opts.guard);
  if (node.config.server.admin?.enabled) await registerDashboard(app, { csp: node.config.server.admin.dashboard_csp });
  for (const plugin of opts.plugins ?? []) await plugin(app);

  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; charset=utf-8');
    return node.metrics.registry.metrics();
  });

  await app.ready();
  return app;
}

export interface Listening {
  urls: string[];
  close(): Promise<void>;
}

function toHostPort(addr: string): { host: string; port: number } {
  const m = multiaddr(addr).getComponents();
  const ip = m.find((c) => c.name === 'ip4' || c.name === 'ip6');
  const tcp = m.find((c) => c.name === 'tcp');
  if (!ip?.value || !tcp?.value) throw new Error(`listen address ${addr} must be /ip4|ip6/<addr>/tcp/<port>`);
  return { host: ip.value, port: Number(tcp.value) };
}

function urlOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Binds the server to every `listen` address (and the HTTPS ones when enabled). An address family the host
 * lacks (e.g. no IPv6) is skipped with a warning; a port in use is a clear error.
 */
export async function listen(node: Node, app: FastifyInstance): Promise<Listening> {
  const servers: Server[] = [];
  const urls: string[] = [];
  const handler = (req: Parameters<typeof app.routing>[0], res: Parameters<typeof app.routing>[1]) => app.routing(req, res);
  const bind = async (server: Server, scheme: string, addr: string) => {
    const { host, port } = toHostPort(addr);
    server.on('upgrade', (req, socket, head) => app.server.emit('upgrade', req, socket, head));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`cannot listen on ${addr}: port ${port} is already in use`);
      if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
        node.logger.warn({ addr }, `skipping listen address ${addr}: ${code}`);
        return;
      }
      throw new Error(`cannot listen on ${addr}: ${(err as Error).message}`);
    }
    const bound = server.address();
    servers.push(server);
    urls.push(urlOf(scheme, host, typeof bound === 'object' && bound ? bound.port : port));
  };
  try {
    for (const addr of node.config.server.listen) await bind(createServer(handler), 'http', addr);
    const tls = node.config.server.tls;
    if (tls?.enabled) {
      const cert = await readCertificate(node.dir);
      if (!cert) throw new Error('server.tls.enabled is set but the node has no certificate (tls/cert.pem)');
      for (const addr of tls.listen) await bind(createHttpsServer(cert, handler) as unknown as Server, 'https', addr);
    }
    if (servers.length === 0) throw new Error('no listen address could be bound');
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return {
    urls,
    async close() {
      // Stop accepting and drop idle keep-alive sockets; app.close() ends WS/SSE streams (plugin onClose
      // hooks); in-flight requests get up to 10 s to finish before their sockets are cut.
      const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const s of servers) s.closeIdleConnections();
      await app.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000))),
      ]);
      clearTimeout(timer);
      for (const s of servers) s.closeAllConnections();
    },
  };
}
