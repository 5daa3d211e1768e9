/**
 * Architecture checks over src/ and the dashboard's web/admin-dashboard/src: the import graph (type-only imports included) has no cycles, and no source
 * file is longer than MAX_LINES. `npm run arch` prints the report; test/architecture.test.ts asserts it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAX_LINES = 500;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The node's sources and the dashboard's (a browser bundle, checked by the same rules). */
const ROOTS = [join(ROOT, 'src'), join(ROOT, 'web/admin-dashboard/src')];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(p) && !/\.test\.tsx?$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s+['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g;

/** Relative imports of one file, resolved to absolute paths of source files (`.js` specifiers name `.ts(x)`). */
function importsOf(file: string, text: string, known: Set<string>): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    for (const t of [target, target.replace(/\.ts$/, '.tsx')]) if (known.has(t)) out.push(t);
  }
  return out;
}

export interface ArchReport {
  /** Each cycle as the files on it (relative to the repository). */
  cycles: string[][];
  /** Files over MAX_LINES, with their length. */
  long: { file: string; lines: number }[];
}

export function architectureReport(): ArchReport {
  const files = ROOTS.flatMap(sourceFiles);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  const long: ArchReport['long'] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    graph.set(f, importsOf(f, text, known));
    const lines = text.split('\n').length;
    if (lines > MAX_LINES) long.push({ file: relative(ROOT, f), lines });
  }
  return { cycles: stronglyConnected(graph).map((c) => c.map((f) => relative(ROOT, f)).sort()), long };
}

/** Tarjan's algorithm: the components with more than one file (or a file importing itself). */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = architectureReport();
  for (const c of r.cycles) console.log(`cycle: ${c.join(' <-> ')}`);
  for (const l of r.long) console.log(`long: ${l.file} (${l.lines} lines > ${MAX_LINES})`);
  if (r.cycles.length === 0 && r.long.length === 0) console.log('architecture: no cycles, no file over ' + MAX_LINES + ' lines');
  process.exitCode = r.cycles.length + r.long.length > 0 ? 1 : 0;
}
