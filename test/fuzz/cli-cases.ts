// Generated bad invocations of every command: each is invalid in exactly one way (a number written in
// hex, a path under /proc, an unknown option, a missing argument, ...) and must end with exit code 2,
// one stderr line naming the option or file, and nothing on stdout. The cases never include a run that
// could change the machine: no `mig apply --yes`, and every `mps start` is invalid before a daemon
// could start.
import fc from 'fast-check';
import { KERNELS, LOOPS, MODES } from '../../src/config.js';
import { BENCH_KERNELS, BENCH_PRESET_NAMES } from '../../src/bench/presets.js';
import { KERNEL_PRESETS } from '../../src/registry/presets.js';
import { MODEL_KEYS } from '../../src/mig/profiles.js';

export interface Case {
  /** Which command the case belongs to (for the report). */
  command: string;
  args: string[];
  /** The stderr line must contain this: the option, argument or file at fault. */
  names: string;
  /** Expected exit code (2 unless said). */
  exit?: number;
  /** Files the case reads, by name relative to the directory it runs in: written before it runs. */
  files?: Record<string, string>;
}

/** Paths the cases need: a regular file (a "directory" that is a file) and a directory. */
export interface Fixtures {
  file: string;
  dir: string;
}

const HUGE = 100_000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Any text that is not in `valid` (and is not a decimal number where one is valid). */
const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }).filter((s) => !s.includes('\0'));

/** Writings that are no plain decimal integer in min..max. */
function badInteger(min: number, max: number): fc.Arbitrary<string> {
  const inRange = fc.integer({ min: Math.max(min, 0), max: Math.min(max, 1_000_000) });
  return fc.oneof(
    inRange.map((n) => `0x${n.toString(16)}`),
    inRange.map((n) => `0b${n.toString(2)}`),
    inRange.map((n) => `0o${n.toString(8)}`),
    inRange.map((n) => `${n}e0`),
    inRange.map((n) => `${n}.5`),
    inRange.map((n) => `${n.toLocaleString('en-US')}_0`),
    inRange.map((n) => `${n} apples`),
    fc.integer({ min: -1_000_000_000, max: min - 1 }).map(String),
    max >= MAX_SAFE ? fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }).map(String) : fc.integer({ min: max + 1, max: max + 1_000_000 }).map(String),
    fc.constantFrom('', ' ', 'NaN', 'Infinity', '-Infinity', '１２', '٣', '+-1', '--1', '1..2', `${'9'.repeat(HUGE)}`),
    text.filter((s) => !/^\s*[+-]?\d+\s*$/.test(s)),
  );
}

/** Writings that are no plain decimal number in min..max. */
function badDecimal(min: number, max: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 1, max: 9 }).map((n) => `${n}e1`),
    fc.integer({ min: 1, max: 999 }).map((n) => `0x${n.toString(16)}`),
    fc.double({ min: max * 2 + 1, max: max * 1000, noNaN: true }).map((n) => n.toFixed(2)),
    min > 0 ? fc.double({ min: 0, max: min / 2, noNaN: true }).map((n) => n.toFixed(6)) : fc.constant('-1'),
    fc.constantFrom('', 'Infinity', 'NaN', '1,5', '.', '-', 'x'.repeat(HUGE)),
    text.filter((s) => !/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(s)),
  );
}

/** Writings that are no duration from minMs to maxMs. */
function badDuration(minMs: number, maxMs: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 1, max: 99 }).map((n) => `${n} parsecs`),
    fc.integer({ min: 1, max: 99 }).map((n) => `${n}e1s`),
    fc.integer({ min: 1, max: 99 }).map((n) => `0x${n}s`),
    fc.integer({ min: 1, max: 99 }).map((n) => `-${n}s`),
    fc.integer({ min: Math.floor(maxMs / 1000) + 1, max: Math.floor(maxMs / 1000) * 10 + 10 }).map((n) => `${n}s`),
    minMs > 1 ? fc.integer({ min: 0, max: minMs - 1 }).map((n) => `${n}ms`) : fc.constant('1h'),
    fc.constantFrom('', 'soon', '1 2s', 's', 'Infinity', '5S', '1d', 'x'.repeat(HUGE)),
  );
}

