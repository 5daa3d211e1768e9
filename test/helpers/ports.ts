import { readFileSync } from 'node:fs';
import { bindError } from '../../src/network/listen.ts';

const handedOut = new Set<number>();

/**
 * Ports are taken below the kernel's ephemeral range. A port from inside it (what binding port 0 gives) can be
 * handed, while its node is stopped for a restart, to any outgoing connection on the machine as its local port;
 * the node's listener then fails with EADDRINUSE when it comes back (with many tests running, it did).
 */
function range(): [number, number] {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > 12_000) return [10_000, low];
  } catch {
    /* not Linux: any unprivileged port */
  }
  return [10_000, 30_000];
}

const bindable = async (host: string, port: number): Promise<boolean> => (await bindError(4, host, port)) === null;

/** A TCP port that was free on `host` a moment ago, below the ephemeral range (never the same one twice in this process). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = range();
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await bindable(host, port)) || !(await bindable('0.0.0.0', port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: no unused port found');
}
