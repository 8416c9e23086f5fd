// `gpushare-micro scenario list | show | run | peak NAME|FILE`: the built-in scenarios and scenario files
// (docs/scenarios.md). Each subcommand is one function returning its command; SUBCOMMANDS registers
// them under `scenario`, in the order help lists them.
import Table from 'cli-table3';
import { Command } from 'commander';
import type { Scenario } from '../scenario/scenario.js';
import { builtinScenarioNames, listScenarios, loadScenario } from '../scenario/file.js';
import { scenarioPeakSubcommand, scenarioRunSubcommand } from './scenario-run.js';
import { fail } from './common.js';
import { EXIT } from './exit-codes.js';
import { examples } from './output.js';

/** A role as the list shows it: its name, and how many clients play it when more than one. */
function roleLabel(r: Scenario['roles'][number]): string {
  const count = Number(r.client.count ?? 1);
  return count > 1 ? `${r.client.role} ×${count}` : r.client.role;
}

/** The built-in scenarios as a table: name, roles, modes, description. */
export function formatScenarioList(scenarios: readonly Scenario[]): string {
  const table = new Table({
    head: ['name', 'roles', 'modes', 'description'],
    style: { head: [], border: [] },
    colWidths: [null, 30, 24, 60],
    wordWrap: true,
  });
  for (const s of scenarios) table.push([s.name, s.roles.map(roleLabel).join(', '), s.modes.join(', '), s.description]);
  return table.toString();
}

function listCommand(): Command {
  return new Command('list')
    .description('the built-in scenarios: their roles, modes and what they stand for')
    .option('--names', 'only their names, one per line (for scripts)')
    .addHelpText('after', examples(['gpushare-micro scenario list', 'the built-ins: roles, modes, what they stand for']))
    .action((flags: { names?: boolean }) => {
      try {
        if (flags.names) {
          console.log(builtinScenarioNames().join('\n'));
          process.exitCode = EXIT.ok;
          return;
        }
        console.log(formatScenarioList(listScenarios()));
        console.log('gpushare-micro scenario show NAME prints one; a YAML file of your own works wherever a name does (docs/scenarios.md)');
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('print a scenario as written (its YAML), after checking it')
    .argument('<scenario>', 'a built-in scenario name or a .yaml file')
    .addHelpText(
      'after',
      examples(['gpushare-micro scenario show train+infer', 'the built-in as YAML'], ['gpushare-micro scenario show my-mix.yaml', 'check a file of your own']),
    )
    .action((nameOrFile: string) => {
      try {
        const s = loadScenario(nameOrFile);
        process.stdout.write(s.text.endsWith('\n') ? s.text : `${s.text}\n`);
        process.exitCode = EXIT.ok;
      } catch (error) {
        process.exitCode = fail(error);
      }
    });
}

/** The subcommands of `scenario`, each made by one function. */
const SUBCOMMANDS: ReadonlyArray<() => Command> = [listCommand, showCommand, scenarioRunSubcommand, scenarioPeakSubcommand];

export function scenarioCommand(): Command {
  const scenario = new Command('scenario').description(
    'mixes of different clients (training beside inference, tenants, a notebook) to compare the sharing modes on: list, show, run, peak',
  );
  for (const make of SUBCOMMANDS) scenario.addCommand(make());
  scenario.addHelpText(
    'after',
    examples(
      ['gpushare-micro scenario list', 'the built-in scenarios'],
      ['gpushare-micro scenario run train+infer', 'each role alone, then the mix under each mode; the verdicts first'],
      ['gpushare-micro scenario peak train+infer --role infer', 'the highest inference rate that meets its SLO, per mode'],
    ),
  );
  return scenario;
}
