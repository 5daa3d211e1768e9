/**
 * Node server basics against a real `merod run` child: public admin routes, /metrics, 404/405, CORS, HEAD.
 */
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, type TestNode } from './helpers/node.ts';
import { api, type Api } from './helpers/http.ts';

describe('node server basics (proxy mode)', () => {
  let node: TestNode;
  let http: Api;
  before(async () => {
    node = await startNode({ node: 'basics' });
    http = api(node.url);
  });

  test('GET /admin-api/health answers {"data":{"status":"alive"}}', async () => {
    const r = await http.get('/admin-api/health');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.json, { data: { status: 'alive' } });
  });

  test('GET /admin-api/is-authed answers 200 {"data":{"status":"alive"}}', async () => {
    const r = await http.get('/admin-api/is-authed');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { data: { status: 'alive' } });
  });

  test('GET /admin-api/certificate serves the init-time certificate as PEM', async () => {
    const r = await http.get('/admin-api/certificate');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="cert.pem"');
    assert.match(r.text, /^-----BEGIN CERTIFICATE-----\r?\n/);
    assert.equal(r.text, readFileSync(join(node.dir, 'tls', 'cert.pem'), 'utf8'));

    const cert = new X509Certificate(r.text);
    assert.match(cert.subject, /CN=calimero-node/);
    assert.ok(cert.checkIP('127.0.0.1'), `certificate should cover 127.0.0.1 (SAN: ${cert.subjectAltName})`);
    assert.ok(cert.checkHost('localhost'), `certificate should cover localhost (SAN: ${cert.subjectAltName})`);
    assert.ok(new Date(cert.validFrom).getTime() <= Date.now(), 'certificate is already valid');
    assert.ok(new Date(cert.validTo).getTime() > Date.now() + 365 * 24 * 3600 * 1000, 'certificate valid for > 1 year');
    // Self-signed.
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey), 'self-signed certificate verifies with its own key');
  });

  test('GET /metrics is Prometheus text and counts requests', async () => {
    await http.get('/admin-api/health');
    const r = await http.get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(r.text, /^# HELP merod_http_requests_total /m);
    assert.match(r.text, /^# TYPE merod_http_requests_total counter$/m);
    assert.match(r.text, /^merod_http_requests_total\{[^}]*route="\/admin-api\/health"[^}]*status="200"[^}]*\} [1-9]\d*$/m);
    assert.match(r.text, /^# TYPE merod_http_request_duration_seconds histogram$/m);
    // Default process metrics are exported under our prefix.
    assert.match(r.text, /^merod_process_cpu_user_seconds_total \d/m);
    // Every non-comment line is `name{labels} value`.
    for (const line of r.text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+]?(\d|NaN|Inf)/, `bad exposition line: ${line}`);
    }
  });

  test('unknown route answers 404 with an empty body', async () => {
    for (const path of ['/nope', '/admin-api/nope', '/admin-api/health/extra', '/admin-api/health/']) {
      const r = await http.get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.text, '', path);
    }
    const r = await http.post('/nope', { a: 1 });
    assert.equal(r.status, 404);
    assert.equal(r.text, '');
  });

  test('wrong method on a known path answers 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await http.request(method, '/admin-api/health');
      assert.equal(r.status, 405, method);
      const allow = (r.headers.get('allow') ?? '').split(',').map((s) => s.trim());
      assert.ok(allow.includes('GET'), `Allow should list GET, got ${r.headers.get('allow')}`);
      assert.ok(!allow.includes(method), `Allow should not list ${method}`);
      assert.equal(r.text, '');
    }
    const r = await http.post('/admin-api/certificate');
    assert.equal(r.status, 405);
    assert.match(r.headers.get('allow') ?? '', /GET/);
  });

  test('CORS preflight allows any origin and private-network access', async () => {
    const r = await http.options('/admin-api/health', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
      'access-control-request-private-network': 'true',
    });
    assert.ok(r.status === 200 || r.status === 204, `preflight status ${r.status}`);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('access-control-allow-private-network'), 'true');
    const methods = (r.headers.get('access-control-allow-methods') ?? '').split(',').map((s) => s.trim());
    for (const m of ['GET', 'POST', 'PUT', 'DELETE']) assert.ok(methods.includes(m), `allow-methods lacks ${m}`);
    const allowHeaders = r.headers.get('access-control-allow-headers') ?? '';
    assert.ok(allowHeaders === '*' || /authorization/i.test(allowHeaders), `allow-headers: ${allowHeaders}`);

    // Preflight of a route that only exists under another method (PUT /admin-api/blobs) must not 404/405.
    const p = await http.options('/admin-api/blobs', {
      origin: 'http://localhost:5173',
      'access-control-request-method': 'PUT',
    });
    assert.ok(p.status === 200 || p.status === 204, `preflight status ${p.status}`);
    assert.equal(p.headers.get('access-control-allow-origin'), '*');
  });

  test('simple cross-origin GET carries access-control-allow-origin: *', async () => {
    const r = await http.get('/admin-api/health', { origin: 'https://app.example.com' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  });

  test('HEAD is answered on GET routes, with the GET headers and no body', async () => {
    for (const path of ['/admin-api/health', '/admin-api/is-authed', '/admin-api/certificate', '/metrics']) {
      const get = await http.get(path);
      const head = await http.head(path);
      assert.equal(head.status, 200, path);
      assert.equal(head.text, '', path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
    }
    const h = await http.head('/admin-api/health');
    assert.equal(h.headers.get('content-length'), String(Buffer.byteLength('{"data":{"status":"alive"}}')));
    const missing = await http.head('/nope');
    assert.equal(missing.status, 404);
  });

  test('keeps answering after a burst of concurrent requests', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => http.get('/admin-api/health')));
    assert.ok(results.every((r) => r.status === 200));
  });
});

