import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { methodsOf, type BodyOut, type PathParams, type RouteDef } from '../../http/route.ts';
import type { VerifyResult } from '../core.ts';
import { parseBody } from './reply.ts';

/** A checked `/admin` caller (its key and permissions). */
export type Authed = Extract<VerifyResult, { ok: true }>;

/** What a mero-auth handler receives for one request. */
export interface AuthContext<B = unknown, P = Record<string, string>> {
  req: FastifyRequest;
  reply: FastifyReply;
  params: P;
  /**
   * The body validated with the route's declared schema, or undefined after answering the refusal (400/422 in
   * the envelope). Read on demand: some routes refuse before they look at the body.
   */
  body(): B | undefined;
  /** The verified caller, on `/admin` routes. */
  caller: Authed | undefined;
}

/** Serves one mero-auth route; answers with the envelope itself (`ok` / `fail`). */
export type AuthHandler<D extends RouteDef> = (ctx: AuthContext<BodyOut<D>, PathParams<D['url']>>) => Promise<FastifyReply> | FastifyReply;

export type AuthHandlers<R extends Record<string, RouteDef>> = { [K in keyof R]: AuthHandler<R[K]> };

/** Mounts every route of a group on `app` with its handler (routes with a body get mero-auth's body limit). */
export function mountAll<R extends Record<string, RouteDef>>(
  app: FastifyInstance,
  routes: R,
  handlers: AuthHandlers<R>,
  o: { bodyLimit: number; caller?: (req: FastifyRequest) => Authed | undefined },
): void {
  for (const k of Object.keys(routes) as Array<keyof R & string>) {
    const def = routes[k];
    const handle = handlers[k] as AuthHandler<RouteDef>;
    app.route({
      method: methodsOf(def),
      url: def.url,
      ...(def.body ? { bodyLimit: o.bodyLimit } : {}),
      handler: (req, reply) =>
        handle({
          req,
          reply,
          params: (req.params ?? {}) as Record<string, string>,
          body: () => (def.body ? parseBody(def.body.schema, req, reply) : undefined),
          caller: o.caller?.(req),
        }),
    });
  }
}
