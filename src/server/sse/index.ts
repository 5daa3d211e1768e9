import type { FastifyInstance } from 'fastify';
import type { Node } from '../../node/node.ts';
import { SseSessions } from './sessions.ts';

/**
 * Server-sent events: `GET /sse`, `POST /sse/subscription`, `GET /sse/session/:session_id`. They are ordinary
 * protected routes (declared in src/wire/routes/streams.ts, served by the handlers beside this file), so the
 * guard applies to all three. Not under `NODE_PATH_PREFIX` (upstream).
 *
 * The sessions of one server, made once by `buildServer`: the persisted ones are loaded before the server
 * listens; on server close (or node close, whichever comes first) every open stream is ended (response ended,
 * socket closed: shutdown never waits on a stream) and pending session state is written.
 */
export async function sseSessions(app: FastifyInstance, node: Pick<Node, 'events' | 'metrics' | 'config' | 'logger' | 'store' | 'onClose'>): Promise<SseSessions> {
  const sessions = new SseSessions(node);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= sessions.close());
  node.onClose(close);
  app.addHook('onClose', close);
  await sessions.ready;
  return sessions;
}
