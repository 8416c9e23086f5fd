// The program: every command, its help (examples, exit codes) and its usage errors as one line. main.ts
// runs it; the tests walk it (every command has examples and shows its defaults).
import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { benchCommand } from './bench-command.js';
import { exportCommand } from './export-command.js';
import { infoCommand } from './info-command.js';
import { k8sCommand } from './k8s-command.js';
import { mergeCommand } from './merge-command.js';
import { migCommand } from './mig-command.js';
import { monitorCommand } from './monitor-command.js';
import { mpsCommand } from './mps-command.js';
import { sweepCommand } from './sweep-command.js';
import { probeCommand } from './probe-command.js';
import { runCommand } from './run-command.js';
import { reportCommand } from './report-command.js';
import { scenarioCommand } from './scenario-command.js';
import { adviseCommand } from './scenario-run.js';
import { examples } from './output.js';
import { oneLineUsageErrors } from './usage.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    measured, every client finished
  1    unexpected error
  2    invalid option (nothing ran)
  3    no usable GPU, the native addon could not be loaded, or the sharing mode cannot run here
  4    a client crashed or failed: partial results printed, marked incomplete
  130  interrupted (Ctrl-C): clients stopped`;

export function buildProgram(): Command {
  const program = new Command('gpushare-micro')
    .description(
      "Measure what it costs to share one NVIDIA GPU — time slicing, MPS, streams, green contexts, MIG: each client's throughput and latency against solo, and the context switches between them",
    )
    .version(packageVersion())
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro --kernel gemm --procs 4', 'four gemm clients time-sliced against one alone (run is the default command)'],
        ['gpushare-micro scenario run train+infer', 'a training job beside an inference service, under every sharing mode'],
        ['gpushare-micro sweep --procs 2,4 --modes timeslice,mps', 'the sharing modes compared in one table'],
        ['gpushare-micro info', 'the GPUs and which sharing modes can run here'],
        ['gpushare-micro <command> --help', "a command's options, defaults and examples"],
      ),
    )
    .addHelpText('after', EXIT_CODES_HELP);
  program.addCommand(runCommand(), { isDefault: true });
  program.addCommand(probeCommand());
  program.addCommand(infoCommand());
  program.addCommand(sweepCommand());
  program.addCommand(benchCommand());
  program.addCommand(monitorCommand());
  program.addCommand(mpsCommand());
  program.addCommand(migCommand());
  program.addCommand(reportCommand());
  program.addCommand(exportCommand());
  program.addCommand(mergeCommand());
  program.addCommand(scenarioCommand());
  program.addCommand(adviseCommand());
  program.addCommand(k8sCommand());
  for (const cmd of program.commands) {
    if (['run', 'probe', 'sweep', 'bench'].includes(cmd.name())) cmd.addHelpText('after', EXIT_CODES_HELP);
  }
  oneLineUsageErrors(program);
  return program;
}
