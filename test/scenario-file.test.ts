// Scenario files without a GPU: every built-in parses and resolves under each of its modes and keeps
// the rules it was made by (rates the H200 serves with room, SLOs a few times a request's own time, a
// green split the H200's driver grants); every bad input is one line naming the file, the line and
// the field; `scenario list` and `scenario show` through the built CLI (`npm run build:ts` first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRequests } from '../src/clients/arrival.js';
import { OptionError, ScenarioFileError } from '../src/errors.js';
import { checkSplit, equalSplit } from '../src/modes/green.js';
import type { ClientSpec, ModeName } from '../src/options.js';
import {
  builtinScenarioNames,
  DEFAULT_SCENARIO_MODES,
  listScenarios,
  loadScenario,
  parseScenario,
  SCENARIO_DIR,
  scenarioRunConfig,
} from '../src/scenario/file.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'gsm-scenario-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The H200's green-context granularity (2026-11-29-h200-modes: groups of 8, 15 of them for an uneven split). */
const H200_SMS = { supported: true, smCount: 132, minPartition: 8, alignment: 8, unitGroups: 15 };

/** GPU time per launch alone on the H200, the larger figure of the two benches (2026-11-30-h200-kernels, 2026-11-30-h200-verification). */
const H200_SOLO_NS: Record<string, number> = {
  'bert-base': 123e3,
  'resnet50-l3-3x3': 194e3,
  'resnet50-l1-3x3': 271e3,
  'llm-4k-causal': 1.92e6,
  'gemm-4096': 227e3,
};

function soloNs(spec: ClientSpec): number {
  const key = spec.preset ?? `${spec.kernel}-${spec.size}`;
  const ns = H200_SOLO_NS[key];
  if (ns === undefined) throw new Error(`no H200 measurement for ${key}`);
  return ns;
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing thrown');
}

function fileError(text: string, file = 'my.yaml'): ScenarioFileError {
  const error = thrown(() => parseScenario(text, file));
  expect(error).toBeInstanceOf(ScenarioFileError);
  expect(error.message).not.toContain('\n');
  return error as ScenarioFileError;
}

