// Code health rules kept by a test, read with TypeScript's own parser. No function in src/ (a function
// declaration or expression, a method, an accessor, a constructor, an arrow) spans more than
// MAX_FUNCTION_LINES lines, unless the comment just above its first line says why: the words "long
// because" and a reason. A failure names each function, its file, line and length.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const MAX_FUNCTION_LINES = 80;
const REASON = /long because\s+\S/i;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The comment lines directly above line `line` (0-based), joined: a doc comment, or `//` lines. */
function commentAbove(lines: readonly string[], line: number): string {
  const found: string[] = [];
  for (let i = line - 1; i >= 0; i--) {
    const text = lines[i]!.trim();
    if (!/^(\/\/|\/\*|\*)/.test(text)) break;
    found.unshift(text);
  }
  return found.join(' ');
}

function functionName(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return '(anonymous)';
}

/** Every function-like node with a body over `max` lines whose comment gives no reason, as "file:line name (n lines)". */
function longFunctions(fileName: string, text: string, max = MAX_FUNCTION_LINES): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = text.split('\n');
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = last - first + 1;
      if (length > max && !REASON.test(commentAbove(lines, first))) found.push(`${fileName}:${first + 1} ${functionName(node, file)} (${length} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe(`functions in src/ (at most ${MAX_FUNCTION_LINES} lines, or a comment that says why)`, () => {
  it('are read: the files parse and their functions are found', () => {
    const files = sources(src);
    expect(files.length).toBeGreaterThan(50);
    // Each of these has at least one function: the walk would see nothing if it went wrong.
    expect(longFunctions('x.ts', readFileSync(join(src, 'run.ts'), 'utf8'), 1).length).toBeGreaterThan(5);
  });

  it('are short, or say why they are long', () => {
    const long = sources(src).flatMap((f) => longFunctions(relative(root, f), readFileSync(f, 'utf8')));
    expect(long).toEqual([]);
  });

  it('finds a long function, method and arrow, and accepts one whose comment says why', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
    const text = [
      `export function tooLong(x: number) {\n${body(80)}\n  return x;\n}`,
      `class A {\n  method(x: number) {\n${body(80)}\n    return x;\n  }\n}`,
      `const arrow = (x: number) => {\n${body(80)}\n  return x;\n};`,
      `/**\n * Long because the table below is one lookup kept in order.\n */\nfunction explained(x: number) {\n${body(80)}\n  return x;\n}`,
      `function short(x: number) {\n${body(77)}\n  return x;\n}`,
      `// long because\nfunction noReason(x: number) {\n${body(80)}\n  return x;\n}`,
    ].join('\n\n');
    const found = longFunctions('t.ts', text).map((f) => f.replace(/^t\.ts:\d+ /, ''));
    expect(found).toEqual(['tooLong (83 lines)', 'method (83 lines)', 'arrow (83 lines)', 'noReason (83 lines)']);
  });
});
