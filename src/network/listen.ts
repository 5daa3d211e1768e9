import { createServer } from 'node:net';

/**
 * The swarm's listen check. libp2p runs with fault tolerance (an address it cannot bind is skipped, so that a
 * machine without IPv6 still starts with the default `/ip6/::/tcp/…` address), which also skipped, silently, a
 * swarm port that another process holds: the node started, printed the configured address, and was unreachable
 * there, so peers that had stored it could not bring it back after a restart. So before the swarm starts, each
 * configured TCP address is bound once and released: a port in use (or not permitted) stops the start; an address
 * this machine cannot have (no IPv6, an address of no interface) is reported and left to libp2p to skip. Probing
 * before libp2p binds, not after, keeps libp2p's own listeners from ever looking like another process.
 */

/** The swarm cannot listen where it is configured to: the node does not run (it would be unreachable there). */
export class SwarmListenError extends Error {}

export interface Refused {
  addr: string;
  code: string;
}

export interface ListenCheck {
  /** Configured addresses that cannot be bound for a reason worth stopping for. */
  fatal: Refused[];
  /** Configured addresses this machine cannot have. */
  skipped: Refused[];
}

/** Error codes of a bind that mean "this address does not exist here", not "someone else has it". */
const ABSENT = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/** `/ip4|ip6/<host>/tcp/<port>` of a multiaddr text; null for other transports (not ours to check). */
export function tcpAddress(addr: string): { family: 4 | 6; host: string; port: number } | null {
  const m = /^\/(ip4|ip6)\/([^/]+)\/tcp\/(\d+)(\/p2p\/[^/]+)?$/.exec(addr);
  if (!m) return null;
  return { family: m[1] === 'ip4' ? 4 : 6, host: m[2]!, port: Number(m[3]) };
}

/** The error code of binding `host:port` now (null when it binds; it is released at once). */
export function bindError(family: 4 | 6, host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, ipv6Only: family === 6, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** Probes every configured TCP address with a fixed port (port 0 is whatever is free, nothing to check). */
export async function checkListenAddresses(configured: string[]): Promise<ListenCheck> {
  const out: ListenCheck = { fatal: [], skipped: [] };
  for (const addr of configured) {
    const a = tcpAddress(addr);
    if (!a || a.port === 0) continue;
    const code = await bindError(a.family, a.host, a.port);
    if (code !== null) (ABSENT.has(code) ? out.skipped : out.fatal).push({ addr, code });
  }
  return out;
}