describe('the built-in scenarios', () => {
  const scenarios = listScenarios();

  it('are the four of the original project, in scenarios/, each named after its file', () => {
    expect(builtinScenarioNames()).toEqual(['four-tenants', 'mix4', 'notebook+train', 'train+infer']);
    for (const s of scenarios) {
      expect(s.source).toBe('built-in');
      expect(s.text).toBe(readFileSync(join(SCENARIO_DIR, `${s.name}.yaml`), 'utf8'));
      expect(s.text.startsWith(`# ${s.name}: `)).toBe(true);
      expect(s.text).toMatch(/2026-1\d-\d\d-h200-/); // the comment names the measurement behind the rates
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.modes).toEqual(['timeslice', 'mps', 'streams', 'green']);
      expect(s.options.duration).toBe('5s');
    }
  });

  it.each(listScenarios().flatMap((s) => s.modes.map((m) => [s.name, m] as [string, ModeName])))('%s resolves under %s', (name, mode) => {
    const s = loadScenario(name);
    const config = scenarioRunConfig(s, mode, { seed: 1 });
    expect(config.mode).toBe(mode);
    expect(config.clients.map((c) => c.role)).toEqual(s.roles.map((r) => r.client.role));
    expect(config.durationNs).toBe(5e9);
    if (mode === 'green') {
      // The split the H200 grants: the given one, or the equal one.
      if (config.smSplit) expect(() => checkSplit(config.smSplit!, H200_SMS, config.smSplit!.join(','))).not.toThrow();
      else expect(equalSplit(config.procs, H200_SMS)).toBeDefined();
    }
    if (mode === 'mps') expect(config.procs).toBeLessThanOrEqual(48); // MPS serves at most 48 clients per GPU
  });

  it('have one training-like saturating role, open-loop roles with SLOs, bursty notebooks, as the issue lists', () => {
    const loops = (name: string) => scenarioRunConfig(loadScenario(name), 'timeslice', { seed: 1 }).clients.map((c) => `${c.loop}:${c.arrival?.kind ?? '-'}`);
    expect(loops('train+infer')).toEqual(['saturate:-', 'open:poisson']);
    expect(loops('four-tenants')).toEqual(['open:poisson', 'open:poisson', 'open:poisson', 'open:poisson']);
    expect(loops('notebook+train')).toEqual(['saturate:-', 'open:bursty']);
    expect(loops('mix4')).toEqual(['saturate:-', 'saturate:-', 'open:poisson', 'open:bursty']);
  });

  it('ask less than half the H200 of their open-loop roles alone, with SLOs a few times a request and enough requests for them', () => {
    for (const s of scenarios) {
      const config = scenarioRunConfig(s, 'timeslice', { seed: 1 });
      let busy = 0;
      for (const spec of config.clients.filter((c) => c.arrival && c.arrival.kind !== 'bursty')) {
        const arrival = spec.arrival as Extract<ClientSpec['arrival'], { ratePerSec: number }>;
        busy += (arrival.ratePerSec * soloNs(spec)) / 1e9;
        expect(spec.slo?.length, `${s.name} ${spec.role}`).toBeGreaterThan(0);
        for (const slo of spec.slo ?? []) {
          const ratio = slo.maxNs / soloNs(spec);
          expect(ratio, `${s.name} ${spec.role} SLO / solo time`).toBeGreaterThanOrEqual(3);
          expect(ratio, `${s.name} ${spec.role} SLO / solo time`).toBeLessThanOrEqual(15);
          // At least 10 requests per phase beyond the percentile the objective is on.
          const q = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99, 'p99.9': 0.999, max: 1 }[slo.percentile];
          expect(expectedRequests(arrival, config.durationNs) * (1 - q), `${s.name} ${spec.role} requests past ${slo.percentile}`).toBeGreaterThanOrEqual(10);
        }
      }
      expect(busy, s.name).toBeLessThan(0.5);
    }
  });

  it('give the knobs per mode: priorities under streams and green, the train+infer split under green only', () => {
    const s = loadScenario('train+infer');
    expect(scenarioRunConfig(s, 'streams', { seed: 1 }).priorities).toEqual(['low', 'high']);
    const green = scenarioRunConfig(s, 'green', { seed: 1 });
    expect(green.priorities).toEqual(['low', 'high']);
    expect(green.smSplit).toEqual([80, 40]);
    for (const mode of ['timeslice', 'mps'] as const) {
      const c = scenarioRunConfig(s, mode, { seed: 1 });
      expect([c.priorities, c.smSplit, c.mps]).toEqual([undefined, undefined, undefined]);
    }
  });
});

