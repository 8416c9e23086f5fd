// Scenario files: YAML (the `yaml` package) checked against the file's schema (file-schema.ts) and
// turned into a Scenario (scenario.ts), then the run options of every mode it names resolved as a
// run resolves them (config.ts). Every problem is one line that names the file, the line and the
// field — "scenarios/my.yaml:12: roles.infer.arrival: expected poisson:RATE, ..., got "poison:2"" —
// and all of it happens before any GPU work. The built-in scenarios are the YAML files in
// scenarios/ at the package root. The format: docs/scenarios.md.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { packageRoot } from '../binding/loader.js';
import { type RawClientOptions, CLIENT_KEYS } from '../clients/spec.js';
import { resolveRunConfig } from '../config.js';
import { clip, formatReceived, OptionError, ScenarioFileError, systemReason } from '../errors.js';
import { MODES, type ModeName, type RunConfig, type RawRunOptions } from '../options.js';
import { checkFile } from '../report/check.js';
import { type FileKnobs, type FileOverride, type FileRole, isKnob, RUN_KEYS, type ScenarioFile, scenarioFileSchema } from './file-schema.js';
import { type RoleKnobs, type Scenario, scenarioRunOptions } from './scenario.js';

/** Where the built-in scenarios are: scenarios/ at the package root, shipped with the package. */
export const SCENARIO_DIR = join(packageRoot, 'scenarios');
/** The modes of a scenario that names none: the four that run on a GPU without MIG devices. */
export const DEFAULT_SCENARIO_MODES: readonly ModeName[] = ['timeslice', 'mps', 'streams', 'green'];
/** A larger file is no scenario (the built-ins are about 2 KB). */
const MAX_FILE_BYTES = 1024 * 1024;

type Path = ReadonlyArray<string | number>;

/** A problem at a place in the file. */
interface Problem {
  line: number;
  path: Path;
  detail: string;
}

/** "roles.infer.slo[1]"; a key that is no plain word is quoted, and every key is cut to a readable length. */
export function fieldName(path: Path): string | undefined {
  if (path.length === 0) return undefined;
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = /^[A-Za-z0-9_+-]+$/.test(seg) ? clip(seg, 40) : JSON.stringify(clip(seg, 40));
      return i === 0 ? key : `.${key}`;
    })
    .join('');
}

/** A value as an error shows it: mappings and lists by kind (they can be large or deep), the rest as written. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  if (typeof value === 'number') return String(value); // Infinity and NaN (.inf, .nan), which JSON writes as null
  return formatReceived(value);
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const seg of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[seg];
  }
  return value;
}

/** A node's range in the text ([start, value end, node end]), where it has one. */
function rangeOf(node: unknown): readonly number[] | undefined {
  return (node as { range?: number[] } | null)?.range;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The YAML errors a scenario's author makes most, in the file's terms (the rest in the parser's words). */
const SYNTAX: Partial<Record<YAMLError['code'], string>> = {
  DUPLICATE_KEY: 'a key given twice (each key once)',
  MULTIPLE_DOCS: 'expected one YAML document, got several (separated by ---)',
  TAB_AS_INDENT: 'not valid YAML: a tab as indentation (indent with spaces)',
};

/** Lines of a parsed YAML document, by path and by offset. */
class YamlLines {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly counter: LineCounter,
    /** Where the text's last character that is not a space is: an error at the end (an unclosed [) is shown on that line. */
    private readonly lastChar: number,
  ) {}

  private lineOf(offset: number | undefined): number {
    return offset === undefined ? 1 : this.counter.linePos(offset).line;
  }

  /** The line of the entry at `path` (in a mapping: its key's line), or of the nearest entry above it that the file has. */
  line(path: Path): number {
    let node: unknown = this.doc.contents;
    let line = this.lineOf(rangeOf(node)?.[0]);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        line = this.lineOf(rangeOf(pair.key)?.[0] ?? rangeOf(pair.value)?.[0]);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
        line = this.lineOf(rangeOf(node)?.[0]);
      } else {
        break;
      }
    }
    return line;
  }

  /** The path of the deepest entry whose key or value holds `offset` (where a YAML error points). */
  pathAt(offset: number): Path {
    const path: Array<string | number> = [];
    const holds = (start: number | undefined, end: number | undefined) => start !== undefined && end !== undefined && start <= offset && offset < end;
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && holds(rangeOf(p.key)?.[0] ?? rangeOf(p.value)?.[0], rangeOf(p.value)?.[2] ?? rangeOf(p.key)?.[2]));
        if (!pair) break;
        path.push(keyText(pair.key));
        node = pair.value;
      } else if (isSeq(node)) {
        const i = node.items.findIndex((item) => holds(rangeOf(item)?.[0], rangeOf(item)?.[2]));
        if (i < 0) break;
        path.push(i);
        node = node.items[i];
      } else {
        break;
      }
    }
    return path;
  }

  syntax(error: YAMLError): Problem {
    const at = Math.max(0, Math.min(error.pos[0], this.lastChar));
    return {
      line: this.lineOf(at),
      path: this.pathAt(at),
      detail: SYNTAX[error.code] ?? `not valid YAML: ${error.message.split('\n')[0]!.replace(/\.$/, '')}`,
    };
  }
}

