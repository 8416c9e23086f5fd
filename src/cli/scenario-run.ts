// `gpushare-micro scenario run`, `scenario peak` and `advise`: a scenario's roles alone, then the whole
// scenario under each mode (and knob value), into a results directory; the verdicts before the tables.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadBinding } from '../binding/loader.js';
import { parseArrival } from '../clients/arrival.js';
import { parseSlos, type Slo } from '../clients/slo.js';
import { integer, MAX_RUNS, MODES, parseDuration, type ModeName } from '../config.js';
import { OptionError } from '../errors.js';
import { list } from '../options.js';
import { loadScenario } from '../scenario/file.js';
import type { ScenarioStep } from '../scenario/runner.js';
import type { Scenario } from '../scenario/scenario.js';
import { checkOutputDir, fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';
import { emit, examples, formatOption, givenOptions, shownDefault, jsonOption, outputPlan, wideOption } from './output.js';

export interface ScenarioFlags {
  modes?: string;
  duration?: string;
  warmup?: string;
  seed?: string;
  runs?: string;
  repeat?: string;
  knobSweep?: string;
  gpuCost?: string;
  out?: string;
  devices?: string;
  quiet?: boolean;
  format?: string;
  wide?: boolean;
  json?: string | boolean;
}

/** The scenario with the command line's changes: the modes to run, the duration, warm-up, seed and runs. */
export function withFlags(scenario: Scenario, flags: Pick<ScenarioFlags, 'modes' | 'duration' | 'warmup' | 'seed' | 'runs'>): Scenario {
  const modes =
    flags.modes === undefined
      ? scenario.modes
      : list('--modes', flags.modes, `modes among ${MODES.join(', ')}`).map((m) => {
          if (!(MODES as readonly unknown[]).includes(m)) throw new OptionError('--modes', `modes among ${MODES.join(', ')}`, flags.modes);
          return m as ModeName;
        });
  // Checked here, so that an error names the flag rather than the scenario file the value lands in.
  if (flags.duration !== undefined) parseDuration('--duration', flags.duration, 50e6, 3600e9);
  if (flags.warmup !== undefined) parseDuration('--warmup', flags.warmup, 0, 600e9);
  if (flags.seed !== undefined) integer('--seed', flags.seed, 0, Number.MAX_SAFE_INTEGER);
  if (flags.runs !== undefined) integer('--runs', flags.runs, 1, MAX_RUNS);
  const options = { ...scenario.options };
  if (flags.duration !== undefined) {
    options.duration = flags.duration;
    delete options.launches;
  }
  if (flags.warmup !== undefined) options.warmup = flags.warmup;
  if (flags.seed !== undefined) options.seed = flags.seed;
  if (flags.runs !== undefined) options.runs = flags.runs;
  return { ...scenario, modes: [...new Set(modes)], options };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** The default results directory: results/scenario-NAME-TIME. */
export function defaultScenarioDir(scenario: Scenario, kind = 'scenario'): string {
  return resolve('results', `${kind}-${scenario.name.replace(/[^A-Za-z0-9_.+-]/g, '_')}-${stamp()}`);
}

/** The steps of `scenario run`: each mode once per repeat, a knob sweep's modes once per value. */
async function planSteps(scenario: Scenario, flags: ScenarioFlags): Promise<ScenarioStep[]> {
  const { scenarioSteps } = await import('../scenario/runner.js');
  const repeat = flags.repeat === undefined ? 1 : integer('--repeat', flags.repeat, 1, 20);
  if (flags.knobSweep === undefined) return scenarioSteps(scenario, repeat);
  const { parseKnobSweep } = await import('../scenario/knobs.js');
  const sweep = parseKnobSweep(flags.knobSweep, scenario.roles, scenario.modes);
  const swept = sweep.plan.flatMap(({ mode, steps }) =>
    steps.map((s) => ({
      mode,
      changes: Object.keys(s.options).length > 0 ? { [sweep.role]: s.options } : {},
      ...(Object.keys(s.knobs).length > 0 ? { knobs: s.knobs } : {}),
    })),
  );
  return scenarioSteps(scenario, repeat, swept);
}

function progress(quiet: boolean) {
  return (e: import('../scenario/runner.js').ScenarioProgress) => {
    if (quiet) return;
    if (e.type === 'baseline') process.stderr.write(`  ${e.role} alone…\n`);
    if (e.type === 'step') process.stderr.write(`[${e.index + 1}/${e.total}] ${e.step.mode}${e.step.knobs ? ` ${JSON.stringify(e.step.knobs)}` : ''}…\n`);
    if (e.type === 'stepDone' && e.run.status !== 'done')
      process.stderr.write(`  ${e.run.status}${e.run.device !== undefined ? ` (GPU ${e.run.device})` : ''}: ${e.run.reason ?? ''}\n`);
  };
}

/** Runs the scenario into its directory and prints it; the exit code. `cmd` says which options were given (--format). */
export async function runScenarioCommand(nameOrFile: string, flags: ScenarioFlags, cmd: Command, advice?: (dir: string) => Promise<string[]>): Promise<number> {
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  try {
    const output = outputPlan({ json: flags.json, format: cmd.opts().format, wide: flags.wide }, cmd);
    const scenario = withFlags(await loadScenario(nameOrFile), flags);
    const steps = await planSteps(scenario, flags);
    const gpuCost = flags.gpuCost === undefined ? undefined : (await import('../scenario/cost.js')).parseGpuCost(flags.gpuCost);
    const outDir = checkOutputDir('--out', flags.out ?? defaultScenarioDir(scenario));
    const devices = flags.devices === undefined ? undefined : (await import('../fleet/device-pool.js')).parseDevices(flags.devices);
    const [{ runScenario, scenarioConfigs }, { formatScenario }, { renderPreformatted }, knobs, cost] = await Promise.all([
      import('../scenario/runner.js'),
      import('../report/scenario-table.js'),
      import('../report/layout.js'),
      import('../scenario/knobs.js'),
      import('../scenario/cost.js'),
    ]);
    scenarioConfigs(scenario, steps); // every step's options checked before any GPU work
    interrupt = interruptSignal();
    const summary = await runScenario(scenario, steps, {
      outDir,
      binding: loadBinding(),
      signal: interrupt.signal,
      command: ['gpushare-micro', ...process.argv.slice(2)],
      onProgress: progress(flags.quiet ?? false),
      ...(devices ? { devices } : {}),
    });
    const extra = [
      ...(flags.knobSweep ? ['', ...knobs.tradeOff(summary.runs)] : []),
      ...(gpuCost !== undefined ? ['', ...cost.formatCosts(cost.costSheet(summary.scenario.roles, summary.runs, gpuCost))] : []),
      ...(advice ? ['', ...(await advice(outDir))] : []),
    ];
    await emit(
      output,
      summary,
      (layout) => [formatScenario(summary, layout), renderPreformatted(extra.join('\n').trim(), layout)].filter(Boolean).join('\n\n'),
      flags.quiet,
    );
    console.error(`gpushare-micro: results in ${outDir} (scenario.json, runs/, baselines/); \`gpushare-micro report ${outDir}\` draws them`);
    if (interrupt.signal.aborted) return EXIT.interrupted;
    return summary.complete ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(shownDefault(new Option('--modes <list>', 'sharing modes to run it under'), "the scenario's"))
    .addOption(shownDefault(new Option('-d, --duration <time>', 'each phase'), "the scenario's"))
    .addOption(shownDefault(new Option('--warmup <time>', 'warm-up before each phase'), "the scenario's"))
    .addOption(shownDefault(new Option('--seed <n>', 'seed of the inputs and arrivals, the same for every mode'), 'random'))
    .addOption(
      shownDefault(
        new Option(
          '--runs <n>',
          'measure every mode this many times, the roles alone then shared, interleaved: each figure the median with its confidence interval, 1..100',
        ),
        "the scenario's, else 1",
      ),
    )
    .addOption(shownDefault(new Option('--repeat <n>', 'run every mode this many times, interleaved, to know the run-to-run noise'), 1))
    .option('--knob-sweep <role.knob=values>', 'try values of one knob, e.g. infer.mps-threads=25,50,100 or train.sms=33,66,99')
    .option('--gpu-cost <per-hour>', 'also the cost of 1,000 requests or launches per mode, against one GPU per client')
    .addOption(shownDefault(new Option('-o, --out <dir>', 'results directory'), 'results/scenario-NAME-TIME'))
    .option('--devices <list>', 'run independent steps on these GPUs at once, one step per GPU at a time: 0,1,… or all')
    .addOption(formatOption())
    .addOption(wideOption())
    .addOption(jsonOption('the scenario summary (scenario.json)'))
    .option('-q, --quiet', 'no progress on stderr');
}

export function scenarioRunSubcommand(): Command {
  return addRunOptions(
    new Command('run')
      .argument('<scenario>', 'a built-in scenario (gpushare-micro scenario list) or a YAML file')
      .description(
        'each role alone, then the whole scenario under each mode; per mode and role: throughput against alone, latency from arrival, SLOs; the verdicts first',
      ),
  )
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro scenario run train+infer', 'the built-in scenario under its modes: the verdicts, then the tables'],
        ['gpushare-micro scenario run train+infer --repeat 3 --modes mps,streams', 'two modes, three times each: the noise'],
        ['gpushare-micro scenario run my-mix.yaml --knob-sweep infer.mps-threads=10,25,100', "one knob's trade-off"],
        ['gpushare-micro scenario run mix4 --gpu-cost 3.50 --format markdown', 'with the cost per 1,000 requests, as Markdown'],
      ),
    )
    .action(async (name: string, _flags: ScenarioFlags, self: Command) => {
      process.exitCode = await runScenarioCommand(name, givenOptions<ScenarioFlags>(self), self);
    });
}

interface PeakFlags extends Pick<ScenarioFlags, 'modes' | 'warmup' | 'seed' | 'runs' | 'out' | 'quiet'> {
  role: string;
  slo?: string;
  low?: string;
  high?: string;
  steps?: string;
  minStep?: string;
  maxStep?: string;
}

/** The searched role, its arrival kind, the objective and the search's bounds, checked. */
function peakPlan(scenario: Scenario, flags: PeakFlags) {
  const role = scenario.roles.find((r) => r.client.role === flags.role);
  if (!role) throw new OptionError('--role', `a role of ${scenario.name} (${scenario.roles.map((r) => r.client.role).join(', ')})`, flags.role);
  const arrival = role.client.arrival === undefined ? undefined : parseArrival('--role', role.client.arrival);
  if (!arrival || arrival.kind === 'bursty') throw new OptionError('--role', 'a role with a poisson or constant arrival (an open loop at a rate)', flags.role);
  const own = role.client.slo === undefined ? undefined : parseSlos('--slo', role.client.slo);
  const slos: Slo[] = flags.slo !== undefined ? parseSlos('--slo', flags.slo) : (own ?? []);
  if (slos.length !== 1)
    throw new OptionError('--slo', `one objective to search under (the role has ${slos.length === 0 ? 'none' : 'several'}), e.g. p99<=5ms`, flags.slo);
  const rate = arrival.ratePerSec;
  const low = flags.low === undefined ? rate / 4 : parseRateFlag('--low', flags.low);
  const high = flags.high === undefined ? rate * 16 : parseRateFlag('--high', flags.high);
  if (!(high > low)) throw new OptionError('--high', `a rate above --low (${low}/s)`, flags.high ?? high);
  return { role: flags.role, kind: arrival.kind, slo: slos[0]!, low, high, maxSteps: flags.steps === undefined ? 8 : integer('--steps', flags.steps, 2, 30) };
}

function parseRateFlag(option: string, raw: string): number {
  return (parseArrival(option, `constant:${raw}`) as { ratePerSec: number }).ratePerSec;
}

/** `scenario peak`: per mode, the highest rate of the role that meets its SLO with the others running. */
export async function peakCommand(nameOrFile: string, flags: PeakFlags): Promise<number> {
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  try {
    const scenario = withFlags(await loadScenario(nameOrFile), flags);
    const plan = peakPlan(scenario, flags);
    const minNs = parseDuration('--min-step', flags.minStep ?? '2s', 500e6, 600e9);
    const maxNs = parseDuration('--max-step', flags.maxStep ?? '20s', minNs, 3600e9);
    const outDir = checkOutputDir('--out', flags.out ?? defaultScenarioDir(scenario, 'peak'));
    const { searchPeaks } = await import('../scenario/peak-run.js');
    interrupt = interruptSignal();
    const lines = await searchPeaks(scenario, { ...plan, minNs, maxNs, outDir, signal: interrupt.signal, binding: loadBinding(), quiet: flags.quiet ?? false });
    console.log(lines.join('\n'));
    console.error(`gpushare-micro: results in ${outDir} (peak.json, one directory per mode and rate)`);
    return interrupt.signal.aborted ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function scenarioPeakSubcommand(): Command {
  return new Command('peak')
    .argument('<scenario>', 'a built-in scenario or a YAML file')
    .description('per mode, the highest arrival rate of one role that still meets its SLO with the other roles running')
    .requiredOption('--role <name>', 'the open-loop role whose rate is searched')
    .addOption(shownDefault(new Option('--slo <objective>', 'the objective to meet, e.g. p99<=5ms'), "the role's own"))
    .addOption(shownDefault(new Option('--low <rate>', 'rate to start from, requests/s'), "a quarter of the scenario's"))
    .addOption(shownDefault(new Option('--high <rate>', 'rate not to go beyond'), "16 times the scenario's"))
    .addOption(shownDefault(new Option('--steps <n>', 'most runs per mode'), 8))
    .addOption(shownDefault(new Option('--min-step <time>', 'shortest step; a step lasts long enough for the percentile to be meaningful'), '2s'))
    .addOption(shownDefault(new Option('--max-step <time>', 'longest step'), '20s'))
    .addOption(shownDefault(new Option('--modes <list>', 'sharing modes'), "the scenario's"))
    .addOption(shownDefault(new Option('--warmup <time>', 'warm-up before each phase'), "the scenario's"))
    .addOption(shownDefault(new Option('--seed <n>', 'seed of the inputs and arrivals, the same for every step'), 'random'))
    .addOption(
      shownDefault(new Option('--runs <n>', 'measure every step this many times, interleaved; the SLO is checked on the median'), "the scenario's, else 1"),
    )
    .addOption(shownDefault(new Option('-o, --out <dir>', 'results directory'), 'results/peak-NAME-TIME'))
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro scenario peak train+infer --role infer', "per mode, the highest inference rate that meets the role's SLO"],
        ['gpushare-micro scenario peak train+infer --role infer --slo "p99<=2ms" --modes mps,streams', 'another objective, two modes'],
      ),
    )
    .action(async (name: string, _flags: PeakFlags, self: Command) => {
      process.exitCode = await peakCommand(name, givenOptions<PeakFlags>(self) as PeakFlags);
    });
}

interface AdviseFlags extends ScenarioFlags {
  objective?: string;
  slo?: string[];
}

/** The advice (the pick and its lines) for the scenario results in `dir`, for the objective and SLOs of the flags. */
async function adviceFor(dir: string, flags: AdviseFlags): Promise<import('../scenario/advise.js').Advice> {
  const [{ readFile }, { join }, { checkFile }, schema, advise, cost] = await Promise.all([
    import('node:fs/promises'),
    import('node:path'),
    import('../report/check.js'),
    import('../scenario/result-schema.js'),
    import('../scenario/advise.js'),
    import('../scenario/cost.js'),
  ]);
  const file = join(dir, schema.SCENARIO_SUMMARY_FILE);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new OptionError('scenario', `a scenario results directory (holding ${schema.SCENARIO_SUMMARY_FILE}), a built-in scenario or a YAML file`, dir);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OptionError('scenario', `a results directory whose ${schema.SCENARIO_SUMMARY_FILE} is JSON`, file);
  }
  const parsed = checkFile(schema.scenarioSummarySchema, value);
  if (!parsed.success) throw new OptionError('scenario', `a ${schema.SCENARIO_SCHEMA} v${schema.SCENARIO_SCHEMA_VERSION} summary (${parsed.problem})`, file);
  const roles = parsed.data.scenario.roles.map((r) => r.role);
  return advise.advise({
    summary: parsed.data,
    // Without SLOs there is nothing to meet: the default objective is then the most aggregate throughput.
    objective: advise.parseObjective(flags.objective ?? (parsed.data.scenario.roles.some((r) => r.slo?.length) ? 'slo' : 'throughput')),
    ...(flags.slo ? { slos: advise.parseSloFlags(flags.slo, roles) } : {}),
    ...(flags.gpuCost !== undefined ? { gpuCost: cost.parseGpuCost(flags.gpuCost) } : {}),
  });
}

