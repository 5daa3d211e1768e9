import { route } from '../../http/route.ts';
import { permission } from '../permission.ts';
import { deleteBlobResponse, listBlobsResponse, uploadBlobResponse } from '../admin.ts';

const blobParam = ({ params }: { params: Record<string, string> }) => params.blob_id!;

/** The blob store. */
export const blobRoutes = {
  /** `?hash=&context_id=`: the raw body streamed into the blob store. */
  uploadBlob: route({
    method: 'PUT',
    url: '/admin-api/blobs',
    access: 'protected',
    permission: () => permission('blob', 'add:stream'),
    rawBody: true,
    query: ['hash', 'context_id'],
    response: uploadBlobResponse,
  }),
  listBlobs: route({
    method: 'GET',
    url: '/admin-api/blobs',
    access: 'protected',
    permission: () => permission('blob', 'list'),
    response: listBlobsResponse,
  }),
  /** Streams the bytes with upstream's headers. */
  downloadBlob: route({
    method: 'GET',
    url: '/admin-api/blobs/:blob_id',
    access: 'protected',
    permission: (p) => permission('blob', 'get', blobParam(p)),
    query: ['context_id'],
    produces: 'application/octet-stream',
  }),
  /** The download headers without a body. */
  blobInfo: route({
    method: 'HEAD',
    url: '/admin-api/blobs/:blob_id',
    access: 'protected',
    permission: (p) => permission('blob', 'get', blobParam(p)),
  }),
  /** A missing blob is 404 here (upstream answers 500). */
  deleteBlob: route({
    method: 'DELETE',
    url: '/admin-api/blobs/:blob_id',
    access: 'protected',
    permission: (p) => permission('blob', 'remove', blobParam(p)),
    response: deleteBlobResponse,
  }),
};