/** The problem a schema issue describes, at its line. */
function issueProblem(issue: z.core.$ZodIssue, data: unknown, lines: YamlLines): Problem {
  if (issue.code === 'unrecognized_keys') {
    const path = [...issue.path, String(issue.keys[0])] as Path;
    return { line: lines.line(path), path, detail: issue.message };
  }
  const path = issue.path as Path;
  if (issue.code === 'invalid_key') {
    return { line: lines.line(path), path, detail: `expected ${issue.issues[0]?.message ?? issue.message}, got ${formatReceived(path.at(-1))}` };
  }
  return { line: lines.line(path), path, detail: `expected ${issue.message}, got ${shown(valueAt(data, path))}` };
}

/** The problem of the file's schema check that comes first in the file. */
function schemaProblem(issues: readonly z.core.$ZodIssue[], data: unknown, lines: YamlLines): Problem {
  const problems = issues.map((i) => issueProblem(i, data, lines));
  return problems.reduce((first, p) => (p.line < first.line ? p : first));
}

/** Drops undefined fields, so that spreading an override or a knob never unsets a role's key. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function clientOptions(w: FileOverride): RawClientOptions {
  const { slo, ...rest } = w;
  return defined({ ...rest, slo: Array.isArray(slo) ? slo.join('&') : slo });
}

function roleKnobs(knobs: Partial<Record<ModeName, FileKnobs>>): RoleKnobs {
  const out: RoleKnobs = {};
  for (const [mode, k] of Object.entries(knobs) as Array<[ModeName, FileKnobs | undefined]>) {
    if (k) out[mode] = defined({ mpsThreads: k['mps-threads'], mpsMem: k['mps-mem'], priority: k.priority, sms: k.sms });
  }
  return out;
}

/** The file as a Scenario. */
function toScenario(file: ScenarioFile, text: string, source: string, defaultName: string): Scenario {
  const roles = Object.entries(file.roles).map(([role, r]) => {
    const { knobs, ...workload } = (r ?? {}) as FileRole;
    return { client: { role, ...clientOptions(workload) }, knobs: roleKnobs(knobs ?? {}) };
  });
  const overrides: Scenario['overrides'] = {};
  for (const [mode, perRole] of Object.entries(file.overrides ?? {}) as Array<[ModeName, Record<string, FileOverride> | undefined]>) {
    if (perRole) overrides[mode] = Object.fromEntries(Object.entries(perRole).map(([role, o]) => [role, clientOptions(o)]));
  }
  const options: Scenario['options'] = {};
  for (const { key, option } of RUN_KEYS) if (file[key] !== undefined) Object.assign(options, { [option]: file[key] });
  return {
    name: file.name ?? defaultName,
    description: file.description?.trim() ?? '',
    source,
    text,
    modes: [...(file.modes ?? DEFAULT_SCENARIO_MODES)],
    roles,
    options,
    overrides,
  };
}