/** Anything that is not one of `valid`. */
function badChoice(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    text.filter((s) => !valid.includes(s)),
    // The same name in the other case (choices are case-sensitive); no filter: one that always rejects would never end.
    fc.constantFrom(...valid).map((v) => (v.toUpperCase() !== v ? v.toUpperCase() : `${v.toLowerCase()}Z`)),
    fc.constantFrom(...valid).map((v) => `${v}x`),
    fc.constant('y'.repeat(HUGE)),
  );
}

/** A comma-separated list of valid integers with one bad element (`bad`: the writings that are no valid element). */
function badList(min: number, max: number, bad: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const good = fc.integer({ min, max: Math.min(max, min + 10) }).map(String);
  return fc.oneof(
    fc
      .tuple(
        fc.array(good, { maxLength: 3 }),
        bad.filter((s) => !s.includes(',') && s.trim() !== '' && s.length < 1000),
      )
      .map(([g, b]) => [...g, b].join(',')),
    fc.constantFrom('', ',', '1,,2', `${min},`),
  );
}

function badIntegerList(min: number, max: number): fc.Arbitrary<string> {
  return badList(min, max, badInteger(min, max));
}

function badFilePath(f: Fixtures): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('/proc/gsm-fuzz.json', '/sys/gsm-fuzz.json', '/proc/self/gsm-fuzz.json', `${f.file}/x.json`, f.dir, '/dev/null', '', ' '),
    fc.stringMatching(/^[a-z]{1,12}$/).map((s) => `/nonexistent-gsm-${s}/x.json`),
    fc.constant(`${'n'.repeat(5000)}.json`),
  );
}

function badDirPath(f: Fixtures): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('/proc/gsm-fuzz', '/sys/gsm-fuzz', '/proc/self/gsm/fuzz', `${f.file}/sub`, f.file, '/dev/null', '', ' '),
    fc.constant(`${'d'.repeat(5000)}`),
  );
}

/** `--name value` or `--name=value` (always the latter where the value could pass for an option). */
function option(name: string, value: fc.Arbitrary<string>): fc.Arbitrary<string[]> {
  return fc.tuple(value, fc.boolean()).map(([v, joined]) => (joined || v.startsWith('-') ? [`${name}=${v}`] : [name, v]));
}

/** One bad value for `name`, after the options it needs (`before`), named in the error. */
function bad(command: string, words: string[], name: string, value: fc.Arbitrary<string>, before: string[] = []): fc.Arbitrary<Case> {
  return option(name, value).map((o) => ({ command, args: [...words, ...before, ...o], names: name }));
}

/** Errors commander reports: an unknown option, an option without its value (`valued`: options that take one), an extra argument. */
function structural(command: string, words: string[], valued: string[], extraArgument = true): fc.Arbitrary<Case> {
  // "--x-" makes sure that no real option is hit.
  const unknown = fc.oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/).map((s) => `--x-${s}`),
    fc.constant(`--x-${'z'.repeat(HUGE)}`),
  );
  const cases: Array<fc.Arbitrary<Case>> = [unknown.map((o) => ({ command, args: [...words, o], names: o.slice(0, 40) }))];
  if (extraArgument) cases.push(fc.stringMatching(/^[a-z][a-z0-9]{0,12}$/).map((extra) => ({ command, args: [...words, extra], names: extra })));
  if (valued.length > 0) cases.push(fc.constantFrom(...valued).map((o) => ({ command, args: [...words, o], names: o })));
  return fc.oneof(...cases);
}

const RUN_INTEGERS: Array<[string, number, number]> = [
  ['--procs', 1, 64],
  ['--launches', 1, 1e9],
  ['--depth', 2, 64],
  ['--device', 0, 1023],
  ['--trace-records', 0, 500_000_000],
  ['--seed', 0, MAX_SAFE],
  ['--sample-ms', 0, 10_000],
];

