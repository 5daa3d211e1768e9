import assert from 'node:assert/strict';
import { api } from './http.ts';
import type { TestNode } from './node.ts';

/** Polls `fn` until it returns something truthy (returned), or throws after `ms` with the last error seen. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, ms = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out: ${what}${last ? ` (${(last as Error).message})` : ''}`);
}

/**
 * A JSON-RPC caller for one context shared by several test nodes: each node calls as its member
 * (`members[node.node]`); asserts a 200 without error and returns the output.
 */
export function contextRpc(context: () => string, members: Record<string, string>) {
  return async (n: TestNode, method: string, args: unknown, mode = 'execute') => {
    const r = await api(n.url).post('/jsonrpc', {
      jsonrpc: '2.0',
      id: 1,
      method: mode,
      params: { contextId: context(), method, argsJson: args, executorPublicKey: members[n.node] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.error, undefined, r.text);
    return r.json.result.output;
  };
}
