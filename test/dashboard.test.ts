/**
 * Admin Dashboard (issue #6): the SPA served by the node at /admin-dashboard, driven by headless Chromium.
 *
 * - serving: redirects, deep links → index.html, assets, missing assets, path traversal, "not built" page;
 * - embedded auth, full flow: log in through /auth/login, install the kv-store test app from a URL and by file
 *   upload, create a context, watch its live events (SSE), call `set` from the JSON-RPC console, see the event arrive, delete
 *   the context — with screenshots at laptop and phone widths in test-artifacts/dashboard/;
 * - proxy mode without auth: no sign-in, server errors shown with their HTTP status and message.
 *
 * Needs Debian's chromium (`apt-get install -y chromium`; CHROMIUM_PATH overrides /usr/bin/chromium) and the
 * test apps (`npm run build:apps`). UPDATE_DOCS_SCREENSHOT=1 copies the README screenshot to docs/dashboard.png.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import type { Page } from 'playwright-core';
import { buildDashboard } from '../web/admin-dashboard/build.ts';
import { registerDashboard } from '../src/server/dashboard.ts';
import { appPath, call, freePort, startInProcNode, type InProcNode } from './helpers/inproc.ts';
import { track } from './helpers/node.ts';
import { LAPTOP, launch } from './helpers/chromium.ts';
import { decodeInvitation } from '../src/node/sync/codec.ts';
import { encodeId } from '../src/util/ids.ts';

const ARTIFACTS = resolve('test-artifacts/dashboard');
const PHONE = { width: 390, height: 844 };
const USER = 'admin';
const PASSWORD = 'dashboard test password';

// The SPA is built from the current sources into a temporary directory; the node serves it from there
// (registerDashboard reads CALIMERO_WEBUI_PATH), so the test never depends on a stale build/.
const webDir = mkdtempSync(join(tmpdir(), 'dashboard-build-'));
process.env.CALIMERO_WEBUI_PATH = webDir;
const built = buildDashboard({ outDir: webDir });
process.once('exit', () => rmSync(webDir, { recursive: true, force: true }));

let shotNo = 0;
rmSync(ARTIFACTS, { recursive: true, force: true });
async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Fails with the error box's text when `testid` is on the page. */
async function assertNoErrorBox(page: Page, testid: string): Promise<void> {
  const box = page.getByTestId(testid);
  if ((await box.count()) > 0) assert.fail(`${testid}: ${await box.first().textContent()}`);
}

/** Collects page errors and failed requests, for assertion messages. */
function watchPage(page: Page): string[] {
  const log: string[] = [];
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') log.push(`console: ${m.text()}`);
  });
  return log;
}

