import type { FastifyInstance } from 'fastify';
import type { RouteDef } from '../../http/route.ts';
import type { Guard } from './principal.ts';

/** One auth mode's parts, as `buildServer` uses them (see `setupAuth` in ./index.ts). */
export interface AuthSetup {
  /** Absent when nothing is enforced inside the node (proxy mode without an auth URL, as upstream). */
  guard?: Guard;
  /**
   * Whether an administrator exists in any provider (a mero-auth root key, or — added by {@link setupAuth} — a
   * wallet root key). Once one does, nobody becomes an administrator without an existing one's authorisation.
   */
  hasAdministrator?(): Promise<boolean>;
  /** Subscribes to credential changes (revocation, deletion) the node can see; open streams are re-checked. */
  onCredentialsChanged?(listener: () => void): () => void;
  /**
   * How often open streams re-check their credential even without a change event (default 5 s, a safety net);
   * a mode that cannot hear about revocations (an external mero-auth) sets it short.
   */
  streamRecheckMs?: number;
  plugins: Array<(app: FastifyInstance) => Promise<void> | void>;
  /** Declarations of the routes the plugins serve (mero-auth's `/auth`, `/admin`), for the OpenAPI document. */
  routes?: readonly RouteDef[];
}
