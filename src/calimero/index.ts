/**
 * calimero-storage interop: the `commit` artifact codec and the signing of user-owned actions
 * (see artifact.ts and signing.ts).
 */
export { ArtifactError, type ArtifactErrorCode } from './borsh.ts';
export { decodeArtifact, encodeArtifact, decodeAction, encodeAction, type DecodeOptions } from './artifact.ts';
export {
  payloadForSigning,
  nonceOf,
  needsSignature,
  signUserActions,
  signArtifact,
  verifyAction,
  type VerifyFailure,
} from './signing.ts';
export * from './types.ts';
export { decodeEntityIndex } from './artifact.ts';
export { replayNoise, storageKey, type ReplayNoise, type ReplayNoiseKind } from './roots.ts';
