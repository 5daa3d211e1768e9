import { route } from '../../http/route.ts';
import { permission } from '../permission.ts';
import {
  getApplicationResponse,
  installApplicationRequest,
  installApplicationResponse,
  installDevApplicationRequest,
  listApplicationsResponse,
  uninstallApplicationResponse,
} from '../admin.ts';

const appParam = ({ params }: { params: Record<string, string> }) => params.application_id!;

/** Installed applications. Install failures are text/plain, as upstream. */
export const applicationRoutes = {
  /** Download a WASM module from an http(s) URL (or this node's own blob route) and register it. */
  installApplication: route({
    method: 'POST',
    url: '/admin-api/install-application',
    access: 'protected',
    permission: () => permission('application', 'install'),
    body: { schema: installApplicationRequest, errors: 'validated' },
    response: installApplicationResponse,
    failure: 'text',
  }),
  /** Register a module from the node's own filesystem. */
  installDevApplication: route({
    method: 'POST',
    url: '/admin-api/install-dev-application',
    access: 'protected',
    body: { schema: installDevApplicationRequest, errors: 'validated' },
    response: installApplicationResponse,
    failure: 'text',
  }),
  listApplications: route({
    method: 'GET',
    url: '/admin-api/applications',
    access: 'protected',
    permission: () => permission('application', 'list'),
    response: listApplicationsResponse,
  }),
  /** A missing application is `{"application":null}` with 200, as upstream. */
  getApplication: route({
    method: 'GET',
    url: '/admin-api/applications/:application_id',
    access: 'protected',
    permission: (p) => permission('application', 'list', appParam(p)),
    response: getApplicationResponse,
  }),
  /** Always answers with the id, even if it was not installed (upstream behaviour). */
  uninstallApplication: route({
    method: 'DELETE',
    url: '/admin-api/applications/:application_id',
    access: 'protected',
    permission: (p) => permission('application', 'uninstall', appParam(p)),
    response: uninstallApplicationResponse,
  }),
};
