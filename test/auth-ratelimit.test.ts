import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LOGIN_LIMITS, FairPool, LoginLimiter, PoolBusyError, clientAddress, normalizeAddress } from '../src/auth/ratelimit.ts';
import { parseAuthConfig } from '../src/auth/config.ts';

// Unit tests of the login throttling building blocks (src/auth/ratelimit.ts); the HTTP behaviour is covered
// by test/security-login.test.ts.

const limits = (o: Partial<typeof DEFAULT_LOGIN_LIMITS> = {}) => ({ ...DEFAULT_LOGIN_LIMITS, ...o });

function fail(l: LoginLimiter, addr: string, user: string): boolean {
  const a = l.admit(addr, user);
  if (a.ok) l.failure(a.ticket);
  return a.ok;
}

describe('LoginLimiter', () => {
  test('per-address failure budget, with Retry-After within the window', () => {
    const l = new LoginLimiter(limits({ maxFailuresPerAddress: 3, windowSecs: 60 }));
    assert.ok(fail(l, 'a', 'x'));
    assert.ok(fail(l, 'a', 'y'));
    assert.ok(fail(l, 'a', 'z'));
    const denied = l.admit('a', 'w');
    assert.equal(denied.ok, false);
    if (!denied.ok) {
      assert.ok(denied.retryAfter >= 1 && denied.retryAfter <= 60);
      assert.equal(denied.firstInWindow, true);
    }
    const again = l.admit('a', 'w');
    assert.ok(!again.ok && !again.firstInWindow, 'one log line per address and window');
    assert.ok(l.admit('b', 'x').ok, 'another address is not affected');
  });

  test('admission reserves a slot: concurrent attempts cannot all slip in', () => {
    const l = new LoginLimiter(limits({ maxFailuresPerAddress: 5 }));
    const admitted = Array.from({ length: 50 }, () => l.admit('a', 'u')).filter((a) => a.ok);
    assert.equal(admitted.length, 5);
  });

  test('successes refund their slot and reset the address+username pair', () => {
    const l = new LoginLimiter(limits({ maxFailuresPerAddress: 3, maxFailuresPerUsername: 0 }));
    for (let i = 0; i < 100; i++) {
      const a = l.admit('a', 'u');
      assert.ok(a.ok, `login ${i}`);
      l.success(a.ticket);
    }
    assert.ok(fail(l, 'a', 'u'));
    assert.ok(fail(l, 'a', 'u'));
    const ok = l.admit('a', 'u');
    assert.ok(ok.ok);
    l.success(ok.ticket);
    assert.ok(fail(l, 'a', 'u'), 'the two earlier failures still count, the success did not');
    assert.equal(l.admit('a', 'u').ok, false);
  });

  test('a username under attack blocks the attacking addresses, not a fresh one', () => {
    const l = new LoginLimiter(limits({ maxFailuresPerAddress: 100, maxFailuresPerUsername: 10, maxFailuresPerAddressAndUsername: 2 }));
    for (let i = 0; i < 10; i++) assert.ok(fail(l, 'attacker', 'admin'));
    assert.equal(l.admit('attacker', 'admin').ok, false, 'the attacker is blocked for admin');
    assert.ok(fail(l, 'attacker', 'someone-else'), 'only for that username');
    // A fresh address keeps a few attempts at the attacked username …
    assert.ok(fail(l, 'admin-laptop', 'admin'));
    const right = l.admit('admin-laptop', 'admin');
    assert.ok(right.ok);
    l.success(right.ticket);
    // … and a success clears its own pair.
    assert.ok(fail(l, 'admin-laptop', 'admin'));
    assert.ok(fail(l, 'admin-laptop', 'admin'));
    assert.equal(l.admit('admin-laptop', 'admin').ok, false);
    // With a pair budget of 0 the username locks for everyone (classic lock-out).
    const strict = new LoginLimiter(limits({ maxFailuresPerUsername: 2, maxFailuresPerAddressAndUsername: 0 }));
    assert.ok(fail(strict, 'x', 'u'));
    assert.ok(fail(strict, 'y', 'u'));
    const d = strict.admit('z', 'u');
    assert.ok(!d.ok && d.retryAfter >= 1);
  });

  test('attempt budget counts successes; cancel refunds everything', () => {
    const l = new LoginLimiter(limits({ maxAttemptsPerAddress: 3 }));
    for (let i = 0; i < 3; i++) {
      const a = l.admit('a', 'u');
      assert.ok(a.ok);
      l.success(a.ticket);
    }
    assert.equal(l.admit('a', 'u').ok, false);
    const m = new LoginLimiter(limits({ maxFailuresPerAddress: 1 }));
    const a = m.admit('a', 'u');
    assert.ok(a.ok);
    m.cancel(a.ticket);
    assert.ok(m.admit('a', 'u').ok);
  });

  test('window expiry', async () => {
    const l = new LoginLimiter(limits({ maxFailuresPerAddress: 1, windowSecs: 1 }));
    assert.ok(fail(l, 'a', 'u'));
    assert.equal(l.admit('a', 'u').ok, false);
    await new Promise((r) => setTimeout(r, 1050));
    assert.ok(l.admit('a', 'u').ok);
  });

  test('tracked keys stay bounded', () => {
    const l = new LoginLimiter(limits({ maxTrackedKeys: 100 }));
    for (let i = 0; i < 1000; i++) fail(l, `10.0.${i >> 8}.${i & 255}`, `user${i}`);
    const t = l.tracked();
    assert.ok(t.addresses <= 100 && t.usernames <= 100 && t.pairs <= 100, JSON.stringify(t));
  });

  test('disabled: everything is admitted', () => {
    const l = new LoginLimiter(limits({ enabled: false, maxFailuresPerAddress: 1 }));
    for (let i = 0; i < 10; i++) assert.ok(fail(l, 'a', 'u'));
  });
});

