// A small JSON reader/writer for method arguments and return values.

export enum Kind { Null, Bool, Number, String, Array, Object }

export class JSONValue {
  kind: Kind = Kind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JSONValue[] = [];
  keys: string[] = [];

  isNull(): bool { return this.kind == Kind.Null; }
  isString(): bool { return this.kind == Kind.String; }

  /** Member `key` of an object (null when absent or not an object). */
  get(key: string): JSONValue | null {
    if (this.kind != Kind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

export class JSONError {
  constructor(public message: string) {}
}

class Parser {
  pos: i32 = 0;
  error: string | null = null;
  constructor(public s: string) {}

  fail(msg: string): JSONValue {
    if (this.error === null) this.error = msg + " at position " + this.pos.toString();
    return new JSONValue();
  }
  ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c == 32 || c == 9 || c == 10 || c == 13) this.pos++;
      else break;
    }
  }
  lit(word: string): bool {
    if (this.s.substr(this.pos, word.length) == word) { this.pos += word.length; return true; }
    return false;
  }
  value(depth: i32): JSONValue {
    if (depth > 64) return this.fail("recursion limit exceeded");
    this.ws();
    if (this.pos >= this.s.length) return this.fail("EOF while parsing a value");
    const c = this.s.charCodeAt(this.pos);
    const v = new JSONValue();
    if (c == 123) { // {
      this.pos++;
      v.kind = Kind.Object;
      this.ws();
      if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 125) { this.pos++; return v; }
      while (true) {
        this.ws();
        if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 34) return this.fail("key must be a string");
        const k = this.string();
        if (this.error !== null) return v;
        this.ws();
        if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 58) return this.fail("expected `:`");
        this.pos++;
        const item = this.value(depth + 1);
        if (this.error !== null) return v;
        v.keys.push(k);
        v.items.push(item);
        this.ws();
        if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 44) { this.pos++; continue; }
        if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 125) { this.pos++; return v; }
        return this.fail("expected `,` or `}`");
      }
    }
    if (c == 91) { // [
      this.pos++;
      v.kind = Kind.Array;
      this.ws();
      if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 93) { this.pos++; return v; }
      while (true) {
        const item = this.value(depth + 1);
        if (this.error !== null) return v;
        v.items.push(item);
        this.ws();
        if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 44) { this.pos++; continue; }
        if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 93) { this.pos++; return v; }
        return this.fail("expected `,` or `]`");
      }
    }
    if (c == 34) { v.kind = Kind.String; v.str = this.string(); return v; }
    if (this.lit("true")) { v.kind = Kind.Bool; v.bool = true; return v; }
    if (this.lit("false")) { v.kind = Kind.Bool; return v; }
    if (this.lit("null")) return v;
    if (c == 45 || (c >= 48 && c <= 57)) {
      const start = this.pos;
      this.pos++;
      while (this.pos < this.s.length) {
        const d = this.s.charCodeAt(this.pos);
        if ((d >= 48 && d <= 57) || d == 46 || d == 101 || d == 69 || d == 43 || d == 45) this.pos++;
        else break;
      }
      v.kind = Kind.Number;
      v.num = parseFloat(this.s.substring(start, this.pos));
      return v;
    }
    return this.fail("expected value");
  }
  string(): string {
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    while (true) {
      if (this.pos >= this.s.length) { this.fail("EOF while parsing a string"); return ""; }
      const c = this.s.charCodeAt(this.pos);
      if (c == 34) { out += this.s.substring(start, this.pos); this.pos++; return out; }
      if (c < 32) { this.fail("control character in string"); return ""; }
      if (c == 92) {
        out += this.s.substring(start, this.pos);
        this.pos++;
        if (this.pos >= this.s.length) { this.fail("EOF while parsing a string"); return ""; }
        const e = this.s.charCodeAt(this.pos);
        this.pos++;
        if (e == 34) out += "\"";
        else if (e == 92) out += "\\";
        else if (e == 47) out += "/";
        else if (e == 98) out += "\b";
        else if (e == 102) out += "\f";
        else if (e == 110) out += "\n";
        else if (e == 114) out += "\r";
        else if (e == 116) out += "\t";
        else if (e == 117) {
          if (this.pos + 4 > this.s.length) { this.fail("invalid escape"); return ""; }
          const code = I32.parseInt(this.s.substr(this.pos, 4), 16);
          this.pos += 4;
          out += String.fromCharCode(code);
        } else { this.fail("invalid escape"); return ""; }
        start = this.pos;
        continue;
      }
      this.pos++;
    }
  }
}

/** Parses JSON text; returns null and sets `lastError` when it is not valid JSON. */
export let lastError: string = "";
export function parse(s: string): JSONValue | null {
  const p = new Parser(s);
  const v = p.value(0);
  if (p.error === null) {
    p.ws();
    if (p.pos != s.length) p.fail("trailing characters");
  }
  if (p.error !== null) { lastError = p.error!; return null; }
  return v;
}

/** A JSON string literal for `s`. */
export function quote(s: string): string {
  let out = "\"";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34 || c == 92 || c < 32) {
      out += s.substring(start, i);
      if (c == 34) out += "\\\"";
      else if (c == 92) out += "\\\\";
      else if (c == 10) out += "\\n";
      else if (c == 13) out += "\\r";
      else if (c == 9) out += "\\t";
      else {
        const h = c.toString(16);
        out += "\\u" + "0000".substring(h.length) + h;
      }
      start = i + 1;
    }
  }
  return out + s.substring(start) + "\"";
}

/** Builds a JSON object text field by field: new ObjectWriter().str("k", v).raw("n", "1").done(). */
export class ObjectWriter {
  private parts: string[] = [];
  str(key: string, value: string): ObjectWriter { this.parts.push(quote(key) + ":" + quote(value)); return this; }
  raw(key: string, json: string): ObjectWriter { this.parts.push(quote(key) + ":" + json); return this; }
  done(): string { return "{" + this.parts.join(",") + "}"; }
}