/** Overrides name roles of the scenario. */
function referenceProblem(s: Scenario, lines: YamlLines): Problem | undefined {
  const names = s.roles.map((r) => r.client.role);
  for (const [mode, perRole] of Object.entries(s.overrides)) {
    for (const role of Object.keys(perRole ?? {})) {
      if (names.includes(role)) continue;
      const path = ['overrides', mode, role];
      return { line: lines.line(path), path, detail: `expected a role of this scenario (${names.join(', ')}), got ${formatReceived(role)}` };
    }
  }
  return undefined;
}

/** The modes whose run options are checked: those the scenario runs, then those its knobs and overrides name. */
function modesToCheck(s: Scenario): ModeName[] {
  const named = new Set<ModeName>([...s.modes, ...(Object.keys(s.overrides) as ModeName[])]);
  for (const r of s.roles) for (const m of Object.keys(r.knobs) as ModeName[]) named.add(m);
  return [...s.modes, ...MODES.filter((m) => named.has(m) && !s.modes.includes(m))];
}

/** Where in the file the value behind a config.ts option error was set (or would be). */
function optionPath(s: Scenario, mode: ModeName, option: string): Path {
  const client = /^--client ([^:]+): (.+)$/.exec(option);
  if (client) {
    const [, who, key] = client as unknown as [string, string, string];
    const role = s.roles.find((r) => r.client.role === who) ?? s.roles[Number(who) - 1];
    if (!role) return ['roles'];
    const name = role.client.role;
    const field = CLIENT_KEYS[key];
    const setBy = (o: object | undefined) => field !== undefined && o !== undefined && (o as Record<string, unknown>)[field] !== undefined;
    if (setBy(s.overrides[mode]?.[name])) return ['overrides', mode, name, key];
    if (isKnob(key)) return ['roles', name, 'knobs', mode, key];
    return ['roles', name, key];
  }
  if (option === '--client') return ['roles'];
  if (option === '--mode') return ['modes'];
  const run = RUN_KEYS.find((k) => k.flag === option);
  return run ? [run.key] : [];
}

/** An option error's "expected ..., got ..." with the command line's spelling (--loop, sms=) turned into the file's keys. */
function optionDetail(error: OptionError): string {
  const expected = error.expected.replace(/--([a-z][a-z-]*)/g, '$1').replace(/\b([a-z][a-z-]*)=(?=\s)/g, '$1');
  return `expected ${expected}, got ${formatReceived(error.received)}`;
}

/** The run options of the scenario under `mode`, validated; an OptionError the file caused, traced to its line. */
function resolveMode(s: Scenario, mode: ModeName, extra: Partial<RawRunOptions>, locate: () => { file: string; lines: YamlLines }): RunConfig {
  try {
    return resolveRunConfig(scenarioRunOptions(s, mode, extra));
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    // An option the caller gave (the command line's --duration, say), or one no key of the file sets, is the caller's to report.
    const path = optionPath(s, mode, error.option);
    if (path.length === 0 || RUN_KEYS.some((k) => k.flag === error.option && extra[k.option] !== undefined)) throw error;
    const { file, lines } = locate();
    throw new ScenarioFileError(file, lines.line(path), fieldName(path), optionDetail(error));
  }
}

function parseYaml(text: string, file: string): { doc: Document.Parsed; lines: YamlLines } {
  const counter = new LineCounter();
  let doc: Document.Parsed;
  try {
    // logLevel error: the parser's warnings (a list as a key, say) would print lines of their own; its errors are in doc.errors.
    doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  } catch (error) {
    // The parser's own limits (a document nested too deep for the stack, say).
    throw new ScenarioFileError(file, 1, undefined, `not YAML that can be read: ${(error as Error).message.split('\n')[0]}`);
  }
  return { doc, lines: new YamlLines(doc, counter, text.trimEnd().length - 1) };
}

function fail(file: string, p: Problem): ScenarioFileError {
  return new ScenarioFileError(file, p.line, fieldName(p.path), p.detail);
}

/**
 * A scenario from YAML text. `file` names it in errors; `source` is what the Scenario records ("built-in"
 * or the path); the name defaults to the file's name without .yaml. Checks the YAML, the schema, and the
 * run options of every mode it names; throws ScenarioFileError.
 */
