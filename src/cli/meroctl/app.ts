/** `meroctl app …`: install, list, get, uninstall, packages and versions, and `watch` (dev re-install loop). */
import { watch as fsWatch, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { NodeMeroClient } from '../../client/node.ts';
import { client, info, interrupted, json, parseJson, print, table } from './common.ts';

async function mustExist(path: string): Promise<void> {
  // The node reads the path itself; checking here gives a clearer message when both run on one machine.
  await stat(path).catch(() => {
    throw new Error(`no such file: ${path}`);
  });
}

export interface DevInstall {
  path: string;
  metadata?: unknown;
  package?: string;
  version?: string;
}

export async function installDev(c: NodeMeroClient, d: DevInstall): Promise<string> {
  const path = resolve(d.path);
  await mustExist(path);
  return c.installDevApplication({ path, metadata: d.metadata, package: d.package, version: d.version });
}

/** One line of a watch loop: a JSON object with `--output json`, text otherwise (stdout either way). */
function event(e: Record<string, unknown>, human: string): void {
  process.stdout.write((json() ? JSON.stringify(e) : human) + '\n');
}

/**
 * Upstream's dev loop: each time the file changes, install it again and move the contexts that ran the previous
 * build (`targets(baseline)`) to the new one, as `executor(context)`. Runs until SIGINT/SIGTERM; ends by itself
 * when no context runs the tracked application any more.
 */
export async function watchAndUpdate(
  c: NodeMeroClient,
  d: DevInstall,
  baseline: string,
  targets: (appId: string) => Promise<string[]>,
  executor: (contextId: string) => Promise<string>,
): Promise<void> {
  const path = resolve(d.path);
  let chain = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let done!: () => void;
  const finished = new Promise<null>((r) => (done = () => r(null)));
  const rebuild = async () => {
    if (!existsSync(path)) return info('File removed, ignoring..');
    const next = await installDev(c, d);
    if (next === baseline) return info(`${path} changed but builds the same application ${next}`);
    event({ event: 'installed', applicationId: next }, `installed new application version ${next}`);
    const contexts = await targets(baseline);
    if (contexts.length === 0) {
      process.stderr.write(`No contexts found using application ${baseline}.\n`);
      return done();
    }
    let ok = 0;
    for (const contextId of contexts) {
      try {
        await c.updateContextApplication(contextId, { applicationId: next, executorPublicKey: await executor(contextId) });
        ok++;
        event({ event: 'updated', contextId, applicationId: next }, `updated context ${contextId} to ${next}`);
      } catch (err) {
        event({ event: 'failed', contextId, error: (err as Error).message }, `failed to update context ${contextId}: ${(err as Error).message}`);
      }
    }
    info(`update complete: ${ok} successful, ${contexts.length - ok} failed`);
    // Track the new build once a context runs it; if every update failed, the contexts still run the old one.
    if (ok > 0) baseline = next;
  };
  const watcher = fsWatch(dirname(path), (_kind, file) => {
    if (file !== null && file.toString() !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(rebuild).catch((err: Error) => {
        process.stderr.write(`error: ${err.message}\n`);
      });
    }, 300);
  });
  info(`Watching for changes to ${path}; Ctrl-C to stop`);
  await Promise.race([interrupted(), finished]);
  watcher.close();
  clearTimeout(timer);
}

export function appCommands(program: Command): void {
  const app = program.command('app').description('applications');
  app
    .command('install <pathOrUrl>')
    .description('install a WASM application: a local path (install-dev-application) or an http(s) URL (install-application)')
    .option('--metadata <json>', 'metadata (JSON, stored as its UTF-8 bytes)')
    .option('--hash <base58>', 'expected sha256 of the file (URL installs)')
    .option('--package <name>', 'package name (default on the node: unknown)')
    .option('--package-version <version>', 'version of the package, e.g. 1.0.0; also --version, as upstream (default on the node: 0.0.0)')
    .action(async (src: string, o: { metadata?: string; hash?: string; package?: string; packageVersion?: string }) => {
      const metadata = parseJson(o.metadata, '--metadata');
      const named = { package: o.package, version: o.packageVersion };
      const c = await client();
      const id = /^https?:\/\//i.test(src)
        ? await c.installApplication({ url: src, metadata, hash: o.hash, ...named })
        : await installDev(c, { path: src, metadata, ...named });
      print({ applicationId: id }, () => id);
    });
  app
    .command('ls')
    .alias('list')
    .description('list installed applications')
    .action(async () => {
      const apps = await (await client()).listApplications();
      print(apps, () => table(apps.map((a) => `${a.id}  ${a.size} B  ${a.source}`)));
    });
  app
    .command('get <id>')
    .description('show an application')
    .action(async (id: string) => {
      const a = await (await client()).getApplication(id);
      if (!a) throw new Error(`application ${id} is not installed`);
      print(a);
    });
  app
    .command('uninstall <id>')
    .description('uninstall an application')
    .action(async (id: string) => {
      await (await client()).uninstallApplication(id);
      print({ uninstalled: id }, () => `uninstalled ${id}`);
    });
  app
    .command('list-packages')
    .description('package names of the installed applications')
    .action(async () => {
      const packages = await (await client()).listPackages();
      print({ packages }, () => table(packages));
    });
  app
    .command('list-versions <package>')
    .description('installed versions of a package')
    .action(async (name: string) => {
      const versions = await (await client()).listVersions(name);
      print({ versions }, () => table(versions));
    });
  app
    .command('get-latest-version <package>')
    .description('the newest installed version of a package and its application id')
    .action(async (name: string) => {
      const latest = await (await client()).getLatestVersion(name);
      print(latest, () => (latest.version === null ? `no versions of ${name}` : `${latest.version}  ${latest.applicationId}`));
    });
  app
    .command('watch')
    .description('install a WASM file, then re-install it on every change and move the contexts using it to the new build')
    .requiredOption('-p, --path <file>', 'the WASM file to watch')
    .option('--metadata <json>', 'metadata for the installs (JSON)')
    .option('--current-app-id <id>', 'track the contexts of this application (default: the one the first install gives)')
    .option('--package <name>', 'package name', 'unknown')
    .option('--package-version <version>', 'version (also --version, as upstream)', '0.0.0')
    .action(async (o: { path: string; metadata?: string; currentAppId?: string; package: string; packageVersion: string }) => {
      const c = await client();
      const d: DevInstall = { path: o.path, metadata: parseJson(o.metadata, '--metadata'), package: o.package, version: o.packageVersion };
      info(`Installing initial application from ${o.path} to establish baseline...`);
      const first = await installDev(c, d);
      const baseline = o.currentAppId ?? first;
      const using = async (appId: string) => (await c.listContexts()).filter((x) => x.applicationId === appId).map((x) => x.id);
      const contexts = await using(baseline);
      if (contexts.length === 0) {
        throw new Error(`No contexts found using application ${baseline}; create one first: meroctl context create ${baseline}`);
      }
      info(`Found ${contexts.length} context(s) using application ${baseline}: ${contexts.join(', ')}`);
      await watchAndUpdate(c, d, baseline, using, async (ctx) => {
        const owned = (await c.identities(ctx, true))[0];
        if (!owned) throw new Error(`no identities found for context ${ctx}`);
        return owned;
      });
      process.exit(0);
    });
}