function runCases(command: 'run' | 'probe', f: Fixtures): fc.Arbitrary<Case> {
  const w = [command];
  const cases: Array<fc.Arbitrary<Case>> = [
    ...RUN_INTEGERS.map(([name, min, max]) => bad(command, w, name, badInteger(min, max))),
    bad(command, w, '--duration', badDuration(50, 3_600_000)),
    bad(command, w, '--warmup', badDuration(0, 600_000)),
    bad(command, w, '--spin-us', badDecimal(10, 10_000_000)),
    bad(command, w, '--gap-threshold-us', badDecimal(0.1, 1e6)),
    bad(command, w, '--mode', badChoice(MODES)),
    bad(command, w, '--loop', badChoice(LOOPS)),
    bad(command, w, '--json', badFilePath(f)),
    // A run's thread percentages may have a fraction (a sweep's may not).
    bad(command, w, '--mps-threads', badList(1, 100, badDecimal(1, 100)), ['--mode', 'mps']),
    bad(command, w, '--mps-mem', fc.constantFrom('512K', '0', '1e3G', '0x10G', '4Q', '', 'Infinity', '99999999T'), ['--mode', 'mps']),
    bad(command, w, '--priority', fc.constantFrom('urgent', '0x1', '1.5', '', ',', 'high,,low'), ['--mode', 'streams']),
    bad(command, w, '--sm-split', fc.constantFrom('0x20,0x20', '32', '32,0', '32,1.5', '', '32,32,32'), ['--mode', 'green', '--procs', '2']),
    // An option of one mode with another mode, and options that exclude each other.
    fc
      .constantFrom<[string, string[]]>(
        ['--mps-threads', ['--mps-threads', '50']],
        ['--mps-pipe', ['--mps-pipe', '/tmp']],
        ['--priority', ['--mode', 'mps', '--priority', 'high']],
        ['--sm-split', ['--mode', 'streams', '--sm-split', '32,32']],
        ['--depth', ['--loop', 'closed', '--depth', '4']],
        ['--launches', ['--duration', '1s', '--launches', '10']],
        ['--pm-sampling', ['--mode', 'streams', '--pm-sampling']],
        ['--keep-traces', ['--keep-traces']],
      )
      .map(([names, args]) => ({ command, args: [command, ...args], names })),
    // --json takes an optional value (no value: stdout), so it is no "argument missing" case.
    structural(command, w, ['--procs', '--duration', '--mode']),
  ];
  if (command === 'run') {
    cases.push(
      bad(command, w, '--kernel', badChoice(KERNELS)),
      bad(command, w, '--runs', badInteger(1, 100)),
      bad(command, w, '--size', badInteger(1, 32768)),
      bad(command, w, '--preset', badChoice(KERNEL_PRESETS.map((p) => p.name))),
      bad(command, w, '--impl', badChoice(['own', 'cublas'])),
      bad(command, w, '--dtype', badChoice(['bf16', 'fp16', 'tf32', 'fp32'])),
      bad(command, w, '--shape', fc.constantFrom('1,2', '1,2,3,4', '0x10,16,16', '16,16,1e2', '16,16,131073', '', '16,,16')),
      // conv shapes whose tensors have more elements than 32-bit indexing reaches
      bad(
        command,
        w,
        '--shape',
        fc.constantFrom('100000,100000,224,224,64,3,3,1,1', '256,64,2147483647,2147483647,64,3,3,1,1', '1,65536,65536,65536,1,1,1,1,0'),
        ['--kernel', 'conv'],
      ),
      // model workloads: each shape field against the registry's rule
      bad(command, w, '--workload', badChoice(['resnet50-train', 'resnet50-infer', 'bert-base-train', 'bert-base-infer', 'llm-decode'])),
      bad(command, w, '--batch', badInteger(1, 4096), ['--kernel', 'resnet50-train']),
      bad(command, w, '--input', fc.constantFrom('0', '31', '64', '225', '0x20', '32.5', ''), ['--kernel', 'resnet50-infer']),
      bad(command, w, '--seq', badInteger(1, 512), ['--kernel', 'bert-base-train']),
      bad(command, w, '--kv', badInteger(2, 32768), ['--kernel', 'llm-decode']),
      bad(command, w, '--impl', badChoice(['own', 'library']), ['--kernel', 'llm-decode']),
    );
  }
  return fc.oneof(...cases);
}

