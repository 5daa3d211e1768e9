/**
 * Outbound address policy for downloads the node makes on a client's behalf (`install-application`): which
 * destinations a URL may reach, checked on the address the socket actually connects to (after DNS, so a name
 * that resolves, or re-resolves, to an internal address is refused) and on every redirect hop.
 *
 * Ours (issue #12 item 8, SSRF). Upstream downloads whatever URL it is given.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
// undici is loaded on first download only (it is a noticeable share of start-up otherwise).
import type { Agent, buildConnector } from 'undici';
type Undici = typeof import('undici');

/** Why an address is not a public destination, or 'public'. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared' // 100.64.0.0/10, carrier-grade NAT
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'invalid';

/** Parses dotted-quad IPv4 (exactly four decimal parts) into a 32-bit number, or null. */
function parseV4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null; // no octal-looking or empty parts
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** Parses IPv6 text (with `::`, an embedded dotted IPv4 tail, optional brackets and `%zone`) into 8 groups, or null. */
function parseV6(text: string): number[] | null {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return null;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (fill < 0) return null;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...rest].map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return null;
  return groups;
}

const inV4 = (n: number, base: string, bits: number): boolean => {
  const b = parseV4(base)!;
  const size = 2 ** (32 - bits);
  return Math.floor(n / size) === Math.floor(b / size);
};

function classifyV4(n: number): AddressClass {
  if (n === 0xffffffff) return 'broadcast';
  if (inV4(n, '0.0.0.0', 8)) return 'unspecified'; // "this network"
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '10.0.0.0', 8) || inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16)) return 'private';
  if (inV4(n, '100.64.0.0', 10)) return 'shared';
  if (inV4(n, '169.254.0.0', 16)) return 'link-local';
  if (inV4(n, '224.0.0.0', 4)) return 'multicast';
  if (inV4(n, '192.0.2.0', 24) || inV4(n, '198.51.100.0', 24) || inV4(n, '203.0.113.0', 24)) return 'documentation';
  if (
    inV4(n, '240.0.0.0', 4) || // future use
    inV4(n, '192.0.0.0', 24) || // IETF protocol assignments
    inV4(n, '192.88.99.0', 24) || // 6to4 relay anycast (deprecated)
    inV4(n, '198.18.0.0', 15) // benchmarking
  ) {
    return 'reserved';
  }
  return 'public';
}

