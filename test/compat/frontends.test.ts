/**
 * Upstream's own web frontends on our node (issue #17), driven by headless Chromium: the login page
 * (calimero-network/auth-frontend v1.1.0) and the Admin Dashboard (calimero-network/admin-dashboard v1.6.2),
 * exactly as upstream merod 0.10.0 serves them, from the release archives in `../shared/compat/frontends`
 * (or the directory named by CALIMERO_COMPAT_FRONTENDS).
 *
 * The node runs with embedded auth; the login page comes from its archive through CALIMERO_AUTH_FRONTEND_SRC
 * (unpacked by the node), the dashboard from the unpacked archive through CALIMERO_WEBUI_PATH. The dashboard
 * is used as a new user would: connect to the node, log in, look at identity and keys, install an application
 * by URL and from an uploaded blob, start a context, open its details, delete it, uninstall the application
 * and find the uploaded blob still listed. Screenshots: test-artifacts/compat-frontends/.
 *
 * Needs Debian's chromium (CHROMIUM_PATH overrides /usr/bin/chromium) and the test apps (`npm run build:apps`).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readArchive } from '../../src/util/archive.ts';
import { siteRoot } from '../../src/auth/frontend-source.ts';
import { appPath, call, startInProcNode, type InProcNode } from '../helpers/inproc.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CORPUS = resolve(process.env.CALIMERO_COMPAT_FRONTENDS ?? '../shared/compat/frontends');
const ARTIFACTS = resolve('test-artifacts/compat-frontends');
const USER = 'admin';
const PASSWORD = 'compat frontends password';

/** The one archive in the corpus whose name starts with `prefix`, checked against SHA256SUMS when present. */
function archive(prefix: string): string {
  assert.ok(existsSync(CORPUS), `no compatibility corpus at ${CORPUS} (set CALIMERO_COMPAT_FRONTENDS)`);
  const names = readdirSync(CORPUS).filter((f) => f.startsWith(prefix) && /\.(tar\.gz|tgz|zip)$/.test(f));
  assert.equal(names.length, 1, `expected one ${prefix}* archive in ${CORPUS}, found ${names.join(', ') || 'none'}`);
  const path = join(CORPUS, names[0]!);
  const sums = join(CORPUS, 'SHA256SUMS');
  if (existsSync(sums)) {
    const line = readFileSync(sums, 'utf8').split('\n').find((l) => l.trim().endsWith(names[0]!));
    const actual = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (line) assert.equal(actual, line.split(/\s+/)[0], `${names[0]} does not match SHA256SUMS`);
  }
  return path;
}

/** Unpacks an archive into a temporary directory (with our reader) and returns the folder with index.html. */
async function unpack(path: string): Promise<{ root: string; dir: string }> {
  const root = mkdtempSync(join(tmpdir(), 'compat-frontend-'));
  for (const e of await readArchive(readFileSync(path))) {
    const full = join(root, e.path);
    if (e.type === 'dir') mkdirSync(full, { recursive: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, e.data!);
    }
  }
  return { root, dir: await siteRoot(root) };
}

