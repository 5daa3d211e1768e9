import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import { type AuthConfig, type AuthConfigInput, parseAuthConfig, splitListenAddr } from './config.ts';
import { type AuthService, type AuthServiceOptions, createAuthService } from './service.ts';
import { redactLogMethod, redactedReqSerializer } from '../util/redact.ts';

export interface AuthServer {
  app: FastifyInstance;
  service: AuthService;
  /** `http://host:port` actually bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

const AUTH_HEADERS = ['X-Auth-Error', 'X-Auth-User', 'X-Auth-Permissions'];

/** CORS of the standalone service from `[cors]` (upstream: `allow_all_origins` = permissive). */
export function corsOptions(c: AuthConfig['cors']) {
  if (c.allowAllOrigins) {
    return { origin: '*', methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], exposedHeaders: AUTH_HEADERS };
  }
  return {
    origin: c.allowedOrigins.length ? c.allowedOrigins : false,
    methods: c.allowedMethods,
    allowedHeaders: c.allowedHeaders,
    exposedHeaders: c.exposedHeaders.length ? c.exposedHeaders : AUTH_HEADERS,
  };
}

/**
 * Runs mero-auth as its own HTTP service (proxy mode: a reverse proxy or a proxy-mode node forwards
 * `/auth` and `/admin` here and asks `/auth/validate` before every other request).
 */
export async function startAuthServer(
  config: AuthConfigInput | AuthConfig,
  options: AuthServiceOptions & { logLevel?: string; listen?: string } = {},
): Promise<AuthServer> {
  const cfg = parseAuthConfig(config);
  const service = await createAuthService(cfg, options);
  const app = Fastify({
    // Tokens travel in URLs (`/ws?token=…` through X-Forwarded-Uri, `?token=` on the login page): request
    // URLs and message text are redacted before any line is written (token params and JWTs → [REDACTED]).
    logger: {
      level: options.logLevel ?? 'info',
      stream: process.stderr,
      serializers: { req: redactedReqSerializer },
      hooks: { logMethod: redactLogMethod },
    },
    trustProxy: false,
    bodyLimit: cfg.security.maxBodySize,
  });
  try {
    await app.register(cors, corsOptions(cfg.cors));
    await app.register(service.plugin);
    const { host, port } = splitListenAddr(options.listen ?? cfg.listenAddr);
    await app.listen({ host, port });
    const addr = app.server.address();
    const boundPort = addr && typeof addr === 'object' ? addr.port : port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return {
      app,
      service,
      url: `http://${urlHost}:${boundPort}`,
      async close() {
        await app.close();
        await service.close();
      },
    };
  } catch (e) {
    await app.close().catch(() => {});
    await service.close().catch(() => {});
    throw e;
  }
}