function sweepCases(f: Fixtures): fc.Arbitrary<Case> {
  const w = ['sweep'];
  return fc.oneof(
    bad('sweep', w, '--sizes', badIntegerList(1, 32768)),
    bad('sweep', w, '--procs', badIntegerList(1, 64)),
    bad('sweep', w, '--mps-threads', badIntegerList(1, 100), ['--modes', 'mps']),
    bad('sweep', w, '--kernels', badChoice(['gemm', 'probe'])),
    bad('sweep', w, '--modes', badChoice(MODES)),
    bad('sweep', w, '--loops', badChoice(LOOPS)),
    bad('sweep', w, '--duration', badDuration(50, 3_600_000)),
    bad('sweep', w, '--warmup', badDuration(0, 600_000)),
    bad('sweep', w, '--depth', badInteger(2, 64)),
    bad('sweep', w, '--trace-records', badInteger(0, 500_000_000)),
    bad('sweep', w, '--device', badInteger(0, 1023)),
    bad('sweep', w, '--devices', fc.constantFrom('0,0', '-1', '1.5', 'gpu0', '', '0,,1', 'any', '0x1')),
    bad('sweep', w, '--seed', badInteger(0, MAX_SAFE)),
    bad('sweep', w, '--runs', badInteger(1, 100)),
    bad('sweep', w, '--out', badDirPath(f)),
    bad('sweep', w, '--format', badChoice(['table', 'markdown', 'csv'])),
    fc.constantFrom<Case>(
      { command: 'sweep', args: ['sweep', '--resume'], names: '--resume' },
      { command: 'sweep', args: ['sweep', '--modes', 'streams', '--mps-threads', '50'], names: '--mps-threads' },
      { command: 'sweep', args: ['sweep', '--out', f.dir, '--resume'], names: '--resume' },
      { command: 'sweep', args: ['sweep', '--devices', '0,1', '--device', '0'], names: '--devices' },
    ),
    structural('sweep', w, ['--sizes', '--procs', '--out', '--format']),
  );
}

function benchCases(f: Fixtures): fc.Arbitrary<Case> {
  const w = ['bench'];
  return fc.oneof(
    bad(
      'bench',
      w,
      '--preset',
      badChoice(BENCH_PRESET_NAMES).filter((s) => !s.includes(',')),
    ),
    bad('bench', w, '--kernel', badChoice(BENCH_KERNELS.map((k) => k.name))),
    bad('bench', w, '--shape', fc.constantFrom('4096,4096', '0x10,16,16', '16,16,1.5', '16,16,131073', '', '1,2,3,4'), ['--kernel', 'gemm']),
    bad('bench', w, '--shape', fc.constantFrom('100000,100000,224,224,64,3,3,1,1', '1,1,1,1,1,1,1,1', '256,64,65536,65536,64,3,3,1,1'), ['--kernel', 'conv']),
    bad('bench', w, '--shape', fc.constantFrom('8,16,4096,128,2', '65536,65536,65536,128,0', '8,16,4096,128'), ['--kernel', 'attention']),
    bad('bench', w, '--dtype', badChoice(['bf16', 'fp16', 'tf32', 'fp32']), ['--kernel', 'gemm', '--shape', '64,64,64']),
    bad('bench', w, '--launches', badInteger(1, 100_000)),
    bad('bench', w, '--warmup', badDuration(0, 600_000)),
    bad('bench', w, '--device', badInteger(0, 1023)),
    bad('bench', w, '--seed', badInteger(0, MAX_SAFE)),
    bad('bench', w, '--json', badFilePath(f)),
    fc.constantFrom<Case>(
      { command: 'bench', args: ['bench', '--shape', '64,64,64'], names: '--shape' },
      { command: 'bench', args: ['bench', '--kernel', 'gemm'], names: '--shape' },
      { command: 'bench', args: ['bench', '--kernel', 'gemm', '--preset', 'gemm-bf16-4096', '--shape', '64,64,64'], names: '--kernel' },
    ),
    structural('bench', w, ['--preset', '--kernel', '--launches']),
  );
}

