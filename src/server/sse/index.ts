import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import type { Guard } from '../route.ts';

/** Server-sent events `/sse`, `/sse/subscription`, `/sse/session/:id` (server-api §11). */
export async function registerSse(app: FastifyInstance, node: Node, guard?: Guard): Promise<void> {
  void app;
  void node;
  void guard;
}
