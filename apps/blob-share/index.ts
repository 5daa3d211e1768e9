// blob-share: files kept as blobs and shared with the context's members (tests of src/node/sync/app-blobs.ts).
//
// `put {name, data}` stores `data` (a UTF-8 string) as a blob, announces it to the context and records
// name -> blob id (hex) in the map "files", so every member learns the id through the context's state. `get {name}`
// and `read {id}` open the blob by id (a member that lacks it fetches it from the others) and return its text;
// `id {name}` returns the recorded id.
import { args, argString, contextId, log, quote, returnJson, returnString, state, strOf, utf8, UnorderedMap } from "../sdk/index";
import { blobAnnounce, blobCreate, blobRead } from "../sdk/blobs";

const files = new UnorderedMap("files");

const HEX = "0123456789abcdef";

function toHex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX.charAt(b[i] >> 4) + HEX.charAt(b[i] & 15);
  return s;
}

function fromHex(s: string): Uint8Array {
  if (s.length != 64) abort("a blob id is 64 hex digits");
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    const hi = HEX.indexOf(s.charAt(2 * i));
    const lo = HEX.indexOf(s.charAt(2 * i + 1));
    if (hi < 0 || lo < 0) abort("a blob id is 64 hex digits");
    out[i] = <u8>((hi << 4) | lo);
  }
  return out;
}

export function init(): void {
  if (state.exists()) abort("Cannot initialize over already existing state.");
  state.commit();
}

export function put(): void {
  state.requireExists();
  const a = args();
  const name = argString(a, "name");
  const id = blobCreate(utf8(argString(a, "data")));
  if (!blobAnnounce(id, contextId())) abort("blob_announce_to_context failed");
  const hex = toHex(id);
  log("stored " + quote(name) + " as blob " + hex);
  files.set(name, hex);
  returnString(hex);
  state.commit();
}

export function id(): void {
  state.requireExists();
  const hex = files.get(argString(args(), "name"));
  returnJson(hex === null ? "null" : quote(hex!));
}

export function get(): void {
  state.requireExists();
  const hex = files.get(argString(args(), "name"));
  returnJson(hex === null ? "null" : quote(strOf(blobRead(fromHex(hex!)))));
}

export function read(): void {
  returnString(strOf(blobRead(fromHex(argString(args(), "id")))));
}
