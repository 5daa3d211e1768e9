import { parseSse, type SseMessage } from '../../src/client/sse-parser.ts';

export type { SseMessage };

/** An SSE stream opened with fetch, collecting its messages (Node 20 has no EventSource). */
export interface SseStream {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  /** Resolves when at least `n` data messages have arrived (comments excluded). */
  waitFor(n: number, ms?: number): Promise<SseMessage[]>;
  close(): void;
  done: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  const messages: SseMessage[] = [];
  const done = (async () => {
    if (!res.body) return;
    try {
      for await (const m of parseSse(res.body)) messages.push(m);
    } catch {
      /* aborted */
    }
  })();
  const dataMessages = () => messages.filter((m) => !m.comment);
  return {
    status: res.status,
    headers: res.headers,
    messages,
    async waitFor(n, ms = 5000) {
      const end = Date.now() + ms;
      while (dataMessages().length < n) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${n} SSE messages (have ${dataMessages().length})`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return dataMessages();
    },
    close: () => ac.abort(),
    done,
  };
}