function reportCases(f: Fixtures): fc.Arbitrary<Case> {
  const input = fc.stringMatching(/^[a-z]{1,12}$/).map((s) => `/nonexistent-gsm/${s}.json`);
  return fc.oneof(
    input.map((p) => ({ command: 'report', args: ['report', p], names: p })),
    fc.constant<Case>({ command: 'report', args: ['report', f.file], names: f.file }),
    fc.constant<Case>({ command: 'report', args: ['report', f.dir], names: f.dir }),
    fc.constant<Case>({ command: 'report', args: ['report', f.file, f.file, f.file], names: 'report' }),
    bad('report', ['report', f.file], '--output', badFilePath(f)),
    fc.constant<Case>({ command: 'report', args: ['report'], names: 'inputs' }),
    // Every word is an input to report: no extra-argument case.
    structural('report', ['report', f.file], ['--output'], false),
  );
}

function exportCases(f: Fixtures): fc.Arbitrary<Case> {
  const input = fc.stringMatching(/^[a-z]{1,12}$/).map((s) => `/nonexistent-gsm/${s}.json`);
  const w = ['export', '--perfetto', 'trace.json', f.file];
  return fc.oneof(
    input.map((p) => ({ command: 'export', args: ['export', '--perfetto', 'trace.json', p], names: p })),
    // A file that is no result (the fixture file is not JSON), a directory, no --perfetto, no result.
    fc.constant<Case>({ command: 'export', args: w, names: f.file }),
    fc.constant<Case>({ command: 'export', args: ['export', '--perfetto', 'trace.json', f.dir], names: f.dir }),
    fc.constant<Case>({ command: 'export', args: ['export', f.file], names: '--perfetto' }),
    fc.constant<Case>({ command: 'export', args: ['export', '--perfetto', 'trace.json'], names: 'result' }),
    bad('export', ['export', f.file], '--perfetto', badFilePath(f)),
    bad('export', w, '--max-ctas', badInteger(1, 100_000_000)),
    input.map((p) => ({ command: 'export', args: [...w, '--traces', p.replace(/\.json$/, '.traces.gz')], names: '--traces' })),
    structural('export', w, ['--perfetto', '--traces', '--max-ctas']),
  );
}

function mergeCases(f: Fixtures): fc.Arbitrary<Case> {
  const input = fc.stringMatching(/^[a-z]{1,12}$/).map((s) => `/nonexistent-gsm/${s}`);
  return fc.oneof(
    input.map((p) => ({ command: 'merge', args: ['merge', p, '-o', 'merged'], names: p })),
    fc.constant<Case>({ command: 'merge', args: ['merge', f.dir, '-o', 'merged'], names: f.dir }),
    fc.constant<Case>({ command: 'merge', args: ['merge', f.dir], names: '--out' }),
    fc.constant<Case>({ command: 'merge', args: ['merge', '-o', 'merged'], names: 'dirs' }),
    bad('merge', ['merge', f.dir], '--out', badDirPath(f)),
    // Every word is a directory to merge: no extra-argument case.
    structural('merge', ['merge', f.dir], ['--out'], false),
  );
}

function monitorCases(): fc.Arbitrary<Case> {
  const w = ['monitor'];
  return fc.oneof(
    bad('monitor', w, '--interval', badInteger(50, 60_000)),
    bad('monitor', w, '--duration', badDuration(100, 7 * 86_400_000)),
    bad('monitor', w, '--device', badIntegerList(0, 1023)),
    bad('monitor', w, '--prometheus', badInteger(0, 65_535)),
    bad('monitor', w, '--listen', fc.constantFrom('example.com', '300.1.1.1', '', '::g', 'x'.repeat(HUGE)), ['--prometheus', '0']),
    fc.constantFrom<Case>(
      { command: 'monitor', args: ['monitor', '--listen', '127.0.0.1'], names: '--listen' },
      { command: 'monitor', args: ['monitor', '--once', '--duration', '1s'], names: '--once' },
      { command: 'monitor', args: ['monitor', '--once', '--prometheus', '0'], names: '--once' },
      { command: 'monitor', args: ['monitor', '--quiet'], names: '--quiet' },
    ),
    structural('monitor', w, ['--interval', '--duration', '--device', '--prometheus', '--listen']),
  );
}

