import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { checkListenAddresses, tcpAddress } from './listen.ts';

test('tcpAddress reads /ip4|ip6/<host>/tcp/<port>, with or without /p2p; other transports are not ours to check', () => {
  assert.deepEqual(tcpAddress('/ip4/0.0.0.0/tcp/2428'), { family: 4, host: '0.0.0.0', port: 2428 });
  assert.deepEqual(tcpAddress('/ip6/::1/tcp/7/p2p/12D3KooWMPAk18QLxG2UcjxGD32qYr5HkirY2das1w47zqfRVPMH'), { family: 6, host: '::1', port: 7 });
  assert.equal(tcpAddress('/ip4/0.0.0.0/udp/2428/quic-v1'), null);
});

test('a configured port that another process holds is fatal; a free one, port 0 and other transports pass', async (t) => {
  const held: Server = createServer();
  await new Promise<void>((r) => held.listen({ host: '0.0.0.0', port: 0 }, r));
  t.after(() => held.close());
  const port = (held.address() as { port: number }).port;
  const r = await checkListenAddresses([`/ip4/0.0.0.0/tcp/${port}`, '/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/udp/1/quic-v1']);
  assert.deepEqual(r, { fatal: [{ addr: `/ip4/0.0.0.0/tcp/${port}`, code: 'EADDRINUSE' }], skipped: [] });
  held.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await checkListenAddresses([`/ip4/0.0.0.0/tcp/${port}`]), { fatal: [], skipped: [] }, 'free again: the probe binds and releases it');
});

test('an address no interface of this machine has is skipped, not fatal', async () => {
  // 192.0.2.0/24 is reserved for documentation (RFC 5737): no interface has it, so binding answers EADDRNOTAVAIL.
  const r = await checkListenAddresses(['/ip4/192.0.2.7/tcp/4100']);
  assert.deepEqual(r, { fatal: [], skipped: [{ addr: '/ip4/192.0.2.7/tcp/4100', code: 'EADDRNOTAVAIL' }] });
});