async function nav(page: Page, id: string): Promise<void> {
  const link = page.getByTestId(`nav-${id}`);
  if (!(await link.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
  await link.click();
}

/** Serves one file over HTTP on 127.0.0.1 (the "install from URL" source). */
async function serveFile(path: string): Promise<{ url: string; close: () => Promise<void> }> {
  const bytes = readFileSync(path);
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/kv-store.wasm`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('dashboard is served by the node', () => {
  test('redirect, deep links, assets, missing files, traversal', async () => {
    const { outDir } = await built;
    const app = Fastify();
    await registerDashboard(app, { dir: outDir });
    try {
      let r = await app.inject({ method: 'GET', url: '/admin-dashboard?x=1' });
      assert.equal(r.statusCode, 302);
      assert.equal(r.headers.location, '/admin-dashboard/?x=1');
      r = await app.inject({ method: 'GET', url: '/admin-dashboard/' });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.match(r.body, /<div id="app">/);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
      const index = r.body;
      for (const deep of ['/admin-dashboard/contexts', '/admin-dashboard/contexts/4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi', '/admin-dashboard/console?context=x']) {
        r = await app.inject({ method: 'GET', url: deep });
        assert.equal(r.statusCode, 200, deep);
        assert.equal(r.body, index, deep);
      }
      r = await app.inject({ method: 'GET', url: '/admin-dashboard/app.js' });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /javascript/);
      assert.ok(r.headers.etag);
      r = await app.inject({ method: 'GET', url: '/admin-dashboard/app.css' });
      assert.match(String(r.headers['content-type']), /text\/css/);
      r = await app.inject({ method: 'HEAD', url: '/admin-dashboard/' });
      assert.equal(r.statusCode, 200);
      r = await app.inject({ method: 'GET', url: '/admin-dashboard/missing.js' });
      assert.equal(r.statusCode, 404);
      for (const evil of ['/admin-dashboard/../package.json', '/admin-dashboard/%2e%2e/%2e%2e/package.json', '/admin-dashboard/..%2f..%2fpackage.json']) {
        r = await app.inject({ method: 'GET', url: evil });
        assert.ok(!r.body.includes('"name": "merod-ts"'), evil);
      }
    } finally {
      await app.close();
    }
  });

  test('a node path prefix is applied to the asset URLs', async () => {
    const { outDir } = await built;
    const app = Fastify();
    await registerDashboard(app, { dir: outDir, prefix: '/node1/admin-dashboard/' });
    try {
      const r = await app.inject({ method: 'GET', url: '/node1/admin-dashboard/keys' });
      assert.equal(r.statusCode, 200);
      assert.match(r.body, /src="\/node1\/admin-dashboard\/app\.js/);
      assert.equal((await app.inject({ method: 'GET', url: '/node1/admin-dashboard' })).headers.location, '/node1/admin-dashboard/');
    } finally {
      await app.close();
    }
  });

  test('without a build: 404 page that says how to build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'dashboard-empty-'));
    const app = Fastify();
    await registerDashboard(app, { dir: empty });
    try {
      const r = await app.inject({ method: 'GET', url: '/admin-dashboard/' });
      assert.equal(r.statusCode, 404);
      assert.match(r.body, /npm run build:web/);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('embedded auth: full flow in Chromium', { timeout: 180_000 }, () => {
  let n: InProcNode;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  let page: Page;
  let log: string[];
  let wasm: { url: string; close: () => Promise<void> } | undefined;
  let contextId = '';

  before(async () => {
    await built;
    // The URL install serves the app from loopback: allow non-public install URLs (refused by default).
    n = await startInProcNode({ authMode: 'embedded', authStorage: 'memory' }, { config: ['server.admin.allow_private_install_urls=true'] });
    browser = await launch();
    page = browser.page;
    log = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await wasm?.close();
    await n?.stop();
  });

  test('the dashboard is mounted at /admin-dashboard', async () => {
    const r = await call(n.url, 'GET', '/admin-dashboard/');
    assert.equal(r.status, 200, 'GET /admin-dashboard/ — is registerDashboard wired into the node server?');
    assert.match(r.text, /app\.js/);
  });

  test('log in through /auth/login and land back on the dashboard', async () => {
    await page.goto(`${n.url}/admin-dashboard/`);
    await page.waitForURL(/\/auth\/login\?redirect=/, { timeout: 15_000 });
    await shot(page, 'login');
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('#login');
    await page.waitForURL(/\/admin-dashboard\/$/, { timeout: 15_000 });
    const peerId = page.getByTestId('peer-id');
    await peerId.waitFor({ timeout: 15_000 });
    assert.equal(await peerId.textContent(), n.running.node.identity.peerId);
    assert.equal(await page.getByTestId('auth-mode').textContent(), 'embedded');
    assert.ok(await page.evaluate(() => localStorage.getItem('access-token')), 'access token stored');
    await page.getByTestId('did').waitFor();
    await page.getByTestId('sign-out').waitFor();
    await shot(page, 'node');
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  });

  test('keys page lists the root key created by the first login', async () => {
    await nav(page, 'keys');
    const row = page.getByTestId('root-key-row');
    await row.first().waitFor({ timeout: 10_000 });
    assert.match((await row.first().textContent()) ?? '', new RegExp(USER));
    await shot(page, 'keys');
  });

  test('install the kv-store test app from a URL', async () => {
    wasm = await serveFile(appPath('kv-store'));
    await nav(page, 'applications');
    await page.getByTestId('install-url').fill(wasm.url);
    await page.getByTestId('install-metadata').fill('{"name":"kv-store"}');
    await page.getByTestId('install-package').fill('com.example.kv');
    await page.getByTestId('install-version').fill('1.2.0');
    await page.getByTestId('install-submit').click();
    const ok = page.getByTestId('install-success').or(page.getByTestId('install-error'));
    await ok.waitFor({ timeout: 30_000 });
    await assertNoErrorBox(page, 'install-error');
    const row = page.getByTestId('app-row').filter({ hasText: 'kv-store' });
    await row.waitFor({ timeout: 10_000 });
    // The packages card lists the package with its version as the latest.
    const pkg = page.locator('[data-testid="package-row"][data-package="com.example.kv"]');
    await pkg.waitFor({ timeout: 10_000 });
    assert.equal((await pkg.getByTestId('package-latest').textContent())?.trim(), '1.2.0');
    await shot(page, 'applications');
  });

  test('install by file upload: a blob, then install-application from the node\'s own blob URL', async () => {
    await page.getByTestId('install-mode-upload').click();
    await page.getByTestId('install-file').setInputFiles(appPath('kv-store'));
    await page.getByTestId('install-metadata').fill('{"name":"uploaded kv"}');
    await page.getByTestId('install-submit').click();
    await page.getByTestId('install-success').or(page.getByTestId('install-error')).waitFor({ timeout: 30_000 });
    await assertNoErrorBox(page, 'install-error');
    const row = page.getByTestId('app-row').filter({ hasText: 'uploaded kv' });
    await row.waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? '', /\/admin-api\/blobs\//);
    await shot(page, 'applications-uploaded');
    // The node read its own blob (no download without a token): same bytes as the file.
    const token = await page.evaluate(() => localStorage.getItem('access-token'));
    const apps = await call(n.url, 'GET', '/admin-api/applications', undefined, { authorization: `Bearer ${token}` });
    const app = apps.json.data.apps.find((a: { source: string }) => a.source.includes('/admin-api/blobs/'));
    assert.ok(app, apps.text);
    assert.equal(app.size, readFileSync(appPath('kv-store')).length);
    await page.getByTestId('install-mode-url').click();
  });

  test('create a context from the app', async () => {
    await page.getByTestId('app-row').filter({ hasText: 'kv-store' }).getByTestId('app-create-context').click();
    await page.getByTestId('create-context-form').waitFor();
    await page.getByTestId('ctx-create').click();
    const done = page.getByTestId('create-context-success').or(page.getByTestId('create-context-error'));
    await done.waitFor({ timeout: 30_000 });
    await assertNoErrorBox(page, 'create-context-error');
    contextId = ((await page.getByTestId('created-context-id').textContent()) ?? '').trim();
    assert.match(contextId, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    await page.locator(`[data-testid=context-row][data-context-id="${contextId}"]`).waitFor();
    await shot(page, 'contexts');
  });

  test('the context page shows identities and storage size', async () => {
    await page.goto(`${n.url}/admin-dashboard/contexts/${contextId}`); // a deep link, served index.html
    await page.getByTestId('context-id').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('context-id').textContent(), contextId);
    await page.getByTestId('identity-row').first().waitFor();
    assert.match((await page.getByTestId('identity-row').first().textContent()) ?? '', /owned by this node/);
    await page.getByTestId('context-storage').filter({ hasText: /B|KiB|MiB/ }).waitFor();
    await shot(page, 'context');
  });

  test('the context page shows its sync status; re-sync asks the node to pull and retry', async () => {
    // Still on the context page: one member (this node's), no peers, nothing failed or waiting.
    const card = page.getByTestId('sync-status');
    await card.getByTestId('sync-members').waitFor({ timeout: 10_000 });
    assert.equal((await card.getByTestId('sync-members').textContent())?.trim(), '1 (1 on this node)');
    assert.equal(await card.getByTestId('sync-reachable').getAttribute('data-reachable'), '0');
    assert.match((await card.getByTestId('sync-last').textContent()) ?? '', /none since the node started/);
    assert.equal(await card.getByTestId('sync-failed-count').getAttribute('data-count'), '0');
    assert.equal(await card.getByTestId('sync-isolated').count(), 0, 'a context without other members is not isolated');
    const resync = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `/admin-api/contexts/sync/${contextId}`);
    await card.getByTestId('sync-retry').click();
    await resync;
    await card.getByTestId('sync-retry-success').or(card.getByTestId('sync-retry-error')).waitFor({ timeout: 10_000 });
    await assertNoErrorBox(page, 'sync-retry-error');
  });

  test('invite a new identity from the context page; a bad invitation is refused plainly', async () => {
    await nav(page, 'contexts');
    await page.getByTestId('new-identity').click();
    const key = ((await page.getByTestId('new-identity-key').textContent()) ?? '').trim();
    assert.match(key, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    await page.getByTestId('join-payload').fill('not-an-invitation');
    await page.getByTestId('join-submit').click();
    await page.getByTestId('join-error').waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId('join-error').textContent()) ?? '', /invalid invitation payload/);

    await page.goto(`${n.url}/admin-dashboard/contexts/${contextId}`);
    await page.getByTestId('invitee').fill(key);
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('invite-success').or(page.getByTestId('invite-error')).waitFor({ timeout: 15_000 });
    await assertNoErrorBox(page, 'invite-error');
    const invitation = await page.getByTestId('invitation').inputValue();
    const decoded = decodeInvitation(invitation);
    assert.equal(encodeId(decoded.contextId), contextId);
    assert.equal(encodeId(decoded.invitee), key);
    // The invitee is a member now (the list reloads).
    await page.getByTestId('identity-row').filter({ hasText: key }).waitFor({ timeout: 10_000 });
    await shot(page, 'context-invited');
  });

  test('watch the context live, call set from the console, see the event arrive', async () => {
    await page.goto(`${n.url}/admin-dashboard/events?context=${contextId}`);
    await page.locator(`[data-testid=sse-subscription][data-context-id="${contextId}"][data-confirmed=true]`).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('sse-status').getAttribute('data-status'), 'open');

    await nav(page, 'console');
    // The context list loads first (the select is disabled until then).
    await page.locator(`select[data-testid=rpc-context]:enabled option[value="${contextId}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await page.getByTestId('rpc-context').selectOption(contextId);
    await page.locator('select[data-testid=rpc-executor] option').first().waitFor({ state: 'attached', timeout: 10_000 });
    await page.getByTestId('rpc-method').fill('set');
    await page.getByTestId('rpc-args').fill(JSON.stringify({ key: 'greeting', value: 'hello from the dashboard' }));
    await page.getByTestId('rpc-call').click();
    const out = page.getByTestId('rpc-output').or(page.getByTestId('rpc-error')).or(page.getByTestId('rpc-transport-error'));
    await out.waitFor({ timeout: 30_000 });
    await assertNoErrorBox(page, 'rpc-error');
    await assertNoErrorBox(page, 'rpc-transport-error');
    // The console lists the context's recent events once they arrive.
    await page.locator(`[data-testid=event-row][data-context-id="${contextId}"]`).first().waitFor({ timeout: 15_000 });
    const consoleShot = await shot(page, 'console');
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(consoleShot, resolve('docs/dashboard.png'));

    await page.getByTestId('rpc-method').fill('get');
    await page.getByTestId('rpc-args').fill(JSON.stringify({ key: 'greeting' }));
    await page.getByTestId('rpc-call').click();
    await page.getByTestId('rpc-output').filter({ hasText: 'hello from the dashboard' }).waitFor({ timeout: 30_000 });

    await nav(page, 'events');
    const event = page.locator(`[data-testid=event-row][data-context-id="${contextId}"]`).first();
    await event.waitFor({ timeout: 15_000 });
    assert.match((await event.textContent()) ?? '', /StateMutation/);
    await shot(page, 'events');

    // Phone width: the same page, and the navigation behind the menu button; nothing wider than the screen.
    await page.setViewportSize(PHONE);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow at phone width');
    await shot(page, 'events-phone');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByTestId('nav-contexts').waitFor();
    await shot(page, 'menu-phone');
    await page.getByTestId('nav-contexts').click();
    await page.setViewportSize(LAPTOP);
  });

  test('delete the context', async () => {
    await nav(page, 'contexts');
    const row = page.locator(`[data-testid=context-row][data-context-id="${contextId}"]`);
    await row.waitFor();
    await row.getByTestId('context-delete').click();
    await row.getByTestId('context-delete-confirm').click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    const token = await page.evaluate(() => localStorage.getItem('access-token'));
    const r = await call(n.url, 'GET', '/admin-api/contexts', undefined, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    assert.ok(!r.json.data.contexts.some((c: { id: string }) => c.id === contextId), 'context still listed by the node');
    await shot(page, 'context-deleted');
    assert.deepEqual(log.filter((l) => l.startsWith('pageerror')), []);
  });

  test('an expired access token is refreshed without a new login', async () => {
    const current = await page.evaluate(() => localStorage.getItem('access-token'));
    const keys = await call(n.url, 'GET', '/admin/keys', undefined, { authorization: `Bearer ${current}` });
    assert.equal(keys.status, 200, keys.text);
    const keyId = keys.json.data[0].key_id as string;
    // A pair whose access token lives one second (mero-auth refreshes only expired access tokens).
    const pair = await n.running.node.auth!.core.tokens.issuePair(keyId, ['admin'], null, { access: 1 });
    await page.evaluate(([a, r]) => {
      localStorage.setItem('access-token', a!);
      localStorage.setItem('refresh-token', r!);
    }, [pair.accessToken, pair.refreshToken]);
    await new Promise((r) => setTimeout(r, 2100));
    await page.goto(`${n.url}/admin-dashboard/contexts`);
    await page.getByTestId('contexts-card').waitFor({ timeout: 15_000 });
    assert.ok(!page.url().includes('/auth/login'), page.url());
    const now = await page.evaluate(() => [localStorage.getItem('access-token'), localStorage.getItem('refresh-token')]);
    assert.notEqual(now[0], pair.accessToken, 'access token was refreshed');
    assert.notEqual(now[1], pair.refreshToken, 'refresh token was rotated');
  });

  test('an invalid token that cannot be refreshed sends the user back to the login page', async () => {
    await page.evaluate(() => {
      localStorage.setItem('access-token', 'not-a-token');
      localStorage.setItem('refresh-token', 'not-a-token');
    });
    await page.goto(`${n.url}/admin-dashboard/applications`);
    await page.waitForURL(/\/auth\/login\?redirect=.*applications/, { timeout: 15_000 });
  });
});

describe('proxy mode without auth', { timeout: 120_000 }, () => {
  let n: InProcNode;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;
  let page: Page;

  before(async () => {
    await built;
    n = await startInProcNode({ authMode: 'proxy' });
    browser = await launch();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await n?.stop();
  });

  test('no sign-in; server errors are shown with their status and message', async () => {
    const r = await call(n.url, 'GET', '/admin-dashboard/');
    assert.equal(r.status, 200, 'GET /admin-dashboard/ — is registerDashboard wired into the node server?');
    await page.goto(`${n.url}/admin-dashboard/`);
    await page.getByTestId('peer-id').waitFor({ timeout: 15_000 });
    assert.ok(!page.url().includes('/auth/login'));
    assert.equal(await page.getByTestId('auth-mode').textContent(), 'proxy');

    await nav(page, 'applications');
    await page.getByTestId('install-mode-path').click();
    await page.getByTestId('install-path').fill('/definitely/not/here.wasm');
    await page.getByTestId('install-submit').click();
    const err = page.getByTestId('install-error');
    await err.waitFor({ timeout: 15_000 });
    const status = await err.getByTestId('error-status').textContent();
    assert.match(status ?? '', /^HTTP [45]\d\d$/);
    assert.match((await err.getByTestId('error-message').textContent()) ?? '', /not found|no such file/i);
    await shot(page, 'proxy-install-error');

    // Install from a file upload: the bytes become a blob, the node installs from its own blob URL (read from
    // its blob store; the embedded-auth flow above does the same with a token).
    await page.getByTestId('install-mode-upload').click();
    await page.getByTestId('install-file').setInputFiles(appPath('kv-store'));
    await page.getByTestId('install-metadata').fill('{"name":"kv-store (uploaded)"}');
    await page.getByTestId('install-submit').click();
    await page.getByTestId('install-success').or(page.getByTestId('install-error')).waitFor({ timeout: 30_000 });
    await assertNoErrorBox(page, 'install-error');
    await page.getByTestId('app-row').filter({ hasText: 'kv-store (uploaded)' }).waitFor();
    await nav(page, 'blobs');
    await page.getByTestId('blob-row').first().waitFor({ timeout: 10_000 });
    await shot(page, 'proxy-blobs');

    await nav(page, 'contexts');
    await page.goto(`${n.url}/admin-dashboard/contexts/4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi`);
    const notFound = page.getByTestId('error');
    await notFound.first().waitFor({ timeout: 10_000 });
    assert.match((await notFound.first().textContent()) ?? '', /HTTP 404/);
    await page.setViewportSize(PHONE);
    await nav(page, 'node');
    await page.getByTestId('peer-id').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow at phone width');
    await shot(page, 'proxy-node-phone');
    await page.setViewportSize(LAPTOP);
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav(page, 'applications');
    await page.getByTestId('app-row').first().waitFor();
    await shot(page, 'proxy-applications-dark');
  });

  test("the context page shows the context's proposals, their actions and approvals, and context values", async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    const inst = await call(n.url, 'POST', '/admin-api/install-dev-application', { path: appPath('kv-store'), metadata: [] });
    const created = await call(n.url, 'POST', '/admin-api/contexts', { protocol: 'near', applicationId: inst.json.data.applicationId, initializationParams: [] });
    const { contextId: ctx, memberPublicKey: me } = created.json.data;
    const propose = (n2: number, actions: unknown[]) =>
      call(n.url, 'POST', `/admin-api/contexts/${ctx}/proposals/create-and-approve`, { signerId: me, proposal: { id: encodeId(new Uint8Array(32).fill(n2)), author_id: me, actions } });
    const bytes = (s: string) => [...Buffer.from(s)];
    // Runs at once (one approval needed), then two are needed: the next proposal waits with its author's approval.
    assert.equal((await propose(1, [{ scope: 'SetContextValue', params: { key: bytes('topic'), value: bytes('dashboards') } }, { scope: 'SetNumApprovals', params: { num_approvals: 2 } }])).status, 200);
    assert.equal((await propose(2, [{ scope: 'SetContextValue', params: { key: bytes('topic'), value: bytes('proposals') } }])).status, 200);
    await page.goto(`${n.url}/admin-dashboard/contexts/${ctx}`);
    const row = page.locator(`[data-testid=proposal-row][data-proposal-id="${encodeId(new Uint8Array(32).fill(2))}"]`);
    await row.waitFor({ timeout: 15_000 });
    assert.equal((await row.getByTestId('proposal-approvals').textContent())?.trim(), '1 approval');
    assert.equal(await row.getByTestId('proposal-action').textContent(), 'SetContextValue "topic" = "proposals"');
    assert.match((await page.getByTestId('context-values').textContent()) ?? '', /topic\s*dashboards/);
    assert.match((await page.getByTestId('proposals-limit').textContent()) ?? '', /10 active proposals/);
    await shot(page, 'context-proposals');
  });
});

