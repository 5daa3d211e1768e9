/** `meroctl call` (JSON-RPC) and `meroctl watch` (events over WebSocket or SSE). */
import type { Command } from 'commander';
import type { NodeEvent } from '../../client/node.ts';
import { actingMember, client, interrupted, parseJson, print } from './common.ts';

export function callCommands(program: Command): void {
  program
    .command('call <contextId> <method>')
    .description('call a method of a context (JSON-RPC); prints its JSON output')
    .option('--args <json>', 'arguments (JSON)', '{}')
    .option('--as <publicKey>', 'executor identity (default: the first identity this node owns in the context)')
    .option('--query', 'read-only call (runs concurrently, never persists)')
    .option('--substitute <aliases>', 'comma-separated identity aliases to replace as {alias} in the args')
    .action(async (contextId: string, method: string, o: { args: string; as?: string; query?: boolean; substitute?: string }) => {
      const c = await client();
      const args = parseJson(o.args, '--args');
      const executor = await actingMember(c, contextId, o.as);
      const opts = o.substitute ? { substitute: o.substitute.split(',').filter(Boolean) } : {};
      const out = o.query ? await c.query(contextId, method, args, executor, opts) : await c.execute(contextId, method, args, executor, opts);
      print(out);
    });

  program
    .command('watch <contextId...>')
    .description('print the events of contexts as JSON lines until interrupted (SIGINT)')
    .option('--sse', 'use SSE instead of WebSocket')
    .option('--since <lastEventId>', 'SSE: resume a session from this event id (replays what it missed)')
    .action(async (contextIds: string[], o: { sse?: boolean; since?: string }) => {
      const c = await client();
      const onEvent = (e: NodeEvent) => process.stdout.write(JSON.stringify(e) + '\n');
      const warn = (err: Error) => process.stderr.write(`warning: ${err.message}\n`);
      let sub: { close(): void };
      let lost: Promise<string>;
      if (o.sse) {
        const s = await c.subscribeSse(contextIds, onEvent, {
          lastEventId: o.since,
          onError: warn,
          onReconnect: ({ sessionId, resumed }) => process.stderr.write(`reconnected (session ${sessionId}${resumed ? '' : ', new session'})\n`),
        });
        sub = s;
        lost = new Promise(() => undefined); // SSE reconnects by itself
        process.stderr.write(`watching ${contextIds.join(', ')} (SSE session ${s.sessionId}); Ctrl-C to stop\n`);
      } else {
        const s = await c.subscribeWs(contextIds, onEvent, { onError: warn });
        sub = s;
        lost = s.closed.then(({ code, reason }) => `connection closed by the node (${code}${reason ? ` ${reason}` : ''})`);
        process.stderr.write(`watching ${contextIds.join(', ')} (WebSocket); Ctrl-C to stop\n`);
      }
      const why = await Promise.race([interrupted(), lost]);
      sub.close();
      if (why) throw new Error(why);
      process.exit(0);
    });
}
