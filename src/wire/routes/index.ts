import type { RouteDef } from '../../http/route.ts';
import { route } from '../../http/route.ts';
import { publicRoutes, networkRoutes } from './public.ts';
import { applicationRoutes } from './applications.ts';
import { blobRoutes } from './blobs.ts';
import { contextRoutes, legacyRoutes, membershipRoutes } from './contexts.ts';
import { aliasRoutes } from './aliases.ts';
import { packageRoutes } from './packages.ts';
import { walletRoutes } from './wallet.ts';
import { jsonrpcRoutes, sseRoutes } from './streams.ts';
import { proposalRoutes } from './proposals.ts';

export { publicRoutes, networkRoutes, applicationRoutes, packageRoutes, blobRoutes, contextRoutes, membershipRoutes, legacyRoutes, aliasRoutes, walletRoutes, jsonrpcRoutes, sseRoutes, proposalRoutes };

/**
 * The seed's route names that upstream later renamed: the same answers under their old paths, for
 * administrators only (upstream's permission table does not name these paths).
 */
export const devRoutes = {
  devInstallApplication: route({ ...applicationRoutes.installApplication, url: '/admin-api/dev/install-application', permission: undefined }),
  devListContexts: route({ ...contextRoutes.listContexts, url: '/admin-api/dev/contexts', permission: undefined }),
  devCreateContext: route({ ...contextRoutes.createContext, url: '/admin-api/dev/contexts', permission: undefined }),
  devListApplications: route({ ...applicationRoutes.listApplications, url: '/admin-api/dev/applications', permission: undefined }),
};

/** Every admin API route (served when `[server.admin] enabled`). */
export const adminRoutes = {
  ...applicationRoutes,
  ...packageRoutes,
  ...blobRoutes,
  ...contextRoutes,
  ...membershipRoutes,
  ...networkRoutes,
  ...legacyRoutes,
  ...aliasRoutes,
  ...walletRoutes,
  ...devRoutes,
  ...proposalRoutes,
};

/** Every route of the node server, by name: what the client calls. */
export const nodeRoutes = { ...publicRoutes, ...adminRoutes, ...jsonrpcRoutes, ...sseRoutes };

export type RouteGroup = Record<string, RouteDef>;