describe('proxy mode behind a standalone mero-auth', { timeout: 120_000 }, () => {
  let n: InProcNode;
  let auth: ChildProcess | undefined;
  let authDir: string;
  let browser: Awaited<ReturnType<typeof launch>> | undefined;

  before(async () => {
    await built;
    authDir = mkdtempSync(join(tmpdir(), 'dashboard-mero-auth-'));
    const port = await freePort();
    const authUrl = `http://127.0.0.1:${port}`;
    writeFileSync(join(authDir, 'auth.toml'), `listen_addr = "127.0.0.1:${port}"\n[storage]\ntype = "memory"\n`);
    auth = track(spawn(process.execPath, ['bin/mero-auth.js', '--config', join(authDir, 'auth.toml')], { stdio: 'ignore' }));
    for (let i = 0; i < 200; i++) {
      if (await fetch(`${authUrl}/auth/health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    n = await startInProcNode({ authUrl });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await n?.stop();
    auth?.kill('SIGTERM');
    rmSync(authDir, { recursive: true, force: true });
  });

  test('signs in through the forwarded login page, like embedded mode', async () => {
    const page = browser!.page;
    await page.goto(`${n.url}/admin-dashboard/keys`);
    await page.waitForURL(/\/auth\/login\?redirect=/, { timeout: 15_000 });
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('#login');
    await page.waitForURL(/\/admin-dashboard\/keys$/, { timeout: 15_000 });
    await page.getByTestId('root-key-row').first().waitFor({ timeout: 15_000 });
    await nav(page, 'node');
    await page.getByTestId('peer-id').waitFor({ timeout: 15_000 });
    assert.equal(await page.getByTestId('auth-mode').textContent(), 'proxy');
    await shot(page, 'proxy-auth-node');
  });
});
