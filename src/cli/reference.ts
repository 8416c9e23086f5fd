// The option tables of README.md, made from the commands themselves (commander's flags, descriptions,
// defaults and choices), so that the README says what --help says. Each table stands between
// `<!-- options: PATH -->` and `<!-- /options -->`; scripts/readme-options.mjs rewrites them and a test
// fails when one differs from what the command defines.
import type { Command, Option } from 'commander';

/** Every command of the program with the path a user types ("mps start"), the groups without options left out. */
export function documentedCommands(program: Command): Array<{ path: string; cmd: Command }> {
  const walk = (cmd: Command, path: string[]): Array<{ path: string; cmd: Command }> => {
    const here = cmd.parent ? [...path, cmd.name()] : path;
    const self = cmd.parent && cmd.options.length > 0 ? [{ path: here.join(' '), cmd }] : [];
    return [...self, ...cmd.commands.flatMap((c) => walk(c, here))];
  };
  return walk(program, []);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function defaultText(option: Option): string {
  if (option.negate || option.defaultValue === undefined) return '';
  return `\`${option.defaultValueDescription ?? String(option.defaultValue)}\``;
}

/** A command's options as a Markdown table: option, what it does (and its choices), default. */
export function optionTable(cmd: Command): string {
  const rows = (cmd.options as Option[]).map((o) => {
    const choices = o.argChoices ? ` (${o.argChoices.map((c) => `\`${c}\``).join(', ')})` : '';
    return `| \`${cell(o.flags)}\` | ${cell(o.description)}${choices} | ${defaultText(o)} |`;
  });
  return ['| option | what it does | default |', '| --- | --- | --- |', ...rows].join('\n');
}

/** A table's block: its command, and what stands there (no other block's marker inside). */
const BLOCK = /<!-- options: ([a-z0-9 ]+) -->\n((?:(?!<!--)[\s\S])*)<!-- \/options -->/g;

/** The option tables found in a README's text: the command's path and the table as written. */
export function readmeTables(text: string): Map<string, string> {
  return new Map([...text.matchAll(BLOCK)].map((m) => [m[1]!, m[2]!.replace(/\n$/, '')]));
}

/** The README with every option table as the program defines it. */
export function withOptionTables(text: string, program: Command): string {
  const tables = new Map(documentedCommands(program).map(({ path, cmd }) => [path, optionTable(cmd)]));
  return text.replace(BLOCK, (whole, path: string) => {
    const table = tables.get(path);
    return table === undefined ? whole : `<!-- options: ${path} -->\n${table}\n<!-- /options -->`;
  });
}