function mpsCases(f: Fixtures): fc.Arbitrary<Case> {
  const badPipe = fc.constantFrom('', ' ', f.file, `${'p'.repeat(5000)}`);
  return fc.oneof(
    // `mps start` is invalid in every case: no daemon may start.
    bad('mps start', ['mps', 'start'], '--pipe', badDirPath(f)),
    bad('mps start', ['mps', 'start'], '--log', badDirPath(f), ['--pipe', `${f.dir}/pipe`]),
    bad('mps stop', ['mps', 'stop'], '--pipe', badPipe),
    bad('mps status', ['mps', 'status'], '--pipe', badPipe),
    structural('mps start', ['mps', 'start'], ['--pipe', '--log']),
    structural('mps stop', ['mps', 'stop'], ['--pipe']),
    structural('mps status', ['mps', 'status'], ['--pipe']),
    fc.constant<Case>({ command: 'mps', args: ['mps'], names: 'mps' }),
    fc
      .stringMatching(/^[a-z]{1,12}$/)
      .filter((s) => !['start', 'stop', 'status', 'help'].includes(s))
      .map((s) => ({ command: 'mps', args: ['mps', s], names: s })),
  );
}

function migCases(): fc.Arbitrary<Case> {
  const profile = fc.stringMatching(/^[0-9][a-z]\.[0-9]{1,3}[a-z]{2}$/).filter((s) => !/^[1-7]g\.\d+gb$/.test(s));
  return fc.oneof(
    fc.constant<Case>({ command: 'mig', args: ['mig'], names: 'mig' }),
    fc
      .stringMatching(/^[a-z]{1,12}$/)
      .filter((s) => !['list', 'plan', 'apply', 'help'].includes(s))
      .map((s) => ({ command: 'mig', args: ['mig', s], names: s })),
    structural('mig list', ['mig', 'list'], []),
    fc.constant<Case>({ command: 'mig plan', args: ['mig', 'plan'], names: 'profiles' }),
    bad('mig plan', ['mig', 'plan', '3g.71gb'], '--gpu', badInteger(0, 63), ['--model', 'H200-141GB']),
    bad('mig plan', ['mig', 'plan', '3g.71gb'], '--model', badChoice(MODEL_KEYS)),
    profile.map((p) => ({ command: 'mig plan', args: ['mig', 'plan', p, '--model', 'H200-141GB'], names: p })),
    structural('mig plan', ['mig', 'plan', '3g.71gb', '--model', 'H200-141GB'], ['--gpu', '--model']),
    // `mig apply` never gets --yes here: without it nothing runs, not even nvidia-smi.
    fc.constant<Case>({ command: 'mig apply', args: ['mig', 'apply', '3g.71gb'], names: '--gpu' }),
    fc.constant<Case>({ command: 'mig apply', args: ['mig', 'apply', '3g.71gb', '--gpu', '0'], names: '--yes' }),
    bad('mig apply', ['mig', 'apply', '3g.71gb'], '--gpu', badInteger(0, 63)),
  );
}

/** A valid scenario file, one value per line: each case spoils one line. */
const SCENARIO_LINES = [
  'duration: 2s',
  'modes: [timeslice, mps]',
  'roles:',
  '  infer:',
  '    preset: bert-base',
  '    arrival: poisson:100/s',
  '    slo: p99<=5ms',
  '    count: 1',
  '    knobs:',
  '      mps: { mps-threads: 50 }',
];

/** A name for a file from its text (the same text, the same name). */
function fileName(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = (h * 33 + text.charCodeAt(i)) >>> 0;
  return `scenario-${h.toString(36)}.yaml`;
}

/**
 * The scenario above with line `line` (1-based) made by `lineText` from a bad value (as YAML writes it):
 * `scenario show` must name the file, that line and the field.
 */
function badScenario(line: number, field: string, lineText: (value: string) => string, written: fc.Arbitrary<string>): fc.Arbitrary<Case> {
  return written.map((value) => {
    const lines = [...SCENARIO_LINES];
    lines[line - 1] = lineText(value);
    const text = `${lines.join('\n')}\n`;
    const name = fileName(text);
    return { command: 'scenario show', args: ['scenario', 'show', name], names: `${name}:${line}: ${field}`, files: { [name]: text } };
  });
}

