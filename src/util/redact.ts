/**
 * Log redaction of credentials: the values of `token`, `access_token` and `refresh_token` query parameters
 * and anything shaped like a JWT are replaced by `[REDACTED]` before a line is written.
 */

export const REDACTED = '[REDACTED]';

const SECRET_PARAMS = new Set(['token', 'access_token', 'refresh_token']);

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** `url` (absolute or a path) with the values of token query parameters replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const h = url.indexOf('#', q);
  const query = h < 0 ? url.slice(q + 1) : url.slice(q + 1, h);
  const rest = h < 0 ? '' : url.slice(h);
  const parts = query.split('&').map((p) => {
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    return SECRET_PARAMS.has(decodeName(name)) ? `${name}=${REDACTED}` : p;
  });
  return `${url.slice(0, q + 1)}${parts.join('&')}${rest}`;
}

// `?token=…` / `&access_token=…` inside free text (log messages such as fastify's "Route GET:/x?token=… not found").
const PARAM_IN_TEXT = /([?&;](?:token|access_token|refresh_token)=)[^&#\s"'<>]*/gi;
// Three base64url segments starting with `eyJ` (a JSON object header): a JWT wherever it appears.
const JWT_IN_TEXT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Free text with token query parameters and JWTs replaced by `[REDACTED]`. */
export function redactText(s: string): string {
  return s.replace(PARAM_IN_TEXT, `$1${REDACTED}`).replace(JWT_IN_TEXT, REDACTED);
}

/**
 * pino `hooks.logMethod`: redacts string arguments (the message and its format arguments) and the string
 * fields `url`/`msg` of a merging object. Serializers (`req`) handle request objects.
 */
export function redactLogMethod(
  this: unknown,
  args: unknown[],
  method: (...a: unknown[]) => void,
): void {
  const out = args.map((a) => {
    if (typeof a === 'string') return redactText(a);
    if (a && typeof a === 'object' && !(a instanceof Error) && typeof (a as { url?: unknown }).url === 'string') {
      return { ...(a as object), url: redactText((a as { url: string }).url) };
    }
    return a;
  });
  method.apply(this, out);
}

/** Request serializer for fastify loggers: fastify's default fields with the URL redacted. */
export function redactedReqSerializer(req: {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactText(redactUrl(req.url)),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
