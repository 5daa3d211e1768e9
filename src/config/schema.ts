import { z } from 'zod';
import { multiaddr } from '@multiformats/multiaddr';

/** Default ports, as upstream: node server 2528, swarm 2428. */
export const DEFAULT_SERVER_PORT = 2528;
export const DEFAULT_SWARM_PORT = 2428;

const multiaddrString = z.string().refine(
  (s) => {
    try {
      multiaddr(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid multiaddr' },
);

const service = z.object({ enabled: z.boolean().default(true) }).passthrough();

const websocket = service
  .extend({
    ping_interval_secs: z.number().int().min(0).default(30),
    pong_timeout_secs: z.number().int().min(1).default(10),
  })
  .superRefine((v, ctx) => {
    if (v.ping_interval_secs !== 0 && v.ping_interval_secs < 5) {
      ctx.addIssue({ code: 'custom', path: ['ping_interval_secs'], message: 'must be 0 (disabled) or at least 5' });
    }
    if (v.ping_interval_secs !== 0 && v.pong_timeout_secs >= v.ping_interval_secs) {
      ctx.addIssue({ code: 'custom', path: ['pong_timeout_secs'], message: 'must be less than ping_interval_secs' });
    }
  });

/** mero-auth's AuthConfig as embedded in `[server.embedded_auth]` (defaults = upstream `default_config()`). */
export const embeddedAuthSchema = z
  .object({
    listen_addr: z.string().default('127.0.0.1:3001'),
    jwt: z
      .object({
        issuer: z.string().min(1).default('calimero-auth'),
        access_token_expiry: z.number().int().positive().default(3600),
        refresh_token_expiry: z.number().int().positive().default(2592000),
      })
      .passthrough()
      .default({ issuer: 'calimero-auth', access_token_expiry: 3600, refresh_token_expiry: 2592000 }),
    storage: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('rocksdb'), path: z.string().min(1).default('auth') }),
        z.object({ type: z.literal('memory') }),
      ])
      .default({ type: 'rocksdb', path: 'auth' }),
    providers: z.record(z.string(), z.boolean()).default({ user_password: true }),
  })
  .passthrough();
export type EmbeddedAuthConfig = z.infer<typeof embeddedAuthSchema>;

export const serverSchema = z
  .object({
    listen: z.array(multiaddrString).min(1, 'at least one listen address is required'),
    auth_mode: z.enum(['proxy', 'embedded']).default('proxy'),
    // A missing service table disables that service, as upstream.
    admin: service
      .extend({
        /**
         * Ours (issue #12): let `install-application` download from loopback, private, link-local and other
         * non-public addresses, and read `file:` URLs. Off by default (SSRF).
         */
        allow_private_install_urls: z.boolean().default(false),
        /**
         * Ours (issue #17): `Content-Security-Policy` of the dashboard's index.html; `""` sends none. Absent: a
         * strict policy for our own build, none for a dashboard supplied through `CALIMERO_WEBUI_PATH`.
         */
        dashboard_csp: z.string().optional(),
      })
      .optional(),
    jsonrpc: service.optional(),
    websocket: websocket.optional(),
    sse: service.optional(),
    embedded_auth: embeddedAuthSchema.optional(),
    /** Ours: where a proxy-mode node finds its external mero-auth (forwarding of /auth, /admin and token validation). */
    proxy_auth: z
      .object({
        url: z.string().url(),
        /** How long a positive validation is reused per credential and request; 0 disables the cache. */
        cache_ttl_ms: z.number().int().min(0).default(2_000),
      })
      .passthrough()
      .optional(),
    /** Ours: optional HTTPS listener using the certificate generated at init. */
    tls: z
      .object({ enabled: z.boolean().default(false), listen: z.array(multiaddrString).default([]) })
      .passthrough()
      .optional(),
    /** Ours: request limits. */
    limits: z
      .object({
        body_limit_bytes: z.number().int().positive().default(2 * 1024 * 1024),
        blob_limit_bytes: z.number().int().positive().default(1024 * 1024 * 1024),
        max_ws_connections: z.number().int().positive().default(10_000),
        max_sse_sessions: z.number().int().positive().default(10_000),
        max_subscriptions_per_client: z.number().int().positive().default(1_000),
        /** Installed applications / contexts this node keeps; creations past them answer 429. */
        max_applications: z.number().int().positive().default(10_000),
        max_contexts: z.number().int().positive().default(100_000),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const configSchema = z
  .object({
    identity: z.object({ peer_id: z.string().min(1), keypair: z.string().min(1) }).passthrough(),
    mode: z.enum(['standard', 'read-only']).default('standard'),
    swarm: z.object({ listen: z.array(multiaddrString) }).passthrough(),
    server: serverSchema,
    bootstrap: z.object({ nodes: z.array(multiaddrString).default([]) }).passthrough().default({ nodes: [] }),
    discovery: z
      .object({ mdns: z.boolean().default(true), advertise_address: z.boolean().default(false) })
      .passthrough()
      .default({ mdns: true, advertise_address: false }),
    sync: z
      .object({
        timeout_ms: z.number().int().positive().default(30_000),
        interval_ms: z.number().int().positive().default(5_000),
        frequency_ms: z.number().int().positive().default(10_000),
        /** Ours: a joining node copies a member's snapshot instead of replaying the context's whole DAG. */
        snapshot_join: z.boolean().default(true),
        /** Ours: cap of the backoff between redials of a context's known peers. */
        redial_max_ms: z.number().int().positive().default(10_000),
        /** Ours: a context whose other members are unreachable this long is reported isolated. */
        isolation_warn_ms: z.number().int().positive().default(30_000),
      })
      .passthrough()
      .default({ timeout_ms: 30_000, interval_ms: 5_000, frequency_ms: 10_000, snapshot_join: true, redial_max_ms: 10_000, isolation_warn_ms: 30_000 }),
    datastore: z.object({ path: z.string().min(1) }).passthrough(),
    blobstore: z.object({ path: z.string().min(1) }).passthrough(),
    /** Ours: guest execution limits. */
    runtime: z
      .object({
        workers: z.number().int().min(1).max(64).default(2),
        call_timeout_ms: z.number().int().min(10).default(5_000),
      })
      .passthrough()
      .default({ workers: 2, call_timeout_ms: 5_000 }),
  })
  .passthrough();

export type NodeConfig = z.infer<typeof configSchema>;