describe('FairPool', () => {
  test('bounds concurrency, serves groups round-robin, refuses beyond the queue bound', async () => {
    const pool = new FairPool(1, 5);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = pool.run('flood', () => gate);
    const jobs = [
      ...[1, 2, 3, 4].map((i) => pool.run('flood', async () => void order.push(`flood${i}`))),
      pool.run('admin', async () => void order.push('admin')),
    ];
    await assert.rejects(pool.run('other', async () => undefined), PoolBusyError);
    // Forced (administrative) work is queued even when the queue is full.
    jobs.push(pool.run('other', async () => void order.push('forced'), true));
    assert.deepEqual(pool.stats(), { running: 1, queued: 6 });
    release();
    await first;
    await Promise.all(jobs);
    assert.equal(order.indexOf('admin'), 1, `admin waited behind the whole flood: ${order}`);
    assert.deepEqual(pool.stats(), { running: 0, queued: 0 });
  });

  test('a failing task releases its slot', async () => {
    const pool = new FairPool(1, 10);
    await assert.rejects(pool.run('a', async () => Promise.reject(new Error('x'))));
    assert.equal(await pool.run('a', async () => 42), 42);
  });
});

describe('client addresses', () => {
  test('socket address by default; right-most X-Forwarded-For only with trust_proxy', () => {
    assert.equal(clientAddress('127.0.0.2', '1.2.3.4', false), '127.0.0.2');
    assert.equal(clientAddress('10.0.0.1', '6.6.6.6, 1.2.3.4', true), '1.2.3.4');
    assert.equal(clientAddress('10.0.0.1', undefined, true), '10.0.0.1');
    assert.equal(clientAddress('::ffff:127.0.0.3', undefined, false), '127.0.0.3');
  });
  test('IPv6 addresses are grouped by /64', () => {
    assert.equal(normalizeAddress('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(normalizeAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
    assert.equal(normalizeAddress('::1'), '0:0:0:0::/64');
    assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});

test('config: [user_password.rate_limit] and argon2 pool keys, with defaults', () => {
  const d = parseAuthConfig({});
  assert.equal(d.userPassword.argon2Concurrency, 2);
  assert.equal(d.userPassword.argon2MaxQueued, 64);
  assert.deepEqual(d.userPassword.rateLimit, {
    enabled: true,
    windowSecs: 60,
    maxFailuresPerAddress: 20,
    maxFailuresPerUsername: 20,
    maxFailuresPerAddressAndUsername: 3,
    maxAttemptsPerAddress: 1000,
    maxTrackedKeys: 10_000,
    trustProxy: false,
  });
  const c = parseAuthConfig({ user_password: { argon2_concurrency: 4, rate_limit: { max_failures_per_address: 5, trust_proxy: true } } });
  assert.equal(c.userPassword.argon2Concurrency, 4);
  assert.equal(c.userPassword.rateLimit.maxFailuresPerAddress, 5);
  assert.equal(c.userPassword.rateLimit.trustProxy, true);
  // A parsed config parses to itself (createAuthService re-parses).
  assert.deepEqual(parseAuthConfig(c), c);
  assert.throws(() => parseAuthConfig({ user_password: { rate_limit: { window_secs: 0 } } }), /window_secs/);
});
