/**
 * The node's swarm on js-libp2p 3.x: TCP + Noise + Yamux, gossipsub (one topic per context: the base58
 * context id, upstream's message-id function), identify, ping, Kademlia (`/calimero/kad/1.0.0`), optional
 * mDNS, bootstrap peers that are re-dialled when lost (the members of our contexts are re-dialled by
 * src/node/sync/peers.ts through `dialPeer`), and the request/response sync stream protocol with
 * upstream's u32-BE framing. The node identity is the `[identity]` key from config.toml.
 *
 * Import src/polyfills.ts before this module (js-libp2p needs Promise.withResolvers on Node 20).
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht';
import { mdns } from '@libp2p/mdns';
import { FaultTolerance, type PeerId, type PrivateKey, type Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from 'pino';
import { networkInterfaces } from 'node:os';
import { FrameReader, sendFrame, MAX_FRAME } from './framing.ts';
import { checkListenAddresses, SwarmListenError } from './listen.ts';

import { SYNC_PROTOCOL, KAD_PROTOCOL, MAX_GOSSIP_BYTES } from './constants.ts';

export { SYNC_PROTOCOL, KAD_PROTOCOL, MAX_GOSSIP_BYTES };

export interface NetworkOptions {
  privateKey: PrivateKey;
  listen: string[];
  bootstrap: string[];
  mdns: boolean;
  logger: Logger;
}

export type GossipHandler = (topic: string, data: Uint8Array, from: string) => void;
/** Serves one request frame; writes response frames with `send`. */
export type SyncHandler = (request: Uint8Array, remotePeer: string, send: (frame: Uint8Array) => Promise<void>) => Promise<void>;

/** Upstream's gossipsub message id: UTF-8 of base58(source PeerId) followed by the decimal sequence number. */
function msgId(msg: { type: string; from?: PeerId; sequenceNumber?: bigint; data: Uint8Array }): Uint8Array {
  if (msg.type === 'signed' && msg.from && msg.sequenceNumber !== undefined) {
    return Buffer.from(msg.from.toString() + msg.sequenceNumber.toString(), 'utf8');
  }
  return Buffer.from(msg.data);
}

let localIps: Set<string> | null = null;

/** Whether a multiaddr points at this machine (loopback or one of its interface addresses). */
function isLocalAddress(m: Multiaddr): boolean {
  if (!localIps) {
    localIps = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) localIps.add(i.address);
  }
  const ip = m.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value;
  return ip !== undefined && (localIps.has(ip) || ip.startsWith('127.'));
}

