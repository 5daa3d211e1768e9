import { route } from '../../http/route.ts';
import { permission } from '../permission.ts';
import { latestVersionResponse, listPackagesResponse, listVersionsResponse } from '../admin.ts';

const pkg = ({ params }: { params: Record<string, string> }) => params.package!;

/** Package names and versions of the installed applications; answers without a data wrapper, as upstream. */
export const packageRoutes = {
  /** Distinct package names; `unknown` for applications installed without one. */
  listPackages: route({
    method: 'GET',
    url: '/admin-api/packages',
    access: 'protected',
    permission: () => permission('package', 'list-packages'),
    response: listPackagesResponse,
  }),
  /** One entry per application of the package (duplicates possible, as upstream). */
  listVersions: route({
    method: 'GET',
    url: '/admin-api/packages/:package/versions',
    access: 'protected',
    permission: (p) => permission('package', 'list-versions', pkg(p)),
    response: listVersionsResponse,
  }),
  /** The highest version (semver rules, src/node/packages.ts) and its application; both null when none. */
  latestVersion: route({
    method: 'GET',
    url: '/admin-api/packages/:package/latest',
    access: 'protected',
    permission: (p) => permission('package', 'get-latest-version', pkg(p)),
    response: latestVersionResponse,
  }),
};
