/**
 * Package versions as upstream 0.10.0 orders them (docs/wire.md, Applications): a version that parses as semantic
 * versioning beats one that does not; two semantic versions compare by semver precedence (pre-releases below
 * their release, then build metadata as a last tie-break, as Rust's `semver` crate orders `Version`); two
 * non-semver strings compare as strings. Equal versions keep the first one seen.
 */

interface SemVer {
  core: [bigint, bigint, bigint];
  pre: string[];
  build: string[];
}

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const SEMVER = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`);

/** Strict semver 2.0.0 (no leading `v`, no leading zeros in numbers or numeric pre-release identifiers). */
export function parseSemver(s: string): SemVer | null {
  const m = SEMVER.exec(s);
  if (!m) return null;
  const pre = m[4] ? m[4].split('.') : [];
  if (pre.some((p) => /^0[0-9]+$/.test(p))) return null;
  return { core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre, build: m[5] ? m[5].split('.') : [] };
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

/** Identifier lists: numeric ones numerically and below alphanumeric ones; a shorter prefix first. */
function compareIdents(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (isNum(x) && isNum(y)) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (isNum(x) !== isNum(y)) return isNum(x) ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

function compareSemver(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! < b.core[i]! ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) {
    if (a.pre.length !== b.pre.length) return a.pre.length === 0 ? 1 : -1;
  } else {
    const c = compareIdents(a.pre, b.pre);
    if (c !== 0) return c;
  }
  return compareIdents(a.build, b.build);
}

/** True when version `a` is newer than `b` by upstream's rules. */
export function isNewerVersion(a: string, b: string): boolean {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (x && y) return compareSemver(x, y) > 0;
  if (x || y) return x !== null;
  return a > b;
}

/** The newest of `entries` (first one wins among equals), or null when there is none. */
export function latestVersion<T extends { version: string }>(entries: Iterable<T>): T | null {
  let best: T | null = null;
  for (const e of entries) if (best === null || isNewerVersion(e.version, best.version)) best = e;
  return best;
}