function classifyV6(g: number[]): AddressClass {
  const v4of = (hi: number, lo: number) => hi * 65536 + lo;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the NAT64 well-known prefix (64:ff9b::/96): the IPv4 address decides.
  if (zeros(0, 5) && g[5] === 0xffff) return classifyV4(v4of(g[6]!, g[7]!));
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return classifyV4(v4of(g[6]!, g[7]!));
  // 6to4 (2002::/16) carries an IPv4 address in bits 16..48.
  if (g[0] === 0x2002) {
    const inner = classifyV4(v4of(g[1]!, g[2]!));
    if (inner !== 'public') return inner;
  }
  const first = g[0]!;
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((first & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if (first === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if ((first & 0xfff0) === 0x3ff0 && first <= 0x3fff) return 'documentation'; // 3fff::/20
  // Everything else outside global unicast 2000::/3 (the rest of ::/8 incl. IPv4-compatible, 100::/64
  // discard, 64:ff9b:1::/48 local NAT64…) is not a destination on the public internet.
  if ((first & 0xe000) !== 0x2000) return 'reserved';
  if (first === 0x2001 && g[1]! < 0x0200) return 'reserved'; // 2001::/23 IETF protocol assignments (Teredo, ORCHID, benchmarking…)
  if (first === 0x5f00) return 'reserved';
  return 'public';
}

/**
 * Classifies an IP address (IPv4 dotted quad or IPv6, brackets and zone allowed). Anything else is 'invalid'.
 * Only 'public' addresses are acceptable download destinations by default.
 */
export function classifyAddress(ip: string): AddressClass {
  const v4 = parseV4(ip);
  if (v4 !== null) return classifyV4(v4);
  const v6 = parseV6(ip);
  if (v6 !== null) return classifyV6(v6);
  return 'invalid';
}

export const isPublicAddress = (ip: string): boolean => classifyAddress(ip) === 'public';

/** The destination (after DNS and redirects) is an address the policy refuses. `detail` is for the log only. */
export class DestinationNotAllowedError extends Error {
  constructor(readonly detail: string) {
    super('the destination is not allowed');
  }
}

/** A download failure to report to the client without internal detail; `detail` is for the log only. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for sockets: resolves, then refuses the name if any address it gives is not
 * `allowed` (so the address checked is the address connected to).
 */
function guardedLookup(allowed: (ip: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.find((a) => !allowed(a.address));
      if (bad || addresses.length === 0) {
        const why = bad ? `${bad.address} (${classifyAddress(bad.address)})` : 'no address';
        return callback(new DestinationNotAllowedError(`${hostname} resolves to ${why}`) as NodeJS.ErrnoException, []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * An undici Agent whose sockets may only reach addresses `allowed` accepts. Literal IPs are checked before any
 * packet is sent (so a closed and an open internal port look the same), names in the DNS lookup the socket
 * itself uses (no second resolution that a rebinding DNS server could answer differently), and the connected
 * socket's peer address once more.
 */
function guardedAgent({ Agent, buildConnector }: Undici, allowed: (ip: string) => boolean): Agent {
  const base = buildConnector({ lookup: guardedLookup(allowed) } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (opts, callback) => {
    const host = bare(opts.hostname);
    if (isIP(host) && !allowed(host)) {
      return callback(new DestinationNotAllowedError(`${host} (${classifyAddress(host)})`), null);
    }
    base(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      const peer = socket.remoteAddress;
      if (!peer || !allowed(peer)) {
        socket.destroy();
        return callback(new DestinationNotAllowedError(`connected to ${peer ?? 'an unknown address'}`), null);
      }
      callback(null, socket);
    });
  };
  return new Agent({ connect, headersTimeout: 30_000, bodyTimeout: 30_000 });
}

export interface DownloadResponse {
  /** The final URL (after redirects). */
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Frees the connection; call when done with the body (or instead of reading it). */
  close(): void;
}

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs an http(s) URL, following up to MAX_REDIRECTS redirects by hand so that every hop goes through the
 * address policy. `allowed` = null → any destination (`[server.admin] allow_private_install_urls`).
 * Throws DestinationNotAllowedError (refused destination or scheme) or DownloadError (message safe to show).
 */
export async function downloadGuarded(
  start: URL,
  o: { allowed: ((ip: string) => boolean) | null; signal?: AbortSignal; maxRedirects?: number },
): Promise<DownloadResponse> {
  const undici = await import('undici');
  const { Agent, request } = undici;
  const agent = o.allowed ? guardedAgent(undici, o.allowed) : new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000 });
  const close = () => void agent.destroy().catch(() => undefined);
  const max = o.maxRedirects ?? MAX_REDIRECTS;
  let url = start;
  try {
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new DestinationNotAllowedError(`redirect to a ${url.protocol} URL`);
      }
      let res;
      try {
        res = await request(new URL(url.pathname + url.search, url.origin), { dispatcher: agent, method: 'GET', signal: o.signal });
      } catch (err) {
        const refused = refusal(err);
        if (refused) throw refused;
        throw new DownloadError(o.signal?.aborted ? 'timed out' : 'could not connect', describe(err));
      }
      if (REDIRECTS.has(res.statusCode)) {
        const location = res.headers.location;
        await res.body.dump().catch(() => undefined);
        if (typeof location !== 'string') throw new DownloadError(`HTTP ${res.statusCode}`, 'redirect without a Location');
        if (hop >= max) throw new DownloadError('too many redirects', `more than ${max} redirects`);
        try {
          url = new URL(location, url);
        } catch {
          throw new DownloadError('invalid redirect', `Location: ${location.slice(0, 200)}`);
        }
        continue;
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        throw new DownloadError(`HTTP ${res.statusCode}`, `HTTP ${res.statusCode} from ${url.origin}`);
      }
      const body = res.body;
      return {
        url,
        headers: res.headers,
        body: (async function* () {
          try {
            for await (const chunk of body) yield chunk as Uint8Array;
          } catch (err) {
            throw new DownloadError(o.signal?.aborted ? 'timed out' : 'the download was interrupted', describe(err));
          }
        })(),
        close,
      };
    }
  } catch (err) {
    close();
    throw err;
  }
}

/** The DestinationNotAllowedError somewhere in an error's cause chain (undici and net may wrap it). */
function refusal(err: unknown): DestinationNotAllowedError | null {
  for (let e = err, depth = 0; e && depth < 8; depth++) {
    if (e instanceof DestinationNotAllowedError) return e;
    if (e instanceof AggregateError) {
      const inner = e.errors.map(refusal).find(Boolean);
      if (inner) return inner;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Internal description of a failure (errno code and message), for the node's log only. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e && depth < 4; depth++) {
    const x = e as { code?: string; message?: string };
    parts.push([x.code, x.message].filter(Boolean).join(' '));
    e = (e as { cause?: unknown }).cause;
  }
  return parts.filter(Boolean).join(' ← ') || String(err);
}