describe('a scenario file', () => {
  it('reads the example of docs/scenarios.md', () => {
    const docs = readFileSync(join(root, 'docs/scenarios.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(docs)![1]!;
    const s = parseScenario(example, 'docs-example.yaml');
    expect(s.name).toBe('train+infer');
    expect(s.roles.map((r) => r.client)).toEqual([
      { role: 'train', kernel: 'gemm', size: 4096 },
      { role: 'infer', preset: 'bert-base', arrival: 'poisson:400/s', slo: 'p99<=5ms' },
    ]);
    expect(s.roles[1]!.knobs).toEqual({ mps: { mpsThreads: 50 }, streams: { priority: 'high' }, green: { priority: 'high', sms: 40 } });
    expect(s.overrides).toEqual({ timeslice: { infer: { arrival: 'poisson:200/s' } } });
    expect(scenarioRunConfig(s, 'timeslice', { seed: 1 }).clients[1]!.arrival).toEqual({ kind: 'poisson', ratePerSec: 200 });
    expect(scenarioRunConfig(s, 'mps', { seed: 1 }).clients[1]!.arrival).toEqual({ kind: 'poisson', ratePerSec: 400 });
    expect(scenarioRunConfig(s, 'mps', { seed: 1 }).mps?.threads).toEqual([100, 50]);
  });

  it('takes defaults: name from the file, the four modes, an empty role as a saturating gemm; a shape as text; SLOs as a list', () => {
    const s = parseScenario('roles:\n  a:\n  b:\n    shape: 256x512x128\n    arrival: constant:100/s\n    slo: [p50<=1ms, p99<=5ms]\n', 'dir/mine.yml');
    expect(s.name).toBe('mine');
    expect(s.source).toBe('dir/mine.yml');
    expect(s.description).toBe('');
    expect(s.modes).toEqual([...DEFAULT_SCENARIO_MODES]);
    const [a, b] = scenarioRunConfig(s, 'mps', { seed: 1 }).clients;
    expect([a!.kernel, a!.shape, a!.loop, a!.count]).toEqual(['gemm', [4096, 4096, 4096], 'saturate', 1]);
    expect(b!.shape).toEqual([256, 512, 128]);
    expect(b!.slo).toEqual([
      { percentile: 'p50', maxNs: 1e6 },
      { percentile: 'p99', maxNs: 5e6 },
    ]);
  });

  it('checks the modes its knobs and overrides name even when modes leaves them out', () => {
    const e = fileError('modes: [timeslice]\nroles:\n  a:\n    knobs:\n      mps: { mps-threads: 500 }\n');
    expect(e.message).toMatch(/^my\.yaml:5: roles\.a\.knobs\.mps\.mps-threads: expected a number in 1\.\.100, got 500$/);
  });

  it('leaves an error in options the caller adds to the caller: an OptionError naming its option', () => {
    const s = loadScenario('train+infer');
    const e = thrown(() => scenarioRunConfig(s, 'mps', { duration: 'forever' }));
    expect(e).toBeInstanceOf(OptionError);
    expect((e as OptionError).option).toBe('--duration');
    const other = thrown(() => scenarioRunConfig(s, 'mps', { baseline: 'yes' as unknown as boolean }));
    expect(other).toBeInstanceOf(OptionError);
    expect((other as OptionError).option).toBe('--baseline');
  });
});

const TOP_KEYS = 'name, description, duration, launches, warmup, seed, sample-ms, cupti, trace-records, device, runs, modes, roles, overrides';

/** [what, text, line, field or '' for none, a part of what the line says]. */
const BAD: Array<[string, string, number, string, string]> = [
  [
    'not YAML',
    'name: x\nroles: [unclosed\n',
    2,
    'roles[0]',
    'not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  ['an unclosed quote', 'roles:\n  a:\n    arrival: "poisson:1/s\n  b: {}\n', 4, 'roles.a.arrival', 'not valid YAML: Missing closing "quote'],
  ['a mapping in a compact mapping', 'roles:\n  a: kernel: gemm\n', 2, 'roles.a.kernel', 'not valid YAML: Nested mappings are not allowed'],
  ['tab indentation', 'roles:\n\ta: {}\n', 2, '', 'a tab as indentation'],
  ['two documents', 'roles: {a: {}}\n---\nroles: {b: {}}\n', 2, '', 'expected one YAML document, got several'],
  ['an empty file', '', 1, '', 'got an empty file'],
  ['only comments', '# nothing here\n', 1, '', 'got an empty file'],
  ['a list at the top', '- a\n- b\n', 1, '', 'expected a scenario: a mapping with roles'],
  ['text at the top', 'hello\n', 1, '', 'got "hello"'],
  ['an unknown key', 'name: x\nrolez: {}\nroles: {a: {}}\n', 2, 'rolez', 'unknown key: a scenario takes name, description, duration'],
  ['an unknown role key', 'roles:\n  a:\n    kernel: gemm\n    arrivals: poisson:1/s\n', 4, 'roles.a.arrivals', 'unknown key: a role takes count, kernel'],
  [
    'a knob at the role level',
    'roles:\n  a:\n    priority: high\n',
    3,
    'roles.a.priority',
    'priority is a knob: give it per mode under knobs (knobs.streams.priority)',
  ],
  ['a bad role name', 'roles:\n  ok: {}\n  9lives: {}\n', 3, 'roles.9lives', 'expected a role name of letters, digits, - and _'],
  ['a role name with a space', 'roles:\n  bad name: {}\n', 2, 'roles."bad name"', 'got "bad name"'],
  ['no roles', 'name: x\n', 1, 'roles', 'expected a mapping of role names to roles, got nothing'],
  ['empty roles', 'roles: {}\n', 1, 'roles', 'expected at least one role, got an empty mapping'],
  ['a duplicate key', 'roles:\n  a:\n    kernel: gemm\n    kernel: probe\n', 4, 'roles.a.kernel', 'a key given twice'],
  ['a duplicate role', 'roles:\n  a: {}\n  b: {}\n  a: {}\n', 4, 'roles.a', 'a key given twice'],
  [
    'a mode that does not exist',
    'modes: [timeslice, teleport]\nroles: {a: {}}\n',
    1,
    'modes[1]',
    'expected a mode: timeslice, mps, streams, green, mig, got "teleport"',
  ],
  ['a mode twice', 'modes:\n  - mps\n  - green\n  - mps\nroles: {a: {}}\n', 4, 'modes[2]', 'each mode once (mps twice)'],
  ['no modes', 'modes: []\nroles: {a: {}}\n', 1, 'modes', 'expected at least one mode, got an empty list'],
  ['modes as text', 'modes: timeslice\nroles: {a: {}}\n', 1, 'modes', 'expected a list of modes'],
  [
    'a knob its mode cannot take',
    'roles:\n  a:\n    knobs:\n      timeslice: { mps-threads: 50 }\n',
    4,
    'roles.a.knobs.timeslice.mps-threads',
    'not a knob of timeslice: mps-threads is a knob of mps; timeslice takes none',
  ],
  [
    'sms under streams',
    'roles:\n  a:\n    knobs:\n      streams:\n        priority: high\n        sms: 64\n',
    6,
    'roles.a.knobs.streams.sms',
    'sms is a knob of green; streams takes priority',
  ],
  ['knobs of no mode', 'roles:\n  a:\n    knobs:\n      teleport: {}\n', 4, 'roles.a.knobs.teleport', 'not a mode: expected one of timeslice'],
  [
    'an override of no role',
    'roles:\n  a: {}\noverrides:\n  mps:\n    b: { count: 2 }\n',
    5,
    'overrides.mps.b',
    'expected a role of this scenario (a), got "b"',
  ],
  [
    'a knob in an override',
    'roles:\n  a: {}\noverrides:\n  mps:\n    a: { mps-threads: 50 }\n',
    5,
    'overrides.mps.a.mps-threads',
    'knobs go under roles.ROLE.knobs.MODE',
  ],
  ['a count in words', 'roles:\n  a:\n    count: three\n', 3, 'roles.a.count', 'expected an integer: how many clients play the role, got "three"'],
  ['an infinite size', 'roles:\n  a:\n    size: .inf\n', 3, 'roles.a.size', 'got Infinity'],
  ['an empty SLO list', 'roles:\n  a:\n    slo: []\n', 3, 'roles.a.slo', 'expected at least one latency objective, got an empty list'],
  ['a two-line description', 'description: |\n  one\n  two\nroles: {a: {}}\n', 1, 'description', 'expected one line of text'],
  ['a list as a key', '? [a, b]\n: 1\nroles: {a: {}}\n', 1, '"[ a, b ]"', 'unknown key: a scenario takes name'],
  ['binary data', 'roles:\n  a:\n    count: !!binary aGVsbG8=\n', 3, 'roles.a.count', 'got binary data'],
  [
    'too many aliases',
    `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [${'*a, '.repeat(9)}*a]\nc: [${'*b, '.repeat(9)}*b]\nroles: {r: {}}\n`,
    1,
    '',
    'not YAML that can be read',
  ],
  // The run options, resolved as a run's: an error traced to the line that set the value.
  [
    'an arrival that does not parse',
    'roles:\n  train:\n    kernel: gemm\n  infer:\n    preset: bert-base\n    arrival: poison:2\n',
    6,
    'roles.infer.arrival',
    'expected poisson:RATE, constant:RATE',
  ],
  ['a rate of 0', 'roles:\n  a:\n    arrival: poisson:0/s\n', 3, 'roles.a.arrival', 'a rate above 0'],
  ['an absurd rate', 'roles:\n  a:\n    arrival: constant:5000000/s\n', 3, 'roles.a.arrival', 'at most 1,000,000/s'],
  [
    'an SLO that does not parse',
    'roles:\n  a:\n    arrival: poisson:10/s\n    slo: p99 < 5 parsecs\n',
    4,
    'roles.a.slo',
    'latency objectives such as p99<=5ms',
  ],
  ['an unknown kernel', 'roles:\n  a:\n    kernel: conv9\n', 3, 'roles.a.kernel', 'one of gemm, probe'],
  ['an unknown preset', 'roles:\n  a:\n    preset: gpt-9\n', 3, 'roles.a.preset', 'got "gpt-9"'],
  [
    'a preset of another kernel',
    'roles:\n  a:\n    kernel: gemm\n    preset: bert-base\n',
    3,
    'roles.a.kernel',
    'attention (the kernel of preset bert-base) or no kernel',
  ],
  ['too many clients', 'roles:\n  a:\n    count: 65\n', 3, 'roles.a.count', 'an integer in 1..64'],
  ['a fractional count', 'roles:\n  a:\n    count: 1.5\n', 3, 'roles.a.count', 'an integer in 1..64'],
  ['an open loop without arrivals', 'roles:\n  a:\n    kernel: gemm\n  b:\n    loop: open\n', 4, 'roles.b.arrival', 'an arrival process with loop open'],
  ['arrivals in a closed loop', 'roles:\n  a:\n    loop: closed\n    arrival: poisson:1/s\n', 4, 'roles.a.arrival', 'arrival only with loop open'],
  ['a gemm shape of two numbers', 'roles:\n  a:\n    shape: [64, 64]\n', 3, 'roles.a.shape', 'm,n,k: three integers'],
  ['a duration that is none', 'duration: 1 fortnight\nroles: {a: {}}\n', 1, 'duration', 'expected a duration from 50ms to 3600s'],
  ['duration and launches', 'duration: 5s\nlaunches: 100\nroles: {a: {}}\n', 2, 'launches', 'either duration or launches, not both'],
  [
    'a thread percentage out of range',
    'roles:\n  a:\n    knobs:\n      mps:\n        mps-threads: 0\n',
    5,
    'roles.a.knobs.mps.mps-threads',
    'a number in 1..100',
  ],
  ['an MPS memory limit that is no size', 'roles:\n  a:\n    knobs:\n      mps: { mps-mem: lots }\n', 4, 'roles.a.knobs.mps.mps-mem', 'a size from 1M'],
  ['a priority that is none', 'roles:\n  a:\n    knobs:\n      streams: { priority: urgent }\n', 4, 'roles.a.knobs.streams.priority', 'high, low or integers'],
  [
    'sms for one role of two',
    'roles:\n  a:\n    knobs:\n      green: { sms: 64 }\n  b:\n    kernel: gemm\n',
    5,
    'roles.b.knobs.green.sms',
    'sms for every role or for none',
  ],
  [
    'an override with a bad arrival',
    'roles:\n  a:\n    arrival: poisson:10/s\noverrides:\n  timeslice:\n    a: { arrival: poisson:-1/s }\n',
    6,
    'overrides.timeslice.a.arrival',
    'got "poisson:-1/s"',
  ],
];

describe('a bad scenario file', () => {
  it.each(BAD)('%s: one line naming the file, the line and the field', (_, text, line, field, says) => {
    const e = fileError(text);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect([e.file, e.line, e.field ?? '']).toEqual(['my.yaml', line, field]);
    expect(e.message.startsWith(`my.yaml:${line}: ${field ? `${field}: ` : ''}`)).toBe(true);
    expect(e.message).toContain(says);
  });

  it('reports the problem nearest the top of the file when the schema finds several', () => {
    const e = fileError('roles:\n  a:\n    count: x\n    size: y\nmodes: [nope]\n');
    expect([e.line, e.field]).toEqual([3, 'roles.a.count']);
  });

  it('cuts a long value and a long key to a readable line', () => {
    const long = 'x'.repeat(100_000);
    for (const text of [`roles:\n  a:\n    arrival: ${long}\n`, `roles:\n  a:\n    ${long}: 1\n`]) {
      const e = fileError(text);
      expect(e.message.length).toBeLessThan(400);
    }
  });
});

describe('loadScenario', () => {
  const write = (name: string, content: string | Buffer) => {
    const path = join(work, name);
    writeFileSync(path, content);
    return path;
  };

  it('reads a built-in by name and a file by path', () => {
    expect(loadScenario('mix4').roles).toHaveLength(4);
    const path = write('two.yaml', 'name: two\nroles:\n  a: {}\n  b: {}\n');
    expect(loadScenario(path)).toMatchObject({ name: 'two', source: path });
    // A path that exists is read as a file whatever its name.
    const plain = write('plain', 'roles:\n  a: {}\n');
    expect(loadScenario(plain).name).toBe('plain');
  });

  it('names the built-ins when the name is none of them', () => {
    const e = thrown(() => loadScenario('trian+infer'));
    expect(e).toBeInstanceOf(OptionError);
    expect(e.message).toBe(
      'invalid scenario: expected a scenario file (.yaml) or a built-in scenario: four-tenants, mix4, notebook+train, train+infer, got "trian+infer"',
    );
  });

  it('says why a file cannot be read, in one line naming it', () => {
    const dir = join(work, 'a-dir.yaml');
    mkdirSync(dir);
    const cases: Array<[string, string]> = [
      [join(work, 'missing.yaml'), 'cannot read it: ENOENT'],
      [join(work, 'missing.yml'), 'cannot read it: ENOENT'],
      [dir, 'expected a scenario file, got a directory'],
      [write('latin1.yaml', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a])), 'not UTF-8'],
      [write('huge.yaml', `# ${'x'.repeat(1024 * 1024)}\n`), 'at most 1 MiB'],
    ];
    for (const [path, says] of cases) {
      const e = thrown(() => loadScenario(path));
      expect(e, path).toBeInstanceOf(ScenarioFileError);
      expect(e.message).toMatch(new RegExp(`^${path.replace(/[.+]/g, '\\$&')}: `));
      expect(e.message).toContain(says);
      expect(e.message).not.toContain('\n');
    }
  });
});

describe('scenario list and show (the built CLI)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });

  it('list: a table of the built-ins with their roles and modes, exit code 0', () => {
    const r = run('scenario', 'list');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    for (const name of builtinScenarioNames()) expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/│ name +│ roles +│ modes +│ description +│/);
    expect(r.stdout).toContain('chat, vision, rank, llm');
  });

  it('show: the YAML as written, exit code 0', () => {
    const r = run('scenario', 'show', 'train+infer');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(SCENARIO_DIR, 'train+infer.yaml'), 'utf8'));
    const path = join(work, 'cli-good.yaml');
    writeFileSync(path, 'roles:\n  a: {}');
    const own = run('scenario', 'show', path);
    expect([own.status, own.stdout]).toEqual([0, 'roles:\n  a: {}\n']);
  });

  it('show with a list as a key: one line, the parser keeps its warnings to itself', () => {
    const path = join(work, 'cli-list-key.yaml');
    writeFileSync(path, '? [a, b]\n: 1\nroles: {a: {}}\n');
    const r = run('scenario', 'show', path);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`gpushare-micro: ${path}:1: "[ a, b ]": unknown key: a scenario takes ${TOP_KEYS}\n`);
  });

  it.each([
    ['a bad file', ['cli-bad.yaml'], /^gpushare-micro: \S+cli-bad\.yaml:4: roles\.infer\.arrival: expected poisson:RATE, .*, got "poison:2"$/],
    [
      'an unknown name',
      ['nosuch'],
      /^gpushare-micro: invalid scenario: expected .* built-in scenario: four-tenants, mix4, notebook\+train, train\+infer, got "nosuch"$/,
    ],
    ['no name', [], /^gpushare-micro: missing required argument 'scenario' \(see gpushare-micro scenario show --help\)$/],
  ])('show with %s: exit code 2, one line', (_, args, line) => {
    writeFileSync(join(work, 'cli-bad.yaml'), 'roles:\n  infer:\n    preset: bert-base\n    arrival: poison:2\n');
    const r = run('scenario', 'show', ...args.map((a) => (a.endsWith('.yaml') ? join(work, a) : a)));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr.trim()).toMatch(line);
  });

  it('scenario alone names its commands, exit code 2', () => {
    const r = run('scenario');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('gpushare-micro: scenario needs a command: list, show, run, peak (see gpushare-micro scenario --help)\n');
  });
});