/** A bad value written as a YAML string (JSON's quoting is YAML's): YAML reads it as text, never as a number. */
const quoted = (value: fc.Arbitrary<string>) => value.map((v) => JSON.stringify(v));

function scenarioCases(f: Fixtures): fc.Arbitrary<Case> {
  const notArrival = text.filter((s) => !/^\s*(poisson|constant|bursty)\s*:/.test(s));
  return fc.oneof(
    badScenario(1, 'duration', (v) => `duration: ${v}`, quoted(badDuration(50, 3_600_000))),
    badScenario(2, 'modes[1]', (v) => `modes: [timeslice, ${v}]`, quoted(badChoice(MODES))),
    badScenario(5, 'roles.infer.preset', (v) => `    preset: ${v}`, quoted(badChoice(KERNEL_PRESETS.map((p) => p.name)))),
    badScenario(
      6,
      'roles.infer.arrival',
      (v) => `    arrival: ${v}`,
      quoted(fc.oneof(notArrival, fc.constantFrom('poisson:0/s', 'poisson:-1/s', 'constant:2000000/s', 'bursty:0ms/1s', 'poison:2', 'poisson:1e3/s'))),
    ),
    badScenario(
      7,
      'roles.infer.slo',
      (v) => `    slo: ${v}`,
      quoted(
        fc.oneof(
          text.filter((s) => !/^\s*(p\d|max)/.test(s)),
          fc.constantFrom('p99<5', 'p42<=1ms', 'p99<=0ms', 'p99<=5ms&p99<=6ms'),
        ),
      ),
    ),
    badScenario(
      8,
      'roles.infer.count',
      (v) => `    count: ${v}`,
      fc.oneof(quoted(badInteger(1, 64)), fc.integer({ min: 65, max: 1_000_000 }).map(String), fc.constantFrom('0', '-1', '1.5')),
    ),
    badScenario(
      10,
      'roles.infer.knobs.mps.mps-threads',
      (v) => `      mps: { mps-threads: ${v} }`,
      fc.oneof(quoted(badDecimal(1, 100)), fc.constantFrom('0', '101', '-5', '1000.5')),
    ),
    fc.constantFrom<Case>(
      { command: 'scenario', args: ['scenario'], names: 'scenario' },
      { command: 'scenario show', args: ['scenario', 'show'], names: 'scenario' },
      { command: 'scenario show', args: ['scenario', 'show', f.file], names: f.file },
      { command: 'scenario show', args: ['scenario', 'show', f.dir], names: f.dir },
      { command: 'scenario show', args: ['scenario', 'show', '/nonexistent-gsm/s.yaml'], names: '/nonexistent-gsm/s.yaml' },
    ),
    fc
      .stringMatching(/^[a-z][a-z0-9+-]{0,12}$/)
      .filter((s) => !['train+infer', 'four-tenants', 'notebook+train', 'mix4'].includes(s))
      .map((s) => ({ command: 'scenario show', args: ['scenario', 'show', s], names: s })),
    fc
      .stringMatching(/^[a-z]{1,12}$/)
      .filter((s) => !['list', 'show', 'run', 'peak', 'help'].includes(s))
      .map((s) => ({ command: 'scenario', args: ['scenario', s], names: s })),
    structural('scenario list', ['scenario', 'list'], []),
    structural('scenario show', ['scenario', 'show', 'mix4'], []),
    scenarioRunCases(),
  );
}

