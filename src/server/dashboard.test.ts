import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { OWN_DASHBOARD_CSP, dashboardCsp, registerDashboard } from './dashboard.ts';

const OURS = '<!doctype html><html><head><meta name="generator" content="merod-ts admin-dashboard" /></head><body></body></html>';
const THEIRS = '<!doctype html><html><head><script>(function(){})()</script></head><body><div id="root"></div></body></html>';

test('dashboardCsp: strict for our build, none for another dashboard, the configured one otherwise', () => {
  assert.equal(dashboardCsp(OURS), OWN_DASHBOARD_CSP);
  assert.equal(dashboardCsp(THEIRS), undefined);
  assert.equal(dashboardCsp(THEIRS, "default-src 'self' 'unsafe-inline'"), "default-src 'self' 'unsafe-inline'");
  assert.equal(dashboardCsp(OURS, ''), undefined);
  assert.equal(dashboardCsp(OURS, '   '), undefined);
});

test('index.html of a user-supplied dashboard is sent without a policy unless one is configured', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-csp-'));
  writeFileSync(join(dir, 'index.html'), THEIRS);
  const plain = Fastify();
  const configured = Fastify();
  try {
    await registerDashboard(plain, { dir });
    let r = await plain.inject({ method: 'GET', url: '/admin-dashboard/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, THEIRS);
    assert.equal(r.headers['content-security-policy'], undefined);
    r = await plain.inject({ method: 'GET', url: '/admin-dashboard/contexts/abc' });
    assert.equal(r.headers['content-security-policy'], undefined);

    await registerDashboard(configured, { dir, csp: "default-src 'self'" });
    r = await configured.inject({ method: 'GET', url: '/admin-dashboard/' });
    assert.equal(r.headers['content-security-policy'], "default-src 'self'");
  } finally {
    await plain.close();
    await configured.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
