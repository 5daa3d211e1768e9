import type { Handlers } from '../handler.ts';
import type { Services } from '../services.ts';
import type { adminRoutes, publicRoutes } from '../../wire/routes/index.ts';
import health from './public/health.ts';
import isAuthed from './public/is-authed.ts';
import certificate from './public/certificate.ts';
import openApi from './public/openapi.ts';
import installApplication from './applications/install-application.ts';
import installDevApplication from './applications/install-dev-application.ts';
import listApplications from './applications/list-applications.ts';
import getApplication from './applications/get-application.ts';
import uninstallApplication from './applications/uninstall-application.ts';
import uploadBlob from './blobs/upload-blob.ts';
import listBlobs from './blobs/list-blobs.ts';
import downloadBlob from './blobs/download-blob.ts';
import blobInfo from './blobs/blob-info.ts';
import deleteBlob from './blobs/delete-blob.ts';
import createContext from './contexts/create-context.ts';
import listContexts from './contexts/list-contexts.ts';
import getContext from './contexts/get-context.ts';
import deleteContext from './contexts/delete-context.ts';
import identities from './contexts/identities.ts';
import contextStorage from './contexts/storage.ts';
import { contextsForApplication, contextsWithExecutors } from './contexts/for-application.ts';
import updateContextApplication from './contexts/update-application.ts';
import invite from './contexts/invite.ts';
import join from './contexts/join.ts';
import { inviteByOpenInvitation, joinByOpenInvitation, listOpenInvitations, revokeOpenInvitation } from './contexts/open-invitation.ts';
import leave from './contexts/leave.ts';
import capabilities from './contexts/capabilities.ts';
import generateContextIdentity from './identity/generate-context-identity.ts';
import { createAlias, deleteAlias, listAliases, lookupAlias } from './alias/aliases.ts';
import peers from './network/peers.ts';
import syncContexts from './contexts/sync.ts';
import contextSyncStatus from './contexts/sync-status.ts';
import { inviteSpecializedNode, teeAttest, teeInfo, teeVerifyQuote } from './tee/tee.ts';
import { latestVersion, listPackages, listVersions } from './packages/packages.ts';
import nodeInfo from './network/node-info.ts';
import contextUsers from './legacy/context-users.ts';
import * as wallet from './wallet/routes.ts';
import * as proposals from './proposals/proposals.ts';

/** The public routes' handlers. */
export function publicHandlers(s: Services): Handlers<typeof publicRoutes> {
  return {
    health: health(),
    isAuthed: isAuthed(s),
    certificate: certificate(s),
    openApi: openApi(s),
    teeInfo: teeInfo(),
    teeAttest: teeAttest(s),
    teeVerifyQuote: teeVerifyQuote(),
  };
}

/** One handler per admin route (the compiler checks that none is missing). */
export function adminHandlers(s: Services): Handlers<typeof adminRoutes> {
  const install = installApplication(s);
  const create = createContext(s);
  const listApps = listApplications(s);
  const list = listContexts(s);
  return {
    installApplication: install,
    installDevApplication: installDevApplication(s),
    listApplications: listApps,
    getApplication: getApplication(s),
    uninstallApplication: uninstallApplication(s),
    listPackages: listPackages(s),
    listVersions: listVersions(s),
    latestVersion: latestVersion(s),
    uploadBlob: uploadBlob(s),
    listBlobs: listBlobs(s),
    downloadBlob: downloadBlob(s),
    blobInfo: blobInfo(s),
    deleteBlob: deleteBlob(s),
    createContext: create,
    listContexts: list,
    getContext: getContext(s),
    deleteContext: deleteContext(s),
    identities: identities(s, false),
    identitiesOwned: identities(s, true),
    contextStorage: contextStorage(s),
    contextsForApplication: contextsForApplication(s),
    contextsWithExecutors: contextsWithExecutors(s),
    updateContextApplication: updateContextApplication(s),
    generateContextIdentity: generateContextIdentity(s),
    syncContexts: syncContexts(s),
    syncContext: syncContexts(s),
    contextSyncStatus: contextSyncStatus(s),
    inviteSpecializedNode: inviteSpecializedNode(s),
    invite: invite(s),
    join: join(s),
    // open invitations (#16)
    inviteByOpenInvitation: inviteByOpenInvitation(s),
    joinByOpenInvitation: joinByOpenInvitation(s),
    listOpenInvitations: listOpenInvitations(s),
    revokeOpenInvitation: revokeOpenInvitation(s),
    leave: leave(s),
    grantCapabilities: capabilities(s, 'grant'),
    revokeCapabilities: capabilities(s, 'revoke'),
    nodeInfo: nodeInfo(s),
    peers: peers(s),
    contextUsers: contextUsers(s),
    createContextAlias: createAlias(s, 'context'),
    createApplicationAlias: createAlias(s, 'application'),
    createIdentityAlias: createAlias(s, 'identity'),
    lookupContextAlias: lookupAlias(s, 'context'),
    lookupApplicationAlias: lookupAlias(s, 'application'),
    lookupIdentityAlias: lookupAlias(s, 'identity'),
    deleteContextAlias: deleteAlias(s, 'context'),
    deleteApplicationAlias: deleteAlias(s, 'application'),
    deleteIdentityAlias: deleteAlias(s, 'identity'),
    listContextAliases: listAliases(s, 'context'),
    listApplicationAliases: listAliases(s, 'application'),
    listIdentityAliases: listAliases(s, 'identity'),
    requestChallenge: wallet.requestChallenge(s),
    addClientKey: wallet.addClientKey(s),
    addRootKey: wallet.addRootKey(s),
    did: wallet.did(s),
    deleteDid: wallet.deleteDid(s),
    deleteWalletKeys: wallet.deleteWalletKeys(s),
    contextClientKeys: wallet.contextClientKeys(s),
    // The seed's paths: the same handlers (a route's type names its url, hence the wrappers).
    devInstallApplication: (ctx) => install(ctx),
    devListContexts: (ctx) => list(ctx),
    devCreateContext: (ctx) => create(ctx),
    devListApplications: (ctx) => listApps(ctx),
    // proposals (the emulated proxy contract)
    proposalApprovalsCount: proposals.approvalsCount(s),
    proposalApprovers: proposals.approvers(s),
    proposalsCount: proposals.proposalsCount(s),
    listProposals: proposals.listProposals(s),
    createAndApproveProposal: proposals.createAndApprove(s),
    approveProposal: proposals.approve(s),
    getProposal: proposals.getProposal(s),
    getContextValue: proposals.contextValue(s),
    contextStorageEntries: proposals.storageEntries(s),
    proxyContract: proposals.proxyContract(s),
  };
}
