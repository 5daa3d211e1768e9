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
export class RecordLimit {
  /** The exact count at the last recount (null: none yet)… */
  private counted: number | null = null;
  /** …and how many creations had completed when that count began. */
  private completedAtCount = 0;
  private completed = 0;
  private inFlight = 0;

  constructor(
    private readonly countExactly: () => Promise<number>,
    private readonly max: number,
    private readonly what: string,
    private readonly key: string,
  ) {}

  /**
   * The upper bound: the last count plus every creation completed since that count began. A creation that completed
   * while the count ran is added even if the count saw it (an over-estimate), never missed; so a recount that ends
   * after a creation cannot take the bound below it.
   */
  private bound(): number {
    return this.counted! + (this.completed - this.completedAtCount);
  }

  async run<T>(create: () => Promise<T>): Promise<T> {
    if (this.counted === null || this.bound() + this.inFlight >= this.max) {
      const since = this.completed;
      const n = await this.countExactly();
      this.counted = n;
      this.completedAtCount = since;
    }
    if (this.bound() + this.inFlight >= this.max) {
      throw jsonError(429, `${this.what} limit reached: this node keeps at most ${this.max} (config [server.limits] ${this.key})`);
    }
    this.inFlight++;
    try {
      const out = await create();
      this.completed++;
      return out;
    } finally {
      this.inFlight--;
    }
  }
}

export interface RecordLimits {
  /** Application installs under `max_applications`. */
  applications: RecordLimit;
  /** Context creations under `max_contexts`. */
  contexts: RecordLimit;
}

async function countColumn(node: Pick<Node, 'store'>, col: 'application' | 'meta'): Promise<number> {
  let n = 0;
  for await (const _ of node.store.iterate(col)) n++;
  return n;
}

/** The limits of one server (built once in `buildServer`). */
export function recordLimits(node: Pick<Node, 'store' | 'config'>): RecordLimits {
  const cfg = node.config.server.limits;
  return {
    applications: new RecordLimit(
      () => countColumn(node, 'application'),
      cfg?.max_applications ?? DEFAULT_MAX_APPLICATIONS,
      'application',
      'max_applications',
    ),
    contexts: new RecordLimit(() => countColumn(node, 'meta'), cfg?.max_contexts ?? DEFAULT_MAX_CONTEXTS, 'context', 'max_contexts'),
  };
}
