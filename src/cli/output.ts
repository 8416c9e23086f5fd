// What the output options mean, the same in every command:
//   --json [FILE|-]   the result as JSON: to stdout with - (or no FILE), else to FILE, written atomically
//                     and gzipped when FILE ends in .gz
//   --format FORMAT   how the result is printed: table (the terminal), markdown (GitHub tables) or json
//   --wide            every column of the tables (by default the compact ones, fitted to the terminal)
// With the JSON on stdout, nothing else is printed there (the text would spoil it).
import { type Command, Option } from 'commander';
import { OptionError } from '../errors.js';
import { type OutputFormat, OUTPUT_FORMATS, type TextLayout, terminalColumns } from '../report/layout.js';
import { checkOutputFile } from './common.js';

export type JsonTarget = { to: 'stdout' } | { to: 'file'; path: string };

/** `--json [file]`: `what` is what is written ("the whole result"). */
export function jsonOption(what: string): Option {
  return new Option('--json [file]', `write ${what} as JSON to FILE (atomically; gzipped if FILE ends in .gz), or to stdout with - or no FILE`);
}

/** `--format <format>`: table, markdown or json, and any format of the command's own (sweep's csv, said in `also`). */
export function formatOption(extra: readonly string[] = [], also = ''): Option {
  return new Option('--format <format>', `how to print the result: a terminal table, GitHub Markdown tables, or the result as JSON${also}`)
    .choices([...OUTPUT_FORMATS, ...extra])
    .default('table');
}

export function wideOption(): Option {
  return new Option('--wide', 'print every column of the tables (default: the columns that matter, fitted to the terminal width)');
}

/** Checks a --json value before any GPU work: stdout (- or no file) or a file that can be written. */
export function checkJsonTarget(raw: string | boolean | undefined): JsonTarget | undefined {
  if (raw === undefined || raw === false) return undefined;
  if (raw === true || raw === '-') return { to: 'stdout' };
  return { to: 'file', path: checkOutputFile('--json', raw) };
}

export interface OutputFlags {
  json?: string | boolean;
  format?: string;
  wide?: boolean;
}

export interface OutputPlan {
  json?: JsonTarget;
  /** What stdout gets: the text in a layout, the result as JSON, or nothing but the JSON of --json -. */
  print: { as: 'text'; layout: TextLayout } | { as: 'json' } | { as: 'csv' };
}

/**
 * The output options checked together, before any GPU work: --json - and a text --format both want
 * stdout; --wide is for tables. `cmd` tells whether --format was given or is the default.
 */
export function outputPlan(flags: OutputFlags, cmd?: Pick<Command, 'getOptionValueSource'>): OutputPlan {
  const json = checkJsonTarget(flags.json);
  const format = (flags.format ?? 'table') as OutputFormat | 'csv';
  const given = cmd?.getOptionValueSource('format') === 'cli';
  if (json?.to === 'stdout' && given && format !== 'json')
    throw new OptionError('--json', `a file when --format ${format} prints to stdout (--json - writes the JSON there)`, flags.json === true ? '' : flags.json);
  if (flags.wide && format !== 'table' && format !== 'markdown') throw new OptionError('--wide', `--format table or markdown (not ${format})`, true);
  const plan: OutputPlan = { print: { as: 'json' } };
  if (json) plan.json = json;
  if (format === 'json' || json?.to === 'stdout') return plan;
  if (format === 'csv') return { ...plan, print: { as: 'csv' } };
  return { ...plan, print: { as: 'text', layout: { format, wide: flags.wide ?? false, columns: terminalColumns() } } };
}

/** Writes the result as --json asked: stdout or the file (atomically, .gz gzipped); says where unless quiet. */
export async function writeJsonTarget(target: JsonTarget | undefined, value: unknown, quiet = false): Promise<void> {
  if (!target) return;
  const { formatJson, writeJsonAtomic } = await import('../report/json.js');
  if (target.to === 'stdout') {
    process.stdout.write(formatJson(value));
    return;
  }
  await writeJsonAtomic(target.path, value);
  if (!quiet) console.error(`gpushare-micro: wrote ${target.path}`);
}

/**
 * Prints a result as the plan says and writes its --json: the text (made by `text` in the layout), the
 * CSV (sweep) or the JSON on stdout, then the file.
 */
export async function emit(plan: OutputPlan, value: unknown, text: (layout: TextLayout) => string, quiet = false, csv?: () => string): Promise<void> {
  if (plan.print.as === 'text') console.log(text(plan.print.layout));
  else if (plan.print.as === 'csv' && csv) process.stdout.write(csv());
  else if (plan.print.as === 'json' && plan.json?.to !== 'stdout') await writeJsonTarget({ to: 'stdout' }, value);
  await writeJsonTarget(plan.json, value, quiet);
}

/**
 * The option with its default shown as commander's help shows defaults ("default: 5s"). The value only
 * documents it: the commands read their options through givenOptions, and each default is applied
 * where the options are resolved, which also knows the defaults that depend on other options.
 */
export function shownDefault(option: Option, value: string | number | readonly unknown[]): Option {
  return option.default(value, Array.isArray(value) ? value.join(',') : String(value));
}

/** The options the user gave, without commander's defaults (which only document them: the defaults themselves are applied where the options are resolved). */
export function givenOptions<T extends object>(cmd: Command): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cmd.opts())) if (cmd.getOptionValueSource(key) !== 'default') out[key] = value;
  return out as Partial<T>;
}

/** "Examples:", each a comment line saying what it does over the command, for addHelpText('after', ...). */
export function examples(...list: Array<[command: string, what: string]>): string {
  return `\nExamples:\n${list.map(([command, what]) => `  # ${what}\n  $ ${command}`).join('\n')}`;
}
