import type { Node } from '../node/node.ts';
import type { RouteDef } from './route.ts';
import health from './admin/public/health.ts';
import isAuthed from './admin/public/is-authed.ts';
import certificate from './admin/public/certificate.ts';
import installApplication from './admin/applications/install-application.ts';
import installDevApplication from './admin/applications/install-dev-application.ts';
import listApplications from './admin/applications/list-applications.ts';
import getApplication from './admin/applications/get-application.ts';
import uninstallApplication from './admin/applications/uninstall-application.ts';
import uploadBlob from './admin/blobs/upload-blob.ts';
import listBlobs from './admin/blobs/list-blobs.ts';
import downloadBlob from './admin/blobs/download-blob.ts';
import blobInfo from './admin/blobs/blob-info.ts';
import deleteBlob from './admin/blobs/delete-blob.ts';
import createContext from './admin/contexts/create-context.ts';
import listContexts from './admin/contexts/list-contexts.ts';
import getContext from './admin/contexts/get-context.ts';
import deleteContext from './admin/contexts/delete-context.ts';
import { allIdentities, ownedIdentities } from './admin/contexts/identities.ts';
import contextStorage from './admin/contexts/storage.ts';
import { contextsForApplication, contextsWithExecutors } from './admin/contexts/for-application.ts';
import updateApplication from './admin/contexts/update-application.ts';
import inviteToContext from './admin/contexts/invite.ts';
import joinContext from './admin/contexts/join.ts';
import leaveContext from './admin/contexts/leave.ts';
import { grantCapabilities, revokeCapabilities } from './admin/contexts/capabilities.ts';
import generateContextIdentity from './admin/identity/generate-context-identity.ts';
import { aliasRoutes } from './admin/alias/aliases.ts';
import peers from './admin/network/peers.ts';
import nodeInfo from './admin/network/node-info.ts';
import contextUsers from './admin/legacy/context-users.ts';
import jsonrpcExecute from './jsonrpc/execute.ts';
import { walletRoutes } from './admin/wallet/routes.ts';
import { sseRoutes } from './sse/index.ts';
import { openApiRoute } from './openapi.ts';

/**
 * The seed's route names that upstream later renamed: the same handlers under their old paths (spec §12),
 * for administrators only (upstream's permission table does not name these paths).
 */
function legacyAliases(): RouteDef[] {
  return [
    { ...installApplication, url: '/admin-api/dev/install-application', permission: undefined },
    { ...listContexts, url: '/admin-api/dev/contexts', permission: undefined },
    { ...createContext, url: '/admin-api/dev/contexts', permission: undefined },
    { ...listApplications, url: '/admin-api/dev/applications', permission: undefined },
  ] as RouteDef[];
}

/** Every HTTP route of the node server, declared once; services disabled in config.toml are left out. */
export function ROUTES(node: Node): RouteDef[] {
  const s = node.config.server;
  const routes: RouteDef[] = [health, isAuthed, certificate, openApiRoute as RouteDef];
  if (s.admin?.enabled) {
    routes.push(
      ...([
        installApplication,
        installDevApplication,
        listApplications,
        getApplication,
        uninstallApplication,
        uploadBlob,
        listBlobs,
        downloadBlob,
        blobInfo,
        deleteBlob,
        createContext,
        listContexts,
        getContext,
        deleteContext,
        allIdentities,
        ownedIdentities,
        contextStorage,
        contextsForApplication,
        contextsWithExecutors,
        updateApplication,
        inviteToContext,
        joinContext,
        leaveContext,
        grantCapabilities,
        revokeCapabilities,
        generateContextIdentity,
        peers,
        nodeInfo,
        contextUsers,
      ] as RouteDef[]),
      ...aliasRoutes,
      ...walletRoutes,
      ...legacyAliases(),
    );
  }
  if (s.jsonrpc?.enabled && node.config.mode !== 'read-only') routes.push(jsonrpcExecute as RouteDef);
  if (s.sse?.enabled) routes.push(...sseRoutes);
  return routes;
}
