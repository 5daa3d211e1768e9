import type { Handler } from '../../handler.ts';
import type { Services } from '../../services.ts';
import type { applicationRoutes } from '../../../wire/routes/applications.ts';
import { decodeId, encodeId } from '../../../util/ids.ts';
import { ownBlobId } from './own-blob.ts';
import { InstallError } from '../../../node/applications.ts';

/** Origin and path of a URL for the log (credentials and query string dropped). */
function logUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === 'file:' ? 'file:' : `${u.origin}${u.pathname}`.slice(0, 300);
  } catch {
    return '(invalid)';
  }
}

/**
 * POST /admin-api/install-application — download a WASM module from an http(s) URL and register it. Non-public
 * destinations and file: URLs only with `[server.admin] allow_private_install_urls` (src/util/net-policy.ts).
 * A URL of this node's own blob route (`/admin-api/blobs/<id>`, what the dashboard's file upload sends) is
 * read from the blob store instead of downloaded: the download would need a token (ours: upstream 401s).
 */
export default (s: Pick<Services, 'apps' | 'limits' | 'config' | 'logger' | 'urls'>): Handler<typeof applicationRoutes.installApplication> =>
  async ({ body, req }) => {
    const o = {
      hash: body.hash ? decodeId(body.hash) : undefined,
      metadata: body.metadata,
      package: body.package ?? undefined,
      version: body.version ?? undefined,
    };
    const blobId = ownBlobId(body.url, s.urls(), req);
    try {
      const id = await s.limits.applications.run(() =>
        blobId
          ? s.apps.installFromBlob(blobId, new URL(body.url).toString(), o)
          : s.apps.installFromUrl(body.url, o, { allowPrivate: s.config.server.admin?.allow_private_install_urls === true }),
      );
      return { data: { applicationId: encodeId(id) } };
    } catch (err) {
      // The client gets no internal detail (errno, resolved address); the log does. URL without userinfo/query.
      if (err instanceof InstallError && err.detail) {
        s.logger.warn({ url: logUrl(body.url), code: err.code, detail: err.detail }, `install-application: ${err.message}`);
      }
      throw err;
    }
  };
