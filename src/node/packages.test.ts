import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNewerVersion, latestVersion, parseSemver } from './packages.ts';

test('strict semver parsing', () => {
  assert.ok(parseSemver('1.2.3'));
  assert.ok(parseSemver('1.2.3-rc.1+build.5'));
  for (const bad of ['1.2', 'v1.2.3', '01.2.3', '1.2.3-01', '1.2.3-', '1.2.3 ', 'unknown']) assert.equal(parseSemver(bad), null, bad);
});

test('semver precedence, semver over non-semver, strings among non-semver', () => {
  assert.ok(isNewerVersion('1.10.0', '1.9.9'));
  assert.ok(isNewerVersion('2.0.0', '2.0.0-rc.1'));
  assert.ok(isNewerVersion('2.0.0-rc.10', '2.0.0-rc.9'));
  assert.ok(isNewerVersion('2.0.0-beta', '2.0.0-1'));
  assert.ok(isNewerVersion('1.0.0-alpha.1', '1.0.0-alpha'));
  assert.ok(isNewerVersion('1.0.0+b', '1.0.0'));
  assert.ok(isNewerVersion('0.0.1', 'zzz'));
  assert.ok(!isNewerVersion('zzz', '0.0.1'));
  assert.ok(isNewerVersion('beta', 'alpha'));
  assert.ok(!isNewerVersion('1.0.0', '1.0.0'));
});

test('latest: highest wins, the first of equals is kept, none is null', () => {
  assert.equal(latestVersion([]), null);
  const e = [{ version: '1.0.0', id: 1 }, { version: '1.2.0', id: 2 }, { version: 'dev', id: 3 }, { version: '1.2.0', id: 4 }];
  assert.equal(latestVersion(e)?.id, 2);
});
