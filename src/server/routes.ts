import type { Node } from '../node/node.ts';
import type { RouteDef } from './route.ts';
import health from './admin/public/health.ts';
import isAuthed from './admin/public/is-authed.ts';
import certificate from './admin/public/certificate.ts';

/** Every HTTP route of the node server, declared once. */
export function ROUTES(node: Node): RouteDef[] {
  const routes: RouteDef[] = [health, isAuthed, certificate];
  void node;
  return routes as RouteDef[];
}
