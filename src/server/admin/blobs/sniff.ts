/** Content type from the first bytes (like upstream's use of `infer`); octet-stream when unknown. */
const SIGNATURES: Array<[number[], string]> = [
  [[0x00, 0x61, 0x73, 0x6d], 'application/wasm'],
  [[0x89, 0x50, 0x4e, 0x47], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46], 'application/pdf'],
  [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
  [[0x1f, 0x8b], 'application/gzip'],
  [[0x52, 0x49, 0x46, 0x46], 'image/webp'],
];

export function sniffMime(head: Uint8Array): string {
  for (const [sig, mime] of SIGNATURES) {
    if (sig.every((b, i) => head[i] === b)) return mime;
  }
  return 'application/octet-stream';
}
