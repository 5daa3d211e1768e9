/**
 * Signing the user-owned actions of a local mutation's artifact before it becomes an entry (upstream's node,
 * `sign_user_actions`). Pure apart from the layout it remembers per application.
 */
import { ArtifactError, signArtifact, type MetadataLayout } from '../../calimero/index.ts';
import { idKey } from '../../util/ids.ts';
import { parseSdkArtifact, type Ops } from './codec.ts';

export type SignedOps = { ops: Ops; signed: number; undecodable: ArtifactError | null };

export class ArtifactSigner {
  /** The calimero-storage metadata layout each application's artifacts were last decoded with. */
  private readonly layouts = new Map<string, MetadataLayout>();

  /**
   * An upstream-built app's artifact (calimero-storage borsh actions) carries placeholder signatures on the
   * actions owned by the executor: they are replaced by the executor's signatures (`secret` is its ed25519
   * seed). Plain writes and an artifact in our own SDK's format need nothing. An artifact that decodes as
   * neither comes back unchanged with the decoding error (upstream also sends it as it is).
   */
  sign(appId: Uint8Array, ops: Ops, secret: Uint8Array): SignedOps {
    if (ops.kind !== 'artifact' || parseSdkArtifact(ops.artifact) !== null) return { ops, signed: 0, undecodable: null };
    const key = idKey(appId);
    const known = this.layouts.get(key);
    try {
      let r;
      try {
        r = signArtifact(ops.artifact, secret, known ? { layouts: [known] } : {});
      } catch (err) {
        if (!known || !(err instanceof ArtifactError)) throw err;
        r = signArtifact(ops.artifact, secret); // the app may have changed its layout: try every one
      }
      if (r.layout) this.layouts.set(key, r.layout);
      return { ops: r.signed > 0 ? { kind: 'artifact', artifact: r.artifact } : ops, signed: r.signed, undecodable: null };
    } catch (err) {
      if (!(err instanceof ArtifactError)) throw err;
      return { ops, signed: 0, undecodable: err };
    }
  }

  /** The layout remembered for an application, if any. */
  layoutOf(appId: Uint8Array): MetadataLayout | undefined {
    return this.layouts.get(idKey(appId));
  }
}
