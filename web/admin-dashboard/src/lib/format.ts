/** Display helpers. */

export function shortId(id: string, keep = 6): string {
  return id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-keep)}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Unix time in seconds or milliseconds → local date-time text. */
export function formatTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  const ms = t < 1e12 ? t * 1000 : t;
  return new Date(ms).toLocaleString();
}

export type Decoded = { kind: 'empty' } | { kind: 'json'; value: unknown; text: string } | { kind: 'text'; text: string } | { kind: 'binary'; hex: string };

/** Bytes as JSON number arrays (metadata, event data): JSON if they parse, UTF-8 text if they decode, else hex. */
export function decodeBytes(bytes: number[] | Uint8Array): Decoded {
  if (bytes.length === 0) return { kind: 'empty' };
  const u8 = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(u8);
  } catch {
    return { kind: 'binary', hex: [...u8].map((b) => b.toString(16).padStart(2, '0')).join('') };
  }
  try {
    const value: unknown = JSON.parse(text);
    return { kind: 'json', value, text: JSON.stringify(value, null, 2) };
  } catch {
    return { kind: 'text', text };
  }
}

export function decodedText(d: Decoded): string {
  switch (d.kind) {
    case 'empty':
      return '(empty)';
    case 'json':
      return d.text;
    case 'text':
      return d.text;
    case 'binary':
      return `0x${d.hex}`;
  }
}

/** Text typed by the user → the byte array the wire wants (UTF-8). */
export function textToBytes(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
