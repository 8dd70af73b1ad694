// Import cycles in node-core (issue 11): reads the relative imports of every source file and fails
// on a cycle, of value imports (a run-time cycle) or through type-only ones (`import type`, or
// every name marked `type`), which cost nothing at run time but still tie the files together.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../node-core/src');

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** relative imports and re-exports of one file, each marked type-only or not */
function importsOf(file: string, text: string): Edge[] {
  const out: Edge[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.{1,2}\/[^']+)'/gms;
  for (const m of text.matchAll(re)) {
    const names = m[3]!;
    const braces = /^\{([^}]*)\}$/s.exec(names.trim());
    const allTyped = braces !== null && braces[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    const to = resolve(dirname(file), m[4]!.replace(/\.js$/, '.ts'));
    out.push({ to, typeOnly: m[2] !== undefined || allTyped });
  }
  return out;
}

/** strongly connected components with more than one file (Tarjan) */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(relative(SRC, w));
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const edges = new Map(sourceFiles(SRC).map((f) => [f, importsOf(f, readFileSync(f, 'utf8'))]));
const graphOf = (keep: (e: Edge) => boolean) => new Map([...edges].map(([f, es]) => [f, es.filter(keep).map((e) => e.to)]));

describe('node-core imports', () => {
  it('reads type-only and value imports apart', () => {
    const f = join(SRC, 'x.ts');
    expect(importsOf(f, "import type { A } from './a.js';\nimport { type B, type C } from './b.js';\nimport { D, type E } from './d.js';\nexport { F } from './f.js';")).toEqual([
      { to: join(SRC, 'a.ts'), typeOnly: true },
      { to: join(SRC, 'b.ts'), typeOnly: true },
      { to: join(SRC, 'd.ts'), typeOnly: false },
      { to: join(SRC, 'f.ts'), typeOnly: false },
    ]);
    expect(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]]))).toHaveLength(1);
  });

  it('has no cycle of value imports', () => {
    expect(cycles(graphOf((e) => !e.typeOnly))).toEqual([]);
  });

  it('has no cycle even through type-only imports (node, discovery, the write path and consensus use narrow interfaces)', () => {
    expect(cycles(graphOf(() => true))).toEqual([]);
  });
});
