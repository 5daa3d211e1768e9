import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locationOf, parseProfiles, profilesPath, renderProfiles, urlFromNodeConfig, validNodeName } from './profiles.ts';

test('profiles live under the user config dir as upstream (XDG on Linux, Application Support, APPDATA)', () => {
  assert.equal(profilesPath({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u'), '/x/calimero/meroctl/nodes.toml');
  assert.equal(profilesPath({}, 'linux', '/home/u'), '/home/u/.config/calimero/meroctl/nodes.toml');
  assert.equal(profilesPath({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/calimero/meroctl/nodes.toml');
});

test('TOML round trip: active node, remote and local nodes, tokens', () => {
  const p = {
    active_node: 'a',
    nodes: {
      a: { url: 'http://127.0.0.1:2528', jwt_tokens: { access_token: 'x', refresh_token: 'y' } },
      b: { path: '/home/u/.calimero/node1' },
    },
  };
  const text = renderProfiles(p);
  assert.match(text, /^active_node = "a"$/m);
  assert.match(text, /^\[nodes\.a\]$/m);
  assert.deepEqual(parseProfiles(text), p);
  assert.deepEqual(parseProfiles(''), { nodes: {} });
  assert.deepEqual(parseProfiles('[nodes.c]\nweird = 1\n'), { nodes: {} });
  assert.throws(() => parseProfiles('nodes = ['));
});

test('locations: http(s) URLs are remote, the rest are local node directories', () => {
  assert.deepEqual(locationOf('https://node.example'), { url: 'https://node.example' });
  assert.deepEqual(locationOf('./my-node'), { path: './my-node' });
  assert.deepEqual(locationOf('ftp://x'), { path: 'ftp://x' });
});

test("a local node's URL comes from its [server] listen", () => {
  assert.equal(urlFromNodeConfig('[swarm]\nlisten = ["/ip4/0.0.0.0/tcp/2428"]\n[server]\nlisten = ["/ip4/0.0.0.0/tcp/2528"]\n'), 'http://127.0.0.1:2528');
  assert.equal(urlFromNodeConfig('[server]\nlisten = ["/ip6/::/tcp/9"]\n'), 'http://[::1]:9');
  assert.equal(urlFromNodeConfig('[server]\nlisten = []\n'), null);
  assert.ok(validNodeName('node-1_a'));
  assert.ok(!validNodeName('a b'));
});
