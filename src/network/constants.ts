/** Network constants, importable without loading js-libp2p (the swarm is loaded lazily at start). */

/** Our sync protocol: upstream's framing, our messages (upstream's `/calimero/stream/0.0.2` carries borsh StreamMessage). */
export const SYNC_PROTOCOL = '/merod-ts/sync/1.0.0';
export const KAD_PROTOCOL = '/calimero/kad/1.0.0';
/** Upstream's gossipsub `max_transmit_size`. */
export const MAX_GOSSIP_BYTES = 65_536;