let shotNo = 0;
rmSync(ARTIFACTS, { recursive: true, force: true });
async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${String(++shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** `Abcd...wxyz`: how upstream's dashboard abbreviates ids in its tables. */
const short = (id: string) => `${id.slice(0, 4)}...${id.slice(-4)}`;

/** Metadata the dashboard's install form writes (`createAppMetadata`): what its tables read back. */
interface AppForm {
  name: string;
  url: string;
}

describe('upstream auth-frontend and admin-dashboard on our node (embedded auth)', { timeout: 300_000 }, () => {
  let n: InProcNode;
  let context: BrowserContext;
  let page: Page;
  let profile = '';
  let dashboard: { root: string; dir: string };
  let files: Server;
  let wasmUrl = '';
  const errors: string[] = [];
  const isAuthed: number[] = [];
  let urlAppId = '';
  let blobId = '';
  let blobAppId = '';
  let contextId = '';

  /** The dashboard's access token (it stores JSON-encoded strings in localStorage). */
  const token = async () => JSON.parse((await page.evaluate(() => localStorage.getItem('access-token'))) ?? 'null') as string;
  const api = async (method: string, path: string, body?: unknown) => call(n.url, method, path, body, { authorization: `Bearer ${await token()}` });
  const nav = async (name: string) => {
    await page.locator('#root a', { hasText: new RegExp(`^${name}$`) }).first().click();
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    dashboard = await unpack(archive('admin-dashboard-'));
    process.env.CALIMERO_WEBUI_PATH = dashboard.dir;
    process.env.CALIMERO_AUTH_FRONTEND_SRC = archive('auth-frontend-');
    delete process.env.CALIMERO_AUTH_FRONTEND_PATH;
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' }, { config: ['server.admin.allow_private_install_urls=true'] });

    const wasm = readFileSync(appPath('kv-store'));
    files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': wasm.length });
      res.end(wasm);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    wasmUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}/kv-store.wasm`;

    profile = mkdtempSync(join(tmpdir(), 'compat-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 860 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/admin-api/is-authed') isAuthed.push(r.status());
    });
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (files) await new Promise<void>((r) => files.close(() => r()));
    await n?.stop();
    if (dashboard) rmSync(dashboard.root, { recursive: true, force: true });
    delete process.env.CALIMERO_WEBUI_PATH;
    delete process.env.CALIMERO_AUTH_FRONTEND_SRC;
  });

  test('both are served as upstream serves them: the dashboard without a CSP, the login page unpacked into the node home', async () => {
    const d = await call(n.url, 'GET', '/admin-dashboard/');
    assert.equal(d.status, 200);
    assert.equal(d.text, readFileSync(join(dashboard.dir, 'index.html'), 'utf8'));
    assert.equal(d.headers.get('content-security-policy'), null);
    const login = await call(n.url, 'GET', '/auth/login');
    assert.equal(login.status, 200);
    const unpacked = readdirSync(join(n.dir, 'auth-frontend'));
    assert.equal(unpacked.length, 1, `one unpacked login page under the home: ${unpacked.join(', ')}`);
    assert.equal(login.text, readFileSync(join(await siteRoot(join(n.dir, 'auth-frontend', unpacked[0]!)), 'index.html'), 'utf8'));
    const asset = /src="\/auth\/(assets\/[^"]+\.js)"/.exec(login.text);
    assert.ok(asset, login.text);
    assert.equal((await call(n.url, 'GET', `/auth/${asset[1]}`)).status, 200);
  });

  test('connect to the node and log in through upstream\'s login page', async () => {
    await page.goto(`${n.url}/admin-dashboard/`);
    await page.getByPlaceholder('Node URL').fill(n.url);
    await shot(page, 'connect');
    await page.getByRole('button', { name: 'Continue' }).click();
    // is-authed answered 401 without a token, so the dashboard offers a login instead of empty pages.
    await page.getByRole('button', { name: 'Login' }).click();
    assert.ok(isAuthed.length > 0 && isAuthed.every((s) => s === 401), `is-authed before login: ${isAuthed.join(', ')}`);
    await page.waitForURL(/\/auth\/login\?callback-url=/);
    await page.getByText('Username/Password').click();
    await page.locator('#username').fill(USER);
    await page.locator('#password').fill(PASSWORD);
    await shot(page, 'login');
    await page.getByRole('button', { name: 'Sign In' }).click();
    await page.getByRole('button', { name: 'Generate Token' }).waitFor();
    await shot(page, 'login-permissions');
    await page.getByRole('button', { name: 'Generate Token' }).click();
    await page.waitForURL(/\/admin-dashboard\//);
    await page.getByText('No installed applications').waitFor();
    assert.ok(await token(), 'access token stored');
    assert.equal((await api('GET', '/admin-api/is-authed')).status, 200, 'is-authed accepts the new token');
    await shot(page, 'applications-empty');
  });

  test('identity: the root key of the first login, and its client keys', async () => {
    await nav('Identity');
    const row = page.locator('#root').getByText('user_password');
    await row.first().waitFor();
    await page.locator('#root').getByText(USER, { exact: true }).first().waitFor();
    await shot(page, 'identity-root-keys');
    await page.getByText('Client Keys', { exact: true }).click();
    await page.waitForTimeout(500);
    await shot(page, 'identity-client-keys');
    const keys = await api('GET', '/admin/keys');
    assert.equal(keys.status, 200, keys.text);
  });

  const install = async (app: AppForm): Promise<string> => {
    await nav('Applications');
    await page.getByText('install new application').click();
    await page.locator('input[name=applicationName]').fill(app.name);
    await page.locator('input[name=applicationOwner]').fill('merod-ts');
    await page.locator('input[name=applicationVersion]').fill('1.0.0');
    await page.locator('input[name=description]').fill(`${app.name} (compat test)`);
    await page.locator('input[name=repositoryUrl]').fill('https://example.com/kv-store');
    await page.locator('input[name=applicationUrl]').fill(app.url);
    await page.getByRole('button', { name: 'Install application' }).click();
    const done = page.getByText('Application installed successfully').or(page.getByText(/fail/i));
    await done.first().waitFor({ timeout: 30_000 });
    const text = await page.locator('body').innerText();
    const m = /Installed application .*, with ID ([1-9A-HJ-NP-Za-km-z]{32,44})\./.exec(text);
    assert.ok(m, text);
    await shot(page, `installed-${app.name.replace(/\W+/g, '-')}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    return m[1]!;
  };

  test('install an application by URL', async () => {
    urlAppId = await install({ name: 'kv-store', url: wasmUrl });
    await nav('Applications');
    await page.locator('#root').getByText('kv-store', { exact: true }).waitFor();
    const app = await api('GET', `/admin-api/applications/${urlAppId}`);
    assert.equal(app.json.data.application.source, wasmUrl);
    await shot(page, 'applications');
  });

  test('upload a module on the Blobs page and install it from the node\'s own blob URL', async () => {
    const before = new Set(((await api('GET', '/admin-api/blobs')).json.data.blobs as Array<{ blob_id: string }>).map((b) => b.blob_id));
    await nav('Blobs');
    await page.getByRole('button', { name: 'Upload' }).waitFor();
    await page.locator('#root input[type=file]').setInputFiles(appPath('kv-store-with-handlers'));
    // The new blob's id, from the node; the page lists it abbreviated.
    for (let i = 0; i < 50 && !blobId; i++) {
      const now = (await api('GET', '/admin-api/blobs')).json.data.blobs as Array<{ blob_id: string }>;
      blobId = now.find((b) => !before.has(b.blob_id))?.blob_id ?? '';
      if (!blobId) await page.waitForTimeout(200);
    }
    assert.ok(blobId, 'the upload reached the node');
    await page.getByText('Upload Successful').waitFor();
    assert.match(await page.locator('body').innerText(), new RegExp(`Blob ID: ${blobId}`));
    await shot(page, 'blobs-uploaded');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#root').getByText(short(blobId)).waitFor();

    const own = `${n.url}/admin-api/blobs/${blobId}`;
    blobAppId = await install({ name: 'uploaded kv', url: own });
    const app = await api('GET', `/admin-api/applications/${blobAppId}`);
    assert.equal(app.json.data.application.source, own);
    assert.equal(app.json.data.application.blob.bytecode, blobId);
  });

  test('start a context of the URL-installed application', async () => {
    await nav('Contexts');
    await page.getByText('Start new context').click();
    const select = page.locator('#root select').first();
    await select.locator('option', { hasText: urlAppId }).waitFor({ state: 'attached' });
    const value = await select.locator('option', { hasText: urlAppId }).getAttribute('value');
    await select.selectOption(value!);
    await page.locator('#root select').nth(1).selectOption('near');
    await shot(page, 'start-context');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByText('Context started').waitFor({ timeout: 30_000 });
    const m = /Context ID: ([1-9A-HJ-NP-Za-km-z]{32,44})/.exec(await page.locator('body').innerText());
    assert.ok(m);
    contextId = m[1]!;
    await shot(page, 'context-started');
    await page.getByRole('button', { name: 'Continue' }).click();
    await nav('Contexts');
    await page.locator('#root').getByText(contextId).waitFor();
    const ctx = await api('GET', `/admin-api/contexts/${contextId}`);
    assert.equal(ctx.status, 200, ctx.text);
    assert.equal(ctx.json.data.applicationId, urlAppId);
    await shot(page, 'contexts');
  });

  test('the context\'s details: id, application, users, storage', async () => {
    await page.locator('#root').getByText(contextId).click();
    await page.getByText('Context Details').waitFor();
    await page.locator('#root').getByText(`Id: ${contextId}`).waitFor();
    await page.locator('#root').getByText(`App ID: ${urlAppId}`).waitFor();
    await page.locator('#root').getByText(/Used: \d/).waitFor();
    await shot(page, 'context-details');
    await page.getByText('Users (1)').click();
    await page.waitForTimeout(500);
    await shot(page, 'context-users');
  });

  test('delete the context', async () => {
    await nav('Contexts');
    const row = page.locator('#root').getByText(contextId);
    await row.waitFor();
    await page.locator('#root button[data-bs-toggle=dropdown]').first().click();
    await page.getByText('Delete Context').click();
    await page.getByText('Are you sure you want to delete this context?').waitFor();
    await shot(page, 'context-delete');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByText(`Context with id: ${contextId} deleted.`).waitFor();
    await shot(page, 'context-deleted');
    await page.getByRole('button', { name: 'Continue' }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    const list = await api('GET', '/admin-api/contexts');
    assert.ok(!list.json.data.contexts.some((c: { id: string }) => c.id === contextId), list.text);
    await shot(page, 'contexts-after-delete');
  });

  test('uninstall the application installed from the upload: the uploaded blob stays listed', async () => {
    await nav('Applications');
    const row = page.locator('#root').getByText('uploaded kv', { exact: true });
    await row.waitFor();
    const rows = page.locator('#root button[data-bs-toggle=dropdown]');
    // The rows are in the node's order; open the menu of the uploaded application's row.
    const names = await page.locator('#root').getByText(/^(kv-store|uploaded kv)$/).allInnerTexts();
    await rows.nth(names.indexOf('uploaded kv')).click();
    await page.getByText('Uninstall application').click();
    await page.getByText('Are you sure you want to uninstall this application?').waitFor();
    await shot(page, 'uninstall');
    await page.getByRole('button', { name: 'Uninstall', exact: true }).click();
    await page.getByText('Application uninstalled successfully').waitFor();
    await shot(page, 'uninstalled');
    await page.getByRole('button', { name: 'Continue' }).click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal((await api('GET', `/admin-api/applications/${blobAppId}`)).json.data.application, null);
    await shot(page, 'applications-after-uninstall');

    await nav('Blobs');
    await page.locator('#root').getByText(short(blobId)).waitFor();
    const blobs = (await api('GET', '/admin-api/blobs')).json.data.blobs as Array<{ blob_id: string }>;
    assert.ok(blobs.some((b) => b.blob_id === blobId), 'the uploaded blob is still stored');
    await shot(page, 'blobs-after-uninstall');
    assert.deepEqual(errors, []);
  });
});

describe('CALIMERO_AUTH_FRONTEND_SRC', () => {
  test('a file that is not an archive stops the node at start-up, naming the variable and the reason', async () => {
    const bad = join(CORPUS, 'README.md');
    process.env.CALIMERO_AUTH_FRONTEND_SRC = bad;
    try {
      await assert.rejects(startInProcNode({ authMode: 'embedded', authStorage: 'memory' }), (e: Error) => {
        assert.equal(e.message, `CALIMERO_AUTH_FRONTEND_SRC=${bad}: not a .tar.gz or .zip archive`);
        return true;
      });
    } finally {
      delete process.env.CALIMERO_AUTH_FRONTEND_SRC;
    }
  });
});
