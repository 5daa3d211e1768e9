/** One message of a `text/event-stream` (a comment line such as the keep-alive `:` has `comment` set). */
export interface SseMessage {
  event?: string;
  id?: string;
  retry?: string;
  data: string;
  comment?: boolean;
}

/** The chunks of a stream: a ReadableStream through its reader (browsers lack async iteration), or an iterable. */
async function* chunks(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (typeof (body as ReadableStream<Uint8Array>).getReader !== 'function') {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Stopped early (the consumer broke out, or a read failed): release the connection.
    if (!finished) void reader.cancel().catch(() => undefined);
  }
}

/**
 * Parses a `text/event-stream` body (fetch streaming; works in Node 20 and browsers). Lines end with LF, CRLF
 * or CR, also when a CRLF or a UTF-8 sequence is split between chunks; an unfinished message at the end of
 * the stream is dropped (as EventSource does). Every block is yielded, also comment-only ones (`comment`).
 */
export async function* parseSse(body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const dec = new TextDecoder();
  let buf = '';
  // A CR at the end of a chunk may be the first half of a CRLF: it is held back until the next chunk.
  let heldCr = false;
  const add = (text: string): void => {
    let t = (heldCr ? '\r' : '') + text;
    heldCr = t.endsWith('\r');
    if (heldCr) t = t.slice(0, -1);
    buf += t.replace(/\r\n?/g, '\n');
  };
  function* blocks(): Generator<SseMessage> {
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      yield parseBlock(block);
    }
  }
  for await (const chunk of chunks(body)) {
    add(dec.decode(chunk, { stream: true }));
    yield* blocks();
  }
  add(dec.decode());
  if (heldCr) {
    heldCr = false;
    buf += '\n';
  }
  yield* blocks();
}

function parseBlock(block: string): SseMessage {
  const m: SseMessage = { data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      m.comment = true;
      continue;
    }
    const c = line.indexOf(':');
    const k = c < 0 ? line : line.slice(0, c);
    const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
    if (k === 'data') data.push(v);
    else if (k === 'event' || k === 'id' || k === 'retry') m[k] = v;
  }
  m.data = data.join('\n');
  return m;
}