describe('node server basics (embedded auth mode)', () => {
  let node: TestNode;
  let http: Api;
  before(async () => {
    node = await startNode({ node: 'embedded', initArgs: ['--auth-mode', 'embedded', '--auth-storage', 'memory'] });
    http = api(node.url);
  });

  test('public routes stay open without a token', async () => {
    const health = await http.get('/admin-api/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { data: { status: 'alive' } });
    const cert = await http.get('/admin-api/certificate');
    assert.equal(cert.status, 200);
    assert.doesNotThrow(() => new X509Certificate(cert.text));
    const metrics = await http.get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /merod_http_requests_total/);
  });

  test('protected routes answer 401 with an empty body without a token', async () => {
    for (const [method, path] of [['GET', '/admin-api/blobs'], ['PUT', '/admin-api/blobs'], ['GET', '/admin-api/applications']]) {
      const r = await http.request(method!, path!, method === 'PUT' ? 'bytes' : undefined);
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(r.text, '', `${method} ${path}`);
    }
    const bad = await http.get('/admin-api/blobs', { authorization: 'Bearer not-a-jwt' });
    assert.equal(bad.status, 401);
  });

  test('is-authed tells a client without a valid token that auth is required (issue #17)', async () => {
    const none = await http.get('/admin-api/is-authed');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('x-auth-error'), 'missing_token');
    assert.deepEqual(none.json, { data: null, error: 'No token provided' });
    const bad = await http.get('/admin-api/is-authed', { authorization: 'Bearer not-a-jwt' });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('x-auth-error'), 'invalid_token');
    assert.equal(bad.json.data, null);
    assert.match(bad.json.error, /^Invalid token/);
  });

  test('the start banner reports embedded auth mode', () => {
    assert.match(node.output(), /auth mode\s+embedded/);
  });

  test('preflight is answered without a token', async () => {
    const r = await http.options('/jsonrpc', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    assert.ok(r.status === 200 || r.status === 204, `preflight status ${r.status}`);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  });
});
