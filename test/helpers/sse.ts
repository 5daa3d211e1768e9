/** A minimal `text/event-stream` reader over fetch (Node 20 has no EventSource). */
export interface SseMessage {
  event?: string;
  id?: string;
  retry?: string;
  data: string;
  comment?: boolean;
}

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
    const dec = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m: SseMessage = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.comment = true;
            const c = line.indexOf(':');
            if (c <= 0) continue;
            const k = line.slice(0, c);
            const v = line.slice(c + 1).replace(/^ /, '');
            if (k === 'data') data.push(v);
            else if (k === 'event' || k === 'id' || k === 'retry') m[k] = v;
          }
          m.data = data.join('\n');
          messages.push(m);
        }
      }
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
