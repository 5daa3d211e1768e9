/**
 * The dashboard's one connection to the node: a `MeroClient` (src/client) — the same typed client, wire
 * schemas and errors as meroctl and the tests. This module only adds the browser's sign-in rules:
 * - the token is the `access-token` from localStorage, refreshed first when its `exp` has passed;
 * - a 401 exchanges the pair once at `/auth/refresh` and retries; if that fails, the user goes to the login page;
 * - every successful answer marks the session as authorised (for the top bar and the login loop guard).
 */
import { MeroClient, ApiError, ResponseError, RpcError, hashBytes } from '../../../../src/client/index.ts';
import { accessToken, accessTokenExpired, markAuthorized, refreshToken, requireLogin, setTokens } from './auth.ts';
import { PREFIX } from './paths.ts';

export { ApiError, ResponseError, RpcError, hashBytes };
export type { Application, BlobInfo, ClientKeyInfo, Context, Did, NodeEvent, NodeInfo, RootKeyInfo, SyncStatus } from '../../../../src/client/index.ts';

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the stored token pair at `/auth/refresh` (one exchange at a time; concurrent callers share it).
 * Resolves true when new tokens were stored.
 */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= (async () => {
    const access = accessToken();
    const refresh = refreshToken();
    if (!access || !refresh) return false;
    try {
      const pair = await client.refreshToken({ accessToken: access, refreshToken: refresh });
      setTokens(pair.accessToken, pair.refreshToken);
      return true;
    } catch {
      return false;
    } finally {
      setTimeout(() => (refreshing = null), 0);
    }
  })();
  return refreshing;
}

/** fetch that reports network failures plainly and notes every accepted request. */
const observedFetch: typeof fetch = async (input, init) => {
  let res: Response;
  try {
    res = await fetch(input, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new Error(`network error: ${(err as Error).message} (is the node running?)`, { cause: err });
  }
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (res.ok && !new URL(url, window.location.href).pathname.startsWith('/auth/')) markAuthorized();
  return res;
};

/**
 * The client. Upstream puts `NODE_PATH_PREFIX` in front of `/admin-api`, `/jsonrpc` and `/ws` only, so the
 * node URL carries the prefix and `rootUrl` (for `/sse`, `/auth`, `/admin`) does not.
 */
export const client = new MeroClient({
  url: window.location.origin + PREFIX,
  rootUrl: window.location.origin,
  fetch: observedFetch,
  async token() {
    if (accessTokenExpired()) await refreshTokens();
    return accessToken() ?? undefined;
  },
  async onUnauthorized({ retried }) {
    if (!retried && (await refreshTokens())) return true;
    requireLogin();
    return false;
  },
});