/** `advise DIR`: from a scenario's results; `advise SCENARIO`: runs it first (with the run options), then advises. */
export async function adviseCommandAction(target: string, flags: AdviseFlags, cmd: Command): Promise<number> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  if (existsSync(join(target, 'scenario.json'))) {
    try {
      const output = outputPlan({ json: flags.json, format: cmd.opts().format, wide: flags.wide }, cmd);
      const advice = await adviceFor(target, flags);
      const { renderPreformatted } = await import('../report/layout.js');
      await emit(output, advice, (layout) => renderPreformatted(advice.lines.join('\n'), layout), flags.quiet);
      return EXIT.ok;
    } catch (error) {
      return fail(error);
    }
  }
  // Checked before the scenario runs: a bad objective or cost must not cost a measurement.
  try {
    const { parseObjective } = await import('../scenario/advise.js');
    if (flags.objective !== undefined) parseObjective(flags.objective);
  } catch (error) {
    return fail(error);
  }
  return runScenarioCommand(target, { ...flags, gpuCost: undefined } as ScenarioFlags, cmd, async (dir) => (await adviceFor(dir, flags)).lines);
}

export function adviseCommand(): Command {
  return addRunOptions(
    new Command('advise')
      .argument('<scenario>', 'a scenario results directory, or a built-in scenario or YAML file to run first')
      .description('which sharing mode (and knob) for a scenario and an objective, with the measured evidence and the noise')
      .addOption(
        new Option('--objective <objective>', 'slo (meet every SLO, keep the most of the rest), throughput or fairness')
          .choices(['slo', 'throughput', 'fairness'])
          .default('slo', 'slo, or throughput when no role has an SLO'),
      )
      .option('--slo <role:objectives>', 'an SLO of a role, replacing its own, e.g. infer:p99<=5ms (repeatable)', (v: string, prev: string[] | undefined) => [
        ...(prev ?? []),
        v,
      ]),
  )
    .addHelpText(
      'after',
      examples(
        ['gpushare-micro advise results/scenario-train+infer-20261201-101500', "the pick for the scenario's SLOs, from its recorded results"],
        ['gpushare-micro advise train+infer --repeat 3', 'run the built-in scenario three times first, then advise'],
        ['gpushare-micro advise DIR --objective throughput --gpu-cost 3.50', 'another objective, with the cost'],
        ['gpushare-micro advise DIR --slo "infer:p99<=900us"', 'a tighter SLO than the scenario gave'],
      ),
    )
    .action(async (target: string, _flags: AdviseFlags, self: Command) => {
      process.exitCode = await adviseCommandAction(target, givenOptions<AdviseFlags>(self), self);
    });
}
