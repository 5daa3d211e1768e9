import type { NodeEvent } from '../../node/events.ts';

/**
 * JSON text of node events, shared by the WebSocket and SSE transports.
 *
 * The hub hands the same event object to every listener, so each event is serialised once per transport
 * (not once per subscriber) and the text is cached on the object (WeakMap: dropped with the event). The
 * text is written field by field in upstream's order (serde `NodeEvent`, docs/events.md, WebSocket), whatever order
 * the publisher built its object in: `{"contextId","type","data":{"newRoot","events":[{"kind","data","handler"}]}}`.
 */
const eventJson = new WeakMap<NodeEvent, string>();
const wsFrames = new WeakMap<NodeEvent, Buffer>();
const sseData = new WeakMap<NodeEvent, string>();

const str = (s: string) => JSON.stringify(s);

export function nodeEventJson(e: NodeEvent): string {
  let json = eventJson.get(e);
  if (json === undefined) {
    const events = e.data.events as NodeEvent['data']['events'] | null | undefined;
    const list =
      events == null
        ? 'null'
        : '[' +
          events
            .map(
              (x) =>
                `{"kind":${str(x.kind)},"data":${JSON.stringify(Array.from(x.data as ArrayLike<number>))},"handler":${
                  x.handler == null ? 'null' : str(x.handler)
                }}`,
            )
            .join(',') +
          ']';
    json = `{"contextId":${str(e.contextId)},"type":${str(e.type)},"data":{"newRoot":${str(e.data.newRoot)},"events":${list}}}`;
    eventJson.set(e, json);
  }
  return json;
}

/**
 * The WebSocket push frame's text, `{"id":null,"result":<event>}` (docs/events.md, WebSocket), as UTF-8 bytes
 * (encoded once, not once per subscriber; sent as a text frame).
 */
export function wsEventFrame(e: NodeEvent): Buffer {
  let frame = wsFrames.get(e);
  if (frame === undefined) wsFrames.set(e, (frame = Buffer.from(`{"id":null,"result":${nodeEventJson(e)}}`)));
  return frame;
}

/** The SSE `data:` payload of an event: `{"result":<event>}` (no `id` key, docs/events.md, SSE). */
export function sseEventData(e: NodeEvent): string {
  let data = sseData.get(e);
  if (data === undefined) sseData.set(e, (data = `{"result":${nodeEventJson(e)}}`));
  return data;
}
