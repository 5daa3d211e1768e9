/** Polls `fn` until it returns something truthy (errors count as "not yet"); fails after `ms` naming `what`. */
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
