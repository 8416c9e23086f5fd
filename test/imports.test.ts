// The import graph of src/, read with TypeScript's own import scanner: no cycle, type-only imports
// included (a cycle through types is still two modules that cannot be understood one without the
// other), and nothing in src/ imports from outside it (test/, scripts/: the package ships src's
// output alone). A failure names the cycle or the import.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each source file and the files its relative imports (static, dynamic, `export ... from`) resolve to. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(src)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles.map((f) => f.fileName).filter((name) => name.startsWith('.'));
    graph.set(
      file,
      targets.map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts'))),
    );
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the files around it (relative to src/). */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].map((f) => relative(src, f)).join(' → '));
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'closed');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('is read: every relative import resolves to a source file', () => {
    expect(graph.size).toBeGreaterThan(50);
    const unresolved = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => t.startsWith(src) && !graph.has(t)).map((t) => `${relative(src, file)} → ${relative(src, t)}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts → b.ts → a.ts']);
  });

  it('imports nothing from outside src/ (test/, scripts/)', () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => !t.startsWith(`${src}/`)).map((t) => `${relative(root, file)} → ${relative(root, t)}`),
    );
    expect(outside).toEqual([]);
  });
});
