// Commander's own usage errors (unknown option or command, missing or extra argument, a value not among
// an option's choices, a group such as `mps` without its command) as one line with the program's prefix
// and exit code 2, like every other invalid option. Commander prints nothing itself: each command's exit
// hook rewrites the error. A mistyped command is named with its nearest match, as commander finds it.
import { Command, CommanderError } from 'commander';
import { clip, OptionError } from '../errors.js';
import { EXIT } from './exit-codes.js';

/** What commander reports that is not a failure: --help, --version, `help [command]`. */
const SUCCESS = new Set(['commander.helpDisplayed', 'commander.version']);

/** A usage error already worded for the user; main prints its message as one line. */
export class UsageError extends CommanderError {
  constructor(code: string, message: string) {
    super(EXIT.usage, code, message);
    this.name = 'UsageError';
  }
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The command as the user typed it after the program's name ("mps stop"); the program's name for the program. */
function subject(cmd: Command): string {
  return cmd.parent ? commandPath(cmd).split(' ').slice(1).join(' ') : cmd.name();
}

function commandNames(cmd: Command): string {
  return cmd.commands.map((c) => c.name()).join(', ');
}

/**
 * Commander's nearest match to `word` among the commands of `cmd` (its showSuggestionAfterError rule),
 * or undefined. Asked of a bare copy of the command names, since a program with a default command
 * (run) never reports an unknown one itself: the word goes to the default command as an argument.
 */
export function nearestCommand(cmd: Command, word: string): string | undefined {
  const names = new Command()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError(true);
  for (const c of cmd.commands) names.command(c.name());
  try {
    names.parse([word], { from: 'user' });
  } catch (error) {
    return /\(Did you mean ([^?\s]+)\?\)/.exec((error as Error).message)?.[1];
  }
  return undefined;
}

/** "unknown command 'swep' (did you mean sweep?)" with what follows it. */
function unknownCommand(word: string, cmd: Command, where: string): string {
  const near = nearestCommand(cmd, word);
  const help = `see ${commandPath(cmd)} --help`;
  return `unknown command '${clip(word)}'${where}${near ? ` (did you mean ${near}?)` : ''}: expected one of ${commandNames(cmd)} (${help})`;
}

/** Commander's "option '-m, --mode <mode>' argument 'x' is invalid. Allowed choices are a, b." as every invalid option is worded. */
function invalidChoice(message: string): string | undefined {
  const m = /^error: option '([^']*)' argument '([\s\S]*)' is invalid\. Allowed choices are ([\s\S]*)\.$/.exec(message);
  const flag = m ? /--[\w-]+/.exec(m[1]!)?.[0] : undefined;
  return m && flag ? new OptionError(flag, `one of ${m[3]}`, m[2]).message : undefined;
}

/** Commander's text without its "error: " prefix, its lines joined, every quoted value clipped. */
function reword(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\s*\n\s*\(Did you mean (.*)\?\)/, '; did you mean $1?')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/'([^']*)'/g, (_, value: string) => `'${clip(value)}'`)
    .replace(/\.$/, '');
}

function usageLine(error: CommanderError, cmd: Command): string {
  const help = `see ${commandPath(cmd)} --help`;
  if (error.code === 'commander.help') {
    // `help frob`: no such command to show the help of.
    if (cmd.args[0] === 'help' && cmd.args[1] !== undefined) return unknownCommand(cmd.args[1], cmd, ' for help');
    return `${subject(cmd)} needs a command: ${commandNames(cmd)} (${help})`;
  }
  if (error.code === 'commander.excessArguments') {
    const parent = cmd.parent;
    // `gpushare-micro frob`: the words go to the default command (run), which takes no arguments.
    const implicit =
      parent !== null && (parent as Command & { _defaultCommandName?: string })._defaultCommandName === cmd.name() && parent.args[0] !== cmd.name();
    const extra = cmd.args[cmd.registeredArguments.length] ?? '';
    if (implicit) return unknownCommand(extra, parent, '');
    const takes = cmd.registeredArguments.length === 0 ? 'it takes no arguments' : `it takes ${cmd.registeredArguments.map((a) => a.name()).join(' ')}`;
    return `unexpected argument '${clip(extra)}' for ${subject(cmd)}: ${takes} (${help})`;
  }
  if (error.code === 'commander.unknownCommand' && cmd.commands.length > 0) return unknownCommand(cmd.args[0] ?? '', cmd, ` for ${subject(cmd)}`);
  if (error.code === 'commander.invalidArgument') {
    const line = invalidChoice(error.message);
    if (line) return line;
  }
  return `${reword(error.message)} (${help})`;
}

/** Makes every command of `program` report usage errors as UsageError, and print nothing itself. */
export function oneLineUsageErrors(program: Command): void {
  const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];
  for (const cmd of all(program)) {
    cmd.configureOutput({ outputError: () => {}, writeErr: () => {} });
    cmd.showHelpAfterError(false);
    cmd.exitOverride((error) => {
      if (SUCCESS.has(error.code) || (error.code === 'commander.help' && error.exitCode === 0)) throw error;
      throw new UsageError(error.code, usageLine(error, cmd));
    });
  }
}
