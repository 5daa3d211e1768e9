import type { Node } from '../../node/node.ts';
import { jsonError } from '../errors.ts';

export const DEFAULT_MAX_APPLICATIONS = 10_000;
export const DEFAULT_MAX_CONTEXTS = 100_000;

/**
 * A cap on how many records of one kind the node keeps (`[server.limits] max_applications`, `max_contexts`;
 * ours, issue #7). Creations past the cap are refused with 429 `{"error":"… limit …"}` before any work.
 *
 * Counting every record on every request would cost O(records), so the limiter keeps an upper bound: the exact
 * count at the last recount plus the creations since (deletions are not tracked, so it only over-estimates).
 * When the bound reaches the cap it recounts exactly before refusing. Creations in flight hold a reservation,
 * so concurrent requests cannot overshoot the cap.
 */
class RecordLimit {
  private bound: number | null = null;
  private inFlight = 0;

  constructor(
    private readonly countExactly: () => Promise<number>,
    private readonly max: number,
    private readonly what: string,
    private readonly key: string,
  ) {}

  async run<T>(create: () => Promise<T>): Promise<T> {
    if (this.bound === null || this.bound + this.inFlight >= this.max) this.bound = await this.countExactly();
    if (this.bound + this.inFlight >= this.max) {
      throw jsonError(429, `${this.what} limit reached: this node keeps at most ${this.max} (config [server.limits] ${this.key})`);
    }
    this.inFlight++;
    try {
      const out = await create();
      this.bound++;
      return out;
    } finally {
      this.inFlight--;
    }
  }
}

interface NodeLimits {
  applications: RecordLimit;
  contexts: RecordLimit;
}

const perNode = new WeakMap<Node, NodeLimits>();

async function countColumn(node: Node, col: 'application' | 'meta'): Promise<number> {
  let n = 0;
  for await (const _ of node.store.iterate(col)) n++;
  return n;
}

function limitsOf(node: Node): NodeLimits {
  let l = perNode.get(node);
  if (!l) {
    const cfg = node.config.server.limits;
    l = {
      applications: new RecordLimit(
        () => countColumn(node, 'application'),
        cfg?.max_applications ?? DEFAULT_MAX_APPLICATIONS,
        'application',
        'max_applications',
      ),
      contexts: new RecordLimit(() => countColumn(node, 'meta'), cfg?.max_contexts ?? DEFAULT_MAX_CONTEXTS, 'context', 'max_contexts'),
    };
    perNode.set(node, l);
  }
  return l;
}

/** Runs an application install under `max_applications`. */
export function withApplicationLimit<T>(node: Node, install: () => Promise<T>): Promise<T> {
  return limitsOf(node).applications.run(install);
}

/** Runs a context creation under `max_contexts`. */
export function withContextLimit<T>(node: Node, create: () => Promise<T>): Promise<T> {
  return limitsOf(node).contexts.run(create);
}