export function parseScenario(text: string, file: string, source = file): Scenario {
  const { doc, lines } = parseYaml(text, file);
  const syntax = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (syntax) throw fail(file, lines.syntax(syntax));
  if (doc.contents === null)
    throw new ScenarioFileError(file, 1, undefined, 'expected a scenario (a mapping with roles: see docs/scenarios.md), got an empty file');
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ScenarioFileError(file, 1, undefined, `not YAML that can be read: ${(error as Error).message.split('\n')[0]}`);
  }
  const checked = checkFile(scenarioFileSchema, data);
  if (!checked.success) throw fail(file, schemaProblem(checked.error.issues, data, lines));
  const scenario = toScenario(checked.data, text, source, basename(file).replace(/\.ya?ml$/i, ''));
  const reference = referenceProblem(scenario, lines);
  if (reference) throw fail(file, reference);
  for (const mode of modesToCheck(scenario)) resolveMode(scenario, mode, {}, () => ({ file, lines }));
  return scenario;
}

/** How errors name a scenario's file: its path, or for a built-in its place in the package. */
export function scenarioFile(s: Pick<Scenario, 'name' | 'source'>): string {
  return s.source === 'built-in' ? `scenarios/${s.name}.yaml` : s.source;
}

/**
 * The validated run configuration of the scenario under one mode; `extra` adds or replaces run-wide
 * options (a command line's --seed, --duration). An error the file caused is a ScenarioFileError at
 * its line; one in `extra` is the OptionError naming the caller's option.
 */
export function scenarioRunConfig(s: Scenario, mode: ModeName, extra: Partial<RawRunOptions> = {}): RunConfig {
  return resolveMode(s, mode, extra, () => ({ file: scenarioFile(s), lines: parseYaml(s.text, scenarioFile(s)).lines }));
}

/** A file's text: a regular file of at most 1 MiB, in UTF-8. */
function readText(path: string, file: string): string {
  let bytes: Buffer;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) throw new ScenarioFileError(file, undefined, undefined, 'expected a scenario file, got a directory');
    if (!stats.isFile()) throw new ScenarioFileError(file, undefined, undefined, 'expected a scenario file, got a device, pipe or socket');
    if (stats.size > MAX_FILE_BYTES)
      throw new ScenarioFileError(file, undefined, undefined, `expected a scenario file of at most 1 MiB, got ${stats.size.toLocaleString('en-US')} bytes`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof ScenarioFileError) throw error;
    throw new ScenarioFileError(file, undefined, undefined, `cannot read it: ${systemReason(error)}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioFileError(file, undefined, undefined, 'expected YAML text, got bytes that are not UTF-8');
  }
}

/** A scenario file read and checked (see parseScenario). */
export function readScenario(path: string): Scenario {
  return parseScenario(readText(path, path), path);
}

/** The names of the built-in scenarios, sorted. */
export function builtinScenarioNames(): string[] {
  if (!existsSync(SCENARIO_DIR)) return [];
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

function readBuiltin(name: string): Scenario {
  const file = `scenarios/${name}.yaml`;
  return parseScenario(readText(join(SCENARIO_DIR, `${name}.yaml`), file), file, 'built-in');
}

/** Every built-in scenario, read and checked, by name. */
export function listScenarios(): Scenario[] {
  return builtinScenarioNames().map(readBuiltin);
}

/** A scenario by file path (one that exists, or any ending in .yaml or .yml) or by built-in name. */
export function loadScenario(nameOrPath: string): Scenario {
  if (typeof nameOrPath !== 'string' || nameOrPath.trim() === '' || nameOrPath.includes('\0')) {
    throw new OptionError('scenario', 'a scenario name or a .yaml file', nameOrPath);
  }
  if (/\.ya?ml$/i.test(nameOrPath) || existsSync(nameOrPath)) return readScenario(nameOrPath);
  const names = builtinScenarioNames();
  if (names.includes(nameOrPath)) return readBuiltin(nameOrPath);
  throw new OptionError('scenario', `a scenario file (.yaml) or a built-in scenario: ${names.join(', ')}`, nameOrPath);
}
