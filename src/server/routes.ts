import type { NodeConfig } from '../config/schema.ts';
import type { RouteDef } from '../http/route.ts';
import { adminRoutes, jsonrpcRoutes, publicRoutes, sseRoutes } from '../wire/routes/index.ts';
import { serveAll, type Served } from './handler.ts';
import type { Services } from './services.ts';
import { adminHandlers, publicHandlers } from './admin/handlers.ts';
import executeHandler from './jsonrpc/execute.ts';
import sseStream from './sse/stream.ts';
import sseSubscription from './sse/subscription.ts';
import sseSession from './sse/session-info.ts';
import type { SseSessions } from './sse/sessions.ts';

/** Which route groups config.toml enables. */
function enabled(config: NodeConfig) {
  const s = config.server;
  return {
    admin: s.admin?.enabled === true,
    jsonrpc: s.jsonrpc?.enabled === true && config.mode !== 'read-only',
    sse: s.sse?.enabled === true,
  };
}

/** Every HTTP route of the node server (declarations, src/wire/routes); services disabled in config.toml are left out. */
export function ROUTES(node: { config: NodeConfig }): RouteDef[] {
  const on = enabled(node.config);
  return [
    ...Object.values(publicRoutes),
    ...(on.admin ? Object.values(adminRoutes) : []),
    ...(on.jsonrpc ? Object.values(jsonrpcRoutes) : []),
    ...(on.sse ? Object.values(sseRoutes) : []),
  ];
}

/** The enabled routes with their handlers, bound to this server's services (SSE ones need its sessions). */
export function servedRoutes(s: Services, sessions: SseSessions | undefined): Served[] {
  const on = enabled(s.config);
  return [
    ...serveAll(publicRoutes, publicHandlers(s)),
    ...(on.admin ? serveAll(adminRoutes, adminHandlers(s)) : []),
    ...(on.jsonrpc ? serveAll(jsonrpcRoutes, { execute: executeHandler(s) }) : []),
    ...(on.sse && sessions
      ? serveAll(sseRoutes, {
          sseStream: sseStream({ ...s, sessions }),
          sseSubscription: sseSubscription({ ...s, sessions }),
          sseSession: sseSession({ sessions }),
        })
      : []),
  ];
}
