// `gpushare-micro probe`: the time slicer on its own, with the probe kernel. With a list in --smem,
// --threads or --regs it measures the switch gap once per state of their product (a probe curve).
import { Command, Option } from 'commander';
import { PROBE_DEFAULTS, type RawRunOptions } from '../config.js';
import type { RawProbeCurveOptions } from '../probe-curve.js';
import { PROBE_MAX_SHARED_BYTES, PROBE_REGISTER_CHOICES, PROBE_STATE_DEFAULTS, describeResident } from '../registry/probe-state.js';
import { fail, interruptSignal } from './common.js';
import { EXIT } from './exit-codes.js';
import { emit, examples, givenOptions, outputPlan, shownDefault } from './output.js';
import { commonOptions, execute, type Flags } from './run-command.js';

const isList = (raw: unknown) => typeof raw === 'string' && raw.includes(',');

/** The options given as probe-curve options (probe() applies its own defaults), without the output ones. */
function curveOptions(flags: Partial<Flags>): RawProbeCurveOptions {
  const { json: _json, quiet: _quiet, list: _list, keepTraces: _keep, format: _format, wide: _wide, baseline, ...rest } = flags;
  const options: Record<string, unknown> = { baseline: baseline ?? false };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) options[key] = value;
  return options as RawProbeCurveOptions;
}

async function curve(cmd: Command): Promise<number> {
  let interrupt: ReturnType<typeof interruptSignal> | undefined;
  try {
    const flags = givenOptions<Flags>(cmd);
    const options = curveOptions(flags);
    // Loaded only now: a usage error or --help needs none of the measuring code.
    const [{ probeCurve, probeCurveRuns }, { formatProbeCurve }] = await Promise.all([import('../probe-curve.js'), import('../report/probe-curve-table.js')]);
    probeCurveRuns(options); // every state's options checked before the first run
    const plan = outputPlan({ json: flags.json, format: cmd.opts().format, wide: flags.wide }, cmd);
    interrupt = interruptSignal();
    const result = await probeCurve(options, { signal: interrupt.signal, command: ['gpushare-micro', ...process.argv.slice(2)] }, (p, i, of) => {
      if (flags.quiet) return;
      const held = p.resident ? describeResident(p.resident) : 'state not reported';
      console.error(`probe state ${i + 1}/${of} (${held}): ${p.switches} switches${p.complete ? '' : ` — ${p.reason ?? 'incomplete'}`}`);
    });
    await emit(plan, result, (layout) => formatProbeCurve(result, layout), flags.quiet);
    if (interrupt.signal.aborted) return EXIT.interrupted;
    return result.points.every((p) => p.complete) ? EXIT.ok : EXIT.incomplete;
  } catch (error) {
    return fail(error);
  } finally {
    interrupt?.dispose();
  }
}

export function probeCommand(): Command {
  const cmd = new Command('probe')
    .description(`characterise the GPU's time slicing with the probe kernel (default ${PROBE_DEFAULTS.procs} processes, ${PROBE_DEFAULTS.duration})`)
    .option('--baseline', 'also run one probe client alone first')
    .addOption(
      shownDefault(
        new Option('--smem <bytes>', `shared memory each probe CTA (one per SM) fills, 0..${PROBE_MAX_SHARED_BYTES / 1024}K; a list measures each`),
        PROBE_STATE_DEFAULTS.sharedBytes,
      ),
    )
    .addOption(shownDefault(new Option('--threads <n>', 'threads per probe CTA, 1..1024; a list measures each'), PROBE_STATE_DEFAULTS.threads))
    .addOption(
      shownDefault(
        new Option('--regs <n>', `registers each probe thread keeps live: ${PROBE_REGISTER_CHOICES.join(', ')}; a list measures each`),
        PROBE_STATE_DEFAULTS.registers,
      ),
    );
  commonOptions(cmd, PROBE_DEFAULTS);
  cmd.addHelpText(
    'after',
    examples(
      ['gpushare-micro probe', 'two probe clients for 3 s: the time slices and the switch gaps between them'],
      ['gpushare-micro probe --procs 4 --spin-us 500', 'four clients, shorter probe CTAs'],
      ['gpushare-micro probe --baseline --json probe.json.gz', 'one probe client alone first; the result gzipped'],
      ['gpushare-micro probe --smem 0,64K,128K,200K --threads 256 --json probe-smem.json', 'the switch gap against the shared memory each CTA holds'],
      ['gpushare-micro probe --threads 1024 --regs 0,32,64', 'the switch gap against the registers each thread keeps live'],
    ),
  );
  cmd.action(async (_flags: Flags, self: Command) => {
    const given = givenOptions<Flags>(self);
    if (isList(given.smem) || isList(given.threads) || isList(given.regs)) {
      process.exitCode = await curve(self);
      return;
    }
    const defaults: Partial<RawRunOptions> = { procs: PROBE_DEFAULTS.procs, duration: PROBE_DEFAULTS.duration, baseline: false, kernel: 'probe' };
    process.exitCode = await execute(self, defaults);
  });
  return cmd;
}
