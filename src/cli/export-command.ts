// `gpushare-micro export --perfetto FILE RESULT`: a run's CTA traces (kept with run --keep-traces), its
// CUPTI kernel records (--cupti) and its switch gaps as a Chrome/Perfetto trace (src/report/perfetto.ts),
// to zoom into in ui.perfetto.dev.
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { OptionError } from '../errors.js';
import { integer } from '../options.js';
import { DEFAULT_MAX_CTAS, type PerfettoCounts } from '../report/perfetto.js';
import { checkOutputFile, fail, printError } from './common.js';
import { EXIT } from './exit-codes.js';
import { examples, givenOptions, shownDefault } from './output.js';

interface Flags {
  perfetto: string;
  traces?: string;
  maxCtas?: string;
  quiet?: boolean;
}

/** A line of what went into the trace. */
function said(file: string, c: PerfettoCounts, tracesFile: string | undefined): string {
  const ctas = tracesFile
    ? `${c.ctasWritten.toLocaleString('en-US')} CTA spans${c.ctasWritten < c.ctas ? ` (of ${c.ctas.toLocaleString('en-US')}: the earliest, up to ${(c.ctasCutAtNs! / 1e6).toFixed(1)} ms; --max-ctas for more)` : ''}${c.probeGaps > 0 ? `, ${c.probeGaps.toLocaleString('en-US')} probe gaps` : ''}`
    : 'no CTA spans (run with --keep-traces --json FILE to keep them)';
  const kernels =
    c.kernels > 0
      ? `${c.kernels.toLocaleString('en-US')} CUPTI kernels${c.kernelsUnaligned ? ' (on their own clock: the result predates its trace epoch)' : ''}`
      : 'no kernel records (run with --cupti)';
  return `wrote ${file}: ${ctas}, ${kernels}, ${c.switchGaps.toLocaleString('en-US')} switch gaps, ${c.slices.toLocaleString('en-US')} time slices; open it in https://ui.perfetto.dev`;
}

async function execute(result: string, flags: Flags): Promise<number> {
  try {
    const target = checkOutputFile('--perfetto', flags.perfetto);
    const maxCtas = flags.maxCtas === undefined ? undefined : integer('--max-ctas', flags.maxCtas, 1, 100_000_000);
    if (flags.traces !== undefined && !existsSync(flags.traces)) throw new OptionError('--traces', 'a traces file kept by run --keep-traces', flags.traces);
    const [{ loadRun }, { readTracesFile, tracesFileFor }, { writePerfetto }] = await Promise.all([
      import('../report/inputs.js'),
      import('../report/traces-file.js'),
      import('../report/perfetto.js'),
    ]);
    const run = await loadRun(result);
    const tracesFile = flags.traces ?? (existsSync(tracesFileFor(result)) ? tracesFileFor(result) : undefined);
    let traces: Awaited<ReturnType<typeof readTracesFile>> | undefined;
    if (tracesFile) {
      traces = await readTracesFile(tracesFile);
      if (traces.header.resultCreatedAt !== run.result.createdAt) {
        throw new OptionError(
          '--traces',
          `the traces of ${result} (${tracesFile} belongs to the result made at ${traces.header.resultCreatedAt}, ${result} was made at ${run.result.createdAt})`,
          tracesFile,
        );
      }
    }
    const counts = await writePerfetto(target, {
      result: run.result,
      ...(traces ? { traces: { epochGpuNs: BigInt(traces.header.epochGpuNs), clients: traces.clients } } : {}),
      maxCtas: maxCtas ?? DEFAULT_MAX_CTAS,
    });
    if (!flags.quiet) console.error(`gpushare-micro: ${said(flags.perfetto, counts, tracesFile)}`);
    return EXIT.ok;
  } catch (error) {
    // A result or traces file that is missing or not what it should be: an invalid argument, one line.
    const code = (error as { code?: string })?.code;
    if (code === 'ERR_REPORT_INPUT' || code === 'ERR_TRACES_FILE') {
      printError((error as Error).message);
      return EXIT.usage;
    }
    return fail(error);
  }
}

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'write a run as a Chrome/Perfetto trace to zoom into in ui.perfetto.dev: its CTAs per client and SM (kept with run --keep-traces), its CUPTI kernels (--cupti), its time slices and switch gaps',
    )
    .argument('<result>', 'a run result file (run --json FILE; FILE.gz is read too); its traces are read from the file beside it (RESULT.traces.gz)')
    .requiredOption('--perfetto <file>', 'the trace to write (Trace Event Format JSON), e.g. run.perfetto.json')
    .addOption(shownDefault(new Option('--traces <file>', 'the traces file kept with the result'), 'beside it, RESULT without .json plus .traces.gz'))
    .addOption(
      shownDefault(
        new Option('--max-ctas <n>', 'CTA spans written at most, the earliest first (about 80 MB at the default, which the browser opens)'),
        DEFAULT_MAX_CTAS,
      ),
    )
    .option('-q, --quiet', 'do not say what was written')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro run --procs 4 --duration 1s --keep-traces --json run.json', "a run that keeps its shared phase's CTA traces beside run.json"],
        ['gpushare-micro export --perfetto run.perfetto.json run.json', 'the trace to open in https://ui.perfetto.dev'],
      ),
    )
    .action(async (result: string, _flags: Flags, self: Command) => {
      process.exitCode = await execute(result, givenOptions<Flags>(self) as Flags);
    });
}
