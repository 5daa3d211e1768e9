import { z } from 'zod';
import { aliasName, bytes, data, id } from './common.ts';

// ---- node (docs/wire.md) -------------------------------------------------------------------------------

export const healthResponse = data(z.object({ status: z.string() }));
export const peersResponse = z.object({ count: z.number().int().nonnegative() });
/** GET /admin-api/node-info (ours, for the dashboard). */
export const nodeInfoResponse = data(
  z.object({ peerId: z.string(), listen: z.array(z.string()), authMode: z.string(), version: z.string() }),
);

// ---- applications (docs/wire.md, Applications) ----------------------------------------------------------

export const installApplicationRequest = z.object({
  url: z.string().max(2048).refine((s) => URL.canParse(s), { message: 'relative URL without a base' }),
  hash: id.nullish(),
  metadata: bytes.max(65536),
  package: z.string().max(128).nullish(),
  version: z.string().max(64).nullish(),
});
export type InstallApplicationRequest = z.infer<typeof installApplicationRequest>;

export const installDevApplicationRequest = z.object({
  path: z.string().min(1).max(4096),
  metadata: bytes.max(65536),
  package: z.string().max(128).nullish(),
  version: z.string().max(64).nullish(),
});
export type InstallDevApplicationRequest = z.infer<typeof installDevApplicationRequest>;

export const application = z.object({
  id,
  blob: z.object({ bytecode: id, compiled: id }),
  size: z.number().int().nonnegative(),
  source: z.string(),
  metadata: bytes,
});
export type Application = z.infer<typeof application>;

export const installApplicationResponse = data(z.object({ applicationId: id }));
export const listApplicationsResponse = data(z.object({ apps: z.array(application) }));
export const getApplicationResponse = data(z.object({ application: application.nullable() }));
export const uninstallApplicationResponse = data(z.object({ applicationId: id }));

// ---- packages (docs/wire.md, Applications; no data wrapper) -------------------------------------------------

export const listPackagesResponse = z.object({ packages: z.array(z.string()) });
export const listVersionsResponse = z.object({ versions: z.array(z.string()) });
export const latestVersionResponse = z.object({ applicationId: id.nullable(), version: z.string().nullable() });

// ---- blobs (docs/wire.md, Applications; snake_case on the wire) -----------------------------------------

export const blobInfo = z.object({ blob_id: id, size: z.number().int().nonnegative() });
export const uploadBlobResponse = data(blobInfo);
export const listBlobsResponse = data(z.object({ blobs: z.array(blobInfo) }));
export const deleteBlobResponse = z.object({ blob_id: id, deleted: z.boolean() });

// ---- contexts (docs/wire.md) ----------------------------------------------------------------------------

export const createContextRequest = z.object({
  protocol: z.string().min(1).max(64),
  applicationId: id,
  contextSeed: id.nullish(),
  initializationParams: bytes.max(1024 * 1024),
});
export type CreateContextRequest = z.infer<typeof createContextRequest>;

export const context = z.object({
  id,
  applicationId: id,
  rootHash: id,
  dagHeads: z.array(bytes).optional(),
});
export type Context = z.infer<typeof context>;

export const createContextResponse = data(z.object({ contextId: id, memberPublicKey: id }));
export const listContextsResponse = data(z.object({ contexts: z.array(context) }));
export const getContextResponse = data(context);
export const deleteContextResponse = data(z.object({ isDeleted: z.boolean() }));
export const identitiesResponse = data(z.object({ identities: z.array(id) }));
export const storageResponse = data(z.object({ sizeInBytes: z.number().int().nonnegative() }));
export const generateIdentityResponse = data(z.object({ publicKey: id }));
export const contextsWithExecutorsResponse = z.object({
  contexts: z.array(z.object({ id, application_id: id, root_hash: id, executors: z.array(id) })),
});

export const updateContextApplicationRequest = z.object({
  applicationId: id,
  executorPublicKey: id,
  migrateMethod: z.string().min(1).max(256).nullish(),
});

/** POST /admin-api/contexts/invite-specialized-node (docs/wire.md) */
export const inviteSpecializedNodeRequest = z.object({ contextId: id, inviterId: id.nullish() });
export const inviteSpecializedNodeResponse = data(z.object({ nonce: z.string() }));

// ---- TEE (public); checked further in the handlers, with upstream's texts ---------------------------

export const teeAttestRequest = z.object({ nonce: z.string(), applicationId: id.nullish() });
export const teeVerifyQuoteRequest = z.object({ quoteB64: z.string(), nonce: z.string(), expectedApplicationHash: z.string().nullish() });
/** The success shapes, for the record: this node always answers with an error (no TDX). */
export const teeInfoResponse = data(z.object({ cloudProvider: z.string(), osImage: z.string(), mrtd: z.string() }));
export const teeAttestResponse = data(z.object({ quoteB64: z.string(), quote: z.looseObject({}) }));
export const teeVerifyQuoteResponse = data(
  z.object({ quoteVerified: z.boolean(), nonceVerified: z.boolean(), applicationHashVerified: z.boolean().nullable(), quote: z.looseObject({}) }),
);

// ---- aliases (docs/wire.md) -----------------------------------------------------------------------------

export const createContextAliasRequest = z.object({ alias: aliasName, contextId: id });
export const createApplicationAliasRequest = z.object({ alias: aliasName, applicationId: id });
export const createIdentityAliasRequest = z.object({ alias: aliasName, identity: id });
export const lookupAliasResponse = data(z.object({ value: id.nullable() }));
export const listAliasesResponse = data(z.record(z.string(), id));

// ---- the seed's historical routes (docs/wire.md) ---------------------------------------------------------

export const contextUser = z.object({ userId: z.string(), joinedAt: z.number() });
export const contextUsersResponse = data(z.object({ contextUsers: z.array(contextUser) }));

export const emptyResponse = data(z.null());

/** GET /admin-api/did (the seed's wallet login): `{data:{did:{id, root_keys, client_keys}}}`. */
export const didResponse = data(
  z.object({ did: z.object({ id: z.string(), root_keys: z.array(z.looseObject({})), client_keys: z.array(z.looseObject({})) }) }),
);
