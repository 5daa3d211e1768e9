import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BodyOut, PathParams, ResponseIn, RouteDef } from '../http/route.ts';
import type { Principal } from './auth/principal.ts';

/**
 * What a handler receives for one request: the body validated by its route's schema (`B`), the path parameters
 * its url names (`P`). See {@link ContextOf}.
 */
export interface HandlerContext<B = unknown, P = Record<string, string>> {
  req: FastifyRequest;
  reply: FastifyReply;
  body: B;
  params: P;
  query: Record<string, string | undefined>;
  /**
   * The caller, on protected and optional routes where auth is enforced; undefined when the node enforces none
   * (proxy mode without an auth URL). On an optional route without a credential: permissions [].
   */
  principal: Principal | undefined;
}

/** The context of a request of route `D`. */
export type ContextOf<D extends RouteDef> = HandlerContext<BodyOut<D>, PathParams<D['url']>>;

/** The answer is sent as JSON; a handler that replied itself returns the reply (or nothing). */
type Answer<D extends RouteDef> = ResponseIn<D> | FastifyReply | undefined;

/** Serves one route. Failures are thrown (HttpError, DomainError, a node error) and mapped by the server. */
export type Handler<D extends RouteDef> = (ctx: ContextOf<D>) => Promise<Answer<D>> | Answer<D>;

/** One handler per route of a group. */
export type Handlers<R extends Record<string, RouteDef>> = { [K in keyof R]: Handler<R[K]> };

/** A declaration with its handler, as the server mounts it. */
export interface Served {
  readonly def: RouteDef;
  run(ctx: HandlerContext): Promise<unknown>;
}

/** Binds a handler to its declaration (the server validated the body with the declaration's schema). */
export function serve<D extends RouteDef>(def: D, handler: Handler<D>): Served {
  return { def, run: async (ctx) => handler(ctx as ContextOf<D>) };
}

/** Every route of a group with its handler. */
export function serveAll<R extends Record<string, RouteDef>>(routes: R, handlers: Handlers<R>): Served[] {
  return (Object.keys(routes) as Array<keyof R & string>).map((k) => serve(routes[k], handlers[k]));
}