/** `scenario run`, `scenario peak` and `advise`: their own options, checked before any GPU work. */
function scenarioRunCases(): fc.Arbitrary<Case> {
  const run = ['scenario', 'run', 'train+infer'];
  const advise = ['advise', 'train+infer'];
  const peak = ['scenario', 'peak', 'train+infer'];
  return fc.oneof(
    bad('scenario run', run, '--repeat', badInteger(1, 20)),
    bad('scenario run', run, '--runs', badInteger(1, 100)),
    bad('advise', advise, '--runs', badInteger(1, 100)),
    bad('scenario run', run, '--gpu-cost', badDecimal(0.000001, 1_000_000)),
    bad('scenario run', run, '--modes', badChoice(MODES)),
    bad(
      'scenario run',
      run,
      '--knob-sweep',
      text.map((t) => `infer.${t}`),
    ),
    bad('scenario run', run, '--duration', badDuration(50, 3_600_000)),
    bad('advise', advise, '--objective', badChoice(['slo', 'throughput', 'fairness'])),
    bad('scenario peak', peak, '--role', badChoice(['infer'])),
    bad('scenario peak', peak, '--steps', badInteger(2, 30), ['--role', 'infer']),
    bad(
      'scenario peak',
      peak,
      '--slo',
      text.filter((t) => !/^\s*(p50|p90|p95|p99|p99\.9|max)\s*<=?\s*\d/.test(t)),
      ['--role', 'infer'],
    ),
    structural('scenario run', run, ['--modes', '--repeat', '--knob-sweep', '--gpu-cost', '--out']),
    structural('advise', advise, ['--objective', '--slo']),
  );
}

/** The program itself: a word that is no command (it would go to run, which takes none), `help` of no command. */
function programCases(): fc.Arbitrary<Case> {
  const commands = [...PROGRAM_COMMANDS, 'help'];
  const word = fc.stringMatching(/^[a-z][a-z0-9]{0,12}$/).filter((s) => !commands.includes(s));
  return fc.oneof(
    word.map((w) => ({ command: 'gpushare-micro', args: [w], names: w })),
    word.map((w) => ({ command: 'gpushare-micro', args: ['help', w], names: w })),
    fc.tuple(fc.constantFrom('mps', 'mig', 'scenario'), word).map(([group, w]) => ({ command: 'gpushare-micro', args: [group, 'help', w], names: w })),
  );
}

function infoCases(f: Fixtures): fc.Arbitrary<Case> {
  return fc.oneof(
    structural('info', ['info'], []),
    bad(
      'info',
      ['info'],
      '--json',
      badFilePath(f).filter((p) => p !== '' && p !== ' '),
    ),
  );
}

function k8sCases(f: Fixtures): fc.Arbitrary<Case> {
  const w = ['k8s', 'render'];
  return fc.oneof(
    bad('k8s render', w, '--sharing', badChoice(['timeslice', 'mps', 'mig', 'none'])),
    bad('k8s render', w, '--replicas', badInteger(2, 256), ['--sharing', 'timeslice']),
    bad('k8s render', w, '--mig-strategy', badChoice(['single', 'mixed']), ['--sharing', 'mig']),
    bad('k8s render', w, '--nodes', badInteger(1, 1000), ['--fleet']),
    bad('k8s render', w, '--out', badDirPath(f)),
    fc.constantFrom<Case>(
      { command: 'k8s render', args: ['k8s', 'render', '--fleet'], names: '--nodes' },
      { command: 'k8s render', args: ['k8s', 'render', '--nodes', '2'], names: '--nodes' },
      { command: 'k8s render', args: ['k8s', 'render', '--fleet', '--nodes', '2', '--sweep', '--out x'], names: '--sweep' },
      { command: 'k8s', args: ['k8s'], names: 'k8s' },
    ),
    structural('k8s render', w, ['--sharing', '--replicas', '--nodes', '--out']),
  );
}

/** The program's commands, as `gpushare-micro --help` lists them. */
export const PROGRAM_COMMANDS = ['run', 'probe', 'info', 'sweep', 'bench', 'monitor', 'mps', 'mig', 'report', 'export', 'merge', 'scenario', 'advise', 'k8s'];

/** Arbitraries per command and how many cases each gets. */
export function commandCases(f: Fixtures): Array<[string, fc.Arbitrary<Case>, number]> {
  return [
    ['run', runCases('run', f), 50],
    ['probe', runCases('probe', f), 15],
    ['sweep', sweepCases(f), 30],
    ['bench', benchCases(f), 25],
    ['report', reportCases(f), 15],
    ['export', exportCases(f), 12],
    ['merge', mergeCases(f), 12],
    ['info', infoCases(f), 8],
    ['monitor', monitorCases(), 25],
    ['mps', mpsCases(f), 25],
    ['mig', migCases(), 25],
    ['scenario', scenarioCases(f), 25],
    ['k8s', k8sCases(f), 15],
    ['gpushare-micro', programCases(), 12],
  ];
}