export class Network {
  private gossipHandlers: GossipHandler[] = [];
  private peerHandlers: Array<(peer: string) => void> = [];
  private syncHandler: SyncHandler | null = null;
  private validator: ((topic: string, data: Uint8Array) => 'accept' | 'reject' | 'ignore') | null = null;
  private redial: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    readonly libp2p: Libp2p<{ pubsub: GossipSub }>,
    private readonly logger: Logger,
    private readonly bootstrap: Multiaddr[],
  ) {}

  static async start(o: NetworkOptions): Promise<Network> {
    const listen = await checkListenAddresses(o.listen);
    for (const s of listen.skipped) o.logger.warn({ addr: s.addr, code: s.code }, 'swarm address skipped: this machine cannot listen there');
    if (listen.fatal.length > 0) {
      const list = listen.fatal.map((f) => `${f.addr} (${f.code})`).join(', ');
      throw new SwarmListenError(`cannot listen on the swarm address ${list}: is another process using the port? Change [swarm] listen in config.toml or free the port`);
    }
    const services: Record<string, unknown> = {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        msgIdFn: msgId as never,
        // One RPC may batch several messages; each of ours stays under MAX_GOSSIP_BYTES.
        maxInboundDataLength: 4 * 1024 * 1024,
        globalSignaturePolicy: 'StrictSign',
        heartbeatInterval: 700,
      }),
      dht: kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper, allowQueryWithZeroPeers: true }),
    };
    const libp2p = (await createLibp2p({
      privateKey: o.privateKey,
      addresses: { listen: o.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
      peerDiscovery: o.mdns ? [mdns({ interval: 10_000 })] : [],
      services: services as never,
    })) as unknown as Libp2p<{ pubsub: GossipSub }>;
    const boot: Multiaddr[] = [];
    for (const a of o.bootstrap) {
      try {
        boot.push(multiaddr(a));
      } catch (err) {
        o.logger.warn({ addr: a, err }, 'ignoring invalid boot node address');
      }
    }
    const net = new Network(libp2p, o.logger, boot);
    await net.init();
    return net;
  }

  private async init(): Promise<void> {
    const { libp2p } = this;
    libp2p.services.pubsub.addEventListener('message', (evt) => {
      const msg = evt.detail;
      const from = msg.type === 'signed' ? msg.from.toString() : '';
      for (const h of this.gossipHandlers) {
        try {
          h(msg.topic, msg.data, from);
        } catch (err) {
          this.logger.warn({ err }, 'gossip handler failed');
        }
      }
    });
    libp2p.services.pubsub.addEventListener('subscription-change', (evt) => {
      const peer = evt.detail.peerId.toString();
      if (evt.detail.subscriptions.some((s) => s.subscribe)) this.emitPeer(peer);
    });
    libp2p.addEventListener('peer:discovery', (evt) => {
      // mDNS/DHT discoveries: dial so the peer joins our topics' meshes. Peers on this very host are left
      // alone (several nodes on one machine, e.g. test runs, stay isolated unless given --boot-nodes).
      if (this.stopped || evt.detail.id.equals(libp2p.peerId)) return;
      if (evt.detail.multiaddrs.length > 0 && evt.detail.multiaddrs.every((m) => isLocalAddress(m)) && process.env.MEROD_DIAL_SAME_HOST !== '1') return;
      if (libp2p.getConnections(evt.detail.id).length > 0) return;
      libp2p.dial(evt.detail.id).catch(() => undefined);
    });
    await libp2p.handle(
      SYNC_PROTOCOL,
      (stream, connection) => {
        this.serve(stream, connection.remotePeer.toString()).catch((err) => {
          this.logger.debug({ err }, 'sync stream failed');
          stream.abort(err as Error);
        });
      },
      { maxInboundStreams: 64, runOnLimitedConnection: false },
    );
    this.dialBootstrap();
    this.redial = setInterval(() => {
      this.dialBootstrap();
      this.pubsubWatchdog().catch(() => undefined);
    }, 3_000);
    this.redial.unref();
  }

  private pubsubMissing = new Map<string, number>();

  /**
   * A connected peer that speaks gossipsub but has no pubsub stream with us (its stream failed to open, e.g. on
   * a loaded machine) would never learn our topics; after 10 s such a connection is closed, so that it is
   * re-established (boot nodes are re-dialled, others redial us).
   */
  private async pubsubWatchdog(): Promise<void> {
    const withPubsub = new Set(this.libp2p.services.pubsub.getPeers().map((p) => p.toString()));
    const now = Date.now();
    for (const peer of this.libp2p.getPeers()) {
      const id = peer.toString();
      if (withPubsub.has(id)) {
        this.pubsubMissing.delete(id);
        continue;
      }
      const p = await this.libp2p.peerStore.get(peer).catch(() => null);
      if (!p?.protocols.some((x) => x.startsWith('/meshsub/'))) continue;
      const since = this.pubsubMissing.get(id) ?? now;
      this.pubsubMissing.set(id, since);
      if (now - since > 10_000) {
        this.pubsubMissing.delete(id);
        this.logger.info({ peer: id }, 'no pubsub stream with a connected peer; reconnecting');
        await this.libp2p.hangUp(peer).catch(() => undefined);
      }
    }
  }

  private dialBootstrap(): void {
    for (const addr of this.bootstrap) {
      const id = addr.getComponents().find((c) => c.name === 'p2p')?.value;
      if (id && id === this.peerId) continue;
      if (id && this.libp2p.getConnections(peerIdFromString(id)).length > 0) continue;
      if (!id && this.libp2p.getConnections().some((c) => c.remoteAddr.toString().startsWith(addr.toString()))) continue;
      this.libp2p.dial(addr, { signal: AbortSignal.timeout(5_000) }).catch((err) => {
        this.logger.debug({ addr: addr.toString(), err: (err as Error).message }, 'boot node dial failed');
      });
    }
  }

  private emitPeer(peer: string): void {
    for (const h of this.peerHandlers) {
      try {
        h(peer);
      } catch {
        /* ignore */
      }
    }
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /** Connected peers (what GET /admin-api/peers reports). */
  peerCount(): number {
    return this.libp2p.getPeers().length;
  }

  /** Listen addresses with the /p2p/<peer id> suffix, as other nodes dial them. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((m) => m.toString());
  }

  onGossip(h: GossipHandler): void {
    this.gossipHandlers.push(h);
  }

  /** Called when a peer subscribes to one of our topics (a good moment to sync with it). */
  onPeer(h: (peer: string) => void): void {
    this.peerHandlers.push(h);
  }

  onSync(h: SyncHandler): void {
    this.syncHandler = h;
  }

  /**
   * Gossip validation for every topic we subscribe to: messages it refuses are neither delivered nor forwarded,
   * and gossipsub's peer scoring penalises their sender.
   */
  setValidator(v: (topic: string, data: Uint8Array) => 'accept' | 'reject' | 'ignore'): void {
    this.validator = v;
  }

  /** A no-op once stopped: work still finishing during shutdown (a context created just before) must not throw. */
  subscribe(topic: string): void {
    if (this.stopped) return;
    const pubsub = this.libp2p.services.pubsub;
    if (pubsub.getTopics().includes(topic)) return;
    const v = this.validator;
    if (v) pubsub.topicValidators.set(topic, (_peer, msg) => {
        const r = v(topic, msg.data);
        return r === 'accept' ? TopicValidatorResult.Accept : r === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
      });
    pubsub.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (this.stopped) return;
    const pubsub = this.libp2p.services.pubsub;
    if (!pubsub.getTopics().includes(topic)) return;
    pubsub.unsubscribe(topic);
    pubsub.topicValidators.delete(topic);
  }

  /** Topics this node is subscribed to. */
  topics(): string[] {
    return this.libp2p.services.pubsub.getTopics();
  }

  /** Peers subscribed to a topic. */
  topicPeers(topic: string): string[] {
    return this.libp2p.services.pubsub.getSubscribers(topic).map((p) => p.toString());
  }

  /** Publishes; returns the number of recipients (0 when nobody listens or on error). */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    if (data.length > MAX_GOSSIP_BYTES) throw new Error(`gossip message of ${data.length} bytes exceeds ${MAX_GOSSIP_BYTES}`);
    try {
      const r = await this.libp2p.services.pubsub.publish(topic, data);
      return r.recipients.length;
    } catch (err) {
      this.logger.debug({ err: (err as Error).message, topic }, 'publish failed');
      return 0;
    }
  }

  /** Dials addresses (e.g. from an invitation); failures are ignored. Returns the peer ids reached. */
  async dial(addrs: string[]): Promise<string[]> {
    const out: string[] = [];
    await Promise.all(
      addrs.map(async (a) => {
        try {
          const conn = await this.libp2p.dial(multiaddr(a), { signal: AbortSignal.timeout(5_000) });
          out.push(conn.remotePeer.toString());
        } catch (err) {
          this.logger.debug({ addr: a, err: (err as Error).message }, 'dial failed');
        }
      }),
    );
    return [...new Set(out)];
  }

  /** Whether a connection to `peer` is open. */
  connected(peer: string): boolean {
    try {
      return this.libp2p.getConnections(peerIdFromString(peer)).length > 0;
    } catch {
      return false;
    }
  }

  /**
   * The addresses the peer store holds for `peer` (what identify reported and what we dialled), without the
   * /p2p suffix; relayed addresses are left out. Empty for an unknown peer.
   */
  async peerAddresses(peer: string): Promise<string[]> {
    try {
      const p = await this.libp2p.peerStore.get(peerIdFromString(peer));
      return p.addresses.map((a) => a.multiaddr.toString()).filter((a) => !a.includes('/p2p-circuit'));
    } catch {
      return [];
    }
  }

  /**
   * Dials a known peer at the given addresses (added to the peer store first, so libp2p tries all of them).
   * Resolves to whether a connection is open afterwards; failures are logged at debug level.
   */
  async dialPeer(peer: string, addrs: string[], timeoutMs = 5_000): Promise<boolean> {
    if (this.stopped || peer === this.peerId) return false;
    try {
      const id = peerIdFromString(peer);
      const multiaddrs: Multiaddr[] = [];
      for (const a of addrs) {
        try {
          multiaddrs.push(multiaddr(a.replace(/\/p2p\/[^/]+$/, '')));
        } catch {
          /* not a multiaddr: skip */
        }
      }
      if (multiaddrs.length > 0) await this.libp2p.peerStore.merge(id, { multiaddrs });
      await this.libp2p.dial(id, { signal: AbortSignal.timeout(timeoutMs) });
      return true;
    } catch (err) {
      this.logger.debug({ peer, err: (err as Error).message }, 'redial failed');
      return false;
    }
  }

  /**
   * Opens a sync stream to `peer`, sends one request frame and hands every response frame to `onFrame` until it
   * returns true (done) or the responder closes the stream.
   */
  async request(peer: string, request: Uint8Array, onFrame: (f: Uint8Array) => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    const stream = await this.libp2p.dialProtocol(peerIdFromString(peer), SYNC_PROTOCOL, { signal });
    const onAbort = () => stream.abort(new Error('sync request timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const reader = new FrameReader(stream, MAX_FRAME);
      await sendFrame(stream, request);
      for (;;) {
        const f = await reader.next();
        if (f === null) break;
        if (await onFrame(f)) break;
      }
      await stream.close().catch(() => undefined);
    } catch (err) {
      stream.abort(err as Error);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Responder: each request frame is answered by the handler; the stream ends when the requester closes it. */
  private async serve(stream: Stream, remotePeer: string): Promise<void> {
    const reader = new FrameReader(stream, 64 * 1024);
    for (;;) {
      const f = await reader.next();
      if (f === null) break;
      if (!this.syncHandler) break;
      await this.syncHandler(f, remotePeer, (frame) => sendFrame(stream, frame));
    }
    await stream.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.redial) clearInterval(this.redial);
    await this.libp2p.stop();
  }
}
