// The N-API fuzz cases: every exported function and class method of the binding, called with wrong
// arity, wrong types and out-of-range values, generated with fast-check from a schema of what each
// argument takes. A case is a JavaScript expression that run-case.cjs evaluates in a process of its
// own (with the addon as `b` and the helpers defined there), and what must come of it:
//   args  a TypeError with code ERR_ARGS, thrown synchronously (the argument is wrong for sure);
//   any   anything but a crash, and any error carries a code from NATIVE_ERROR_CODES (the argument
//         may be acceptable: an extra argument, a string the native side judges, a Proxy).
import fc from 'fast-check';

export interface FuzzCase {
  group: string;
  expression: string;
  expect: 'args' | 'any';
}

type Field =
  | { type: 'int' | 'number'; min: number; max: number; optional?: boolean }
  | { type: 'string'; optional?: boolean }
  | { type: 'bool'; optional?: boolean }
  | { type: 'object' }
  | { type: 'intArray'; minLength: number; maxLength: number; min: number; max: number }
  | { type: 'stringArray'; maxLength: number; optional?: boolean };

type Schema = Record<string, Field>;

// What each options object takes (native/core/args.h readers, with the ranges the bindings pass).
const SPEC: Schema = {
  kernel: { type: 'string' },
  impl: { type: 'string' },
  dtype: { type: 'string' },
  shape: { type: 'intArray', minLength: 0, maxLength: 16, min: 0, max: 2 ** 31 - 1 },
  seed: { type: 'number', min: 0, max: 2 ** 53 - 1 },
  gemmPath: { type: 'string', optional: true },
  variant: { type: 'int', min: -1, max: 65536, optional: true },
  cudnnGraph: { type: 'string', optional: true },
};
const PROBE: Schema = {
  probeActiveNs: { type: 'number', min: 1000, max: 10e9 },
  gapThresholdNs: { type: 'number', min: 64, max: 1e9 },
  gapCapacity: { type: 'int', min: 1, max: 2 ** 26 },
};
const LOOP: Schema = {
  workload: { type: 'object' },
  device: { type: 'int', min: 0, max: 1023 },
  streamPriority: { type: 'int', min: -1024, max: 1024 },
  greenContext: { type: 'int', min: -1, max: 2 ** 20 },
  durationNs: { type: 'number', min: 0, max: 86400e9 },
  launches: { type: 'number', min: 0, max: 1e12 },
  depth: { type: 'int', min: 1, max: 1024 },
  traceCapacity: { type: 'number', min: 0, max: 1e10 },
  traceEvery: { type: 'int', min: 1, max: 2 ** 20, optional: true },
  warmupNs: { type: 'number', min: 0, max: 600e9 },
};
// LoopConfig.bursts (whole ns; phaseNs below onNs + offNs, checked apart).
const BURSTS: Schema = {
  onNs: { type: 'int', min: 1, max: 86400e9 },
  offNs: { type: 'int', min: 1, max: 86400e9 },
  phaseNs: { type: 'int', min: 0, max: 86400e9 },
};
const GREEN: Schema = {
  device: { type: 'int', min: 0, max: 1023 },
  smCounts: { type: 'intArray', minLength: 1, maxLength: 256, min: 1, max: 65536 },
};
const NVML: Schema = {
  device: { type: 'int', min: 0, max: 1023 },
  periodMs: { type: 'int', min: 1, max: 3600000 },
  gpm: { type: 'bool', optional: true },
  retain: { type: 'bool', optional: true },
  gpmPeriodMs: { type: 'int', min: 1, max: 3600000, optional: true },
};
const PROCESS_UTILIZATION: Schema = {
  device: { type: 'int', min: 0, max: 1023 },
  sinceUs: { type: 'number', min: 0, max: 2 ** 53 - 1 },
};
const VALID_PROCESS_UTILIZATION = '({ device: 0, sinceUs: 0 })';
const CUPTI: Schema = {
  device: { type: 'int', min: 0, max: 1023 },
  maxRecords: { type: 'int', min: 1, max: 1e8 },
  globalTimer: { type: 'bool', optional: true },
};
const PM: Schema = {
  device: { type: 'int', min: 0, max: 1023 },
  intervalNs: { type: 'number', min: 1000, max: 1e9 },
  hardwareBufferBytes: { type: 'number', min: 2 ** 20, max: 4 * 2 ** 30 },
  maxSamplesPerImage: { type: 'int', min: 16, max: 1e7 },
  metrics: { type: 'stringArray', maxLength: 256, optional: true },
};

// ---- JavaScript sources of values ----

function numberSource(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

const OBJECTS = ['{}', '[]', '() => 1', 'new Date(0)', 'new Map()', 'new Uint8Array(4)', 'proxy({}, "none")', 'Object.create(null)'];
const source = {
  undefined: fc.constant('undefined'),
  null: fc.constant('null'),
  bool: fc.boolean().map(String),
  string: fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  symbol: fc.constantFrom('Symbol("x")', 'Symbol.iterator'),
  bigint: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((v) => `${v}n`),
  number: fc.double().map(numberSource),
  object: fc.constantFrom(...OBJECTS),
};

/** Values whose type is wrong for `field` (undefined only where the field is required). */
function wrongType(field: Field): fc.Arbitrary<string> {
  const pool: fc.Arbitrary<string>[] = [source.null, source.symbol, source.bigint];
  if (!('optional' in field && field.optional)) pool.push(source.undefined);
  if (field.type !== 'bool') pool.push(source.bool);
  if (field.type !== 'string') pool.push(source.string);
  if (field.type !== 'int' && field.type !== 'number') pool.push(source.number);
  if (field.type !== 'object') pool.push(source.object);
  else pool.push(source.object.filter((s) => s !== '{}' && s !== '[]' && !s.startsWith('proxy') && !s.startsWith('Object.create')));
  return fc.oneof(...pool);
}

/** Numbers of the right type but out of range: NaN, infinities, past either end, fractions for integers. */
function outOfRange(field: { type: 'int' | 'number'; min: number; max: number }): fc.Arbitrary<string> {
  const pool: fc.Arbitrary<string>[] = [
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e308', '-1e308'),
    fc
      .double({ min: field.min - 1e12, max: field.min, noNaN: true, maxExcluded: true })
      .filter((x) => x < field.min)
      .map(numberSource),
    fc
      .double({ min: field.max, max: field.max * 4 + 1e15, noNaN: true, minExcluded: true })
      .filter((x) => x > field.max)
      .map(numberSource),
  ];
  if (field.type === 'int') {
    pool.push(
      fc
        .double({ min: field.min, max: field.max, noNaN: true })
        .filter((x) => !Number.isInteger(x))
        .map(numberSource),
    );
  }
  return fc.oneof(...pool);
}

/** Arrays that are wrong for an intArray field: a bad element, a hole, a throwing element, too long or too short. */
function badIntArray(field: Extract<Field, { type: 'intArray' }>): fc.Arbitrary<string> {
  const element = fc.integer({ min: field.min, max: Math.min(field.max, 4096) });
  const fill = fc.array(element, { minLength: Math.max(1, field.minLength), maxLength: Math.min(field.maxLength, 9) });
  const badElement = fc.oneof(wrongType({ type: 'int', min: field.min, max: field.max }), outOfRange({ type: 'int', min: field.min, max: field.max }));
  const pool: fc.Arbitrary<string>[] = [
    fc.tuple(fill, fc.nat(), badElement).map(([a, i, bad]) => {
      const items = a.map(String);
      items[i % items.length] = bad;
      return `[${items.join(', ')}]`;
    }),
    fill.map((a) => `[${a.join(', ')}, , 1]`),
    fc.tuple(fill, fc.nat()).map(([a, i]) => `throwingElement([${a.join(', ')}], ${i % a.length})`),
    fc.integer({ min: field.maxLength + 1, max: field.maxLength + 40 }).map((n) => `Array(${n}).fill(${Math.max(field.min, 1)})`),
  ];
  if (field.minLength > 0) pool.push(fc.constant('[]'));
  return fc.oneof(...pool);
}

/**
 * Values that are wrong for LoopConfig.arrivalsNs (a Float64Array or an array of at most 50,000,000
 * numbers in [0, 86400e9], ascending): another type, a bad element, a hole, a throwing element, out of
 * order, another typed array, too long (a sparse array: nothing allocated).
 */
function badArrivals(): fc.Arbitrary<string> {
  const fill = fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 8 }).map((a) => a.sort((x, y) => x - y));
  const badElement = fc.oneof(wrongType({ type: 'number', min: 0, max: 86400e9 }), outOfRange({ type: 'number', min: 0, max: 86400e9 }));
  return fc.oneof(
    wrongType({ type: 'intArray', minLength: 0, maxLength: 8, min: 0, max: 1 }).filter((v) => v !== '[]' && v !== 'undefined'),
    fc.constantFrom('{ length: 2, 0: 0, 1: 1 }', 'new Float32Array([0, 1])', 'new BigInt64Array(2)', 'new Uint8Array(4)'),
    fc.tuple(fill, fc.nat(), badElement).map(([a, i, bad]) => {
      const items = a.map(String);
      items[i % items.length] = bad;
      return `[${items.join(', ')}]`;
    }),
    fc.tuple(fill, fc.nat(), outOfRange({ type: 'number', min: 0, max: 86400e9 })).map(([a, i, bad]) => {
      const items = a.map(String);
      items[i % items.length] = bad;
      return `new Float64Array([${items.join(', ')}])`;
    }),
    fill.map((a) => `[${a.join(', ')}, , 1e7]`),
    fc.tuple(fill, fc.nat()).map(([a, i]) => `throwingElement([${a.join(', ')}], ${i % a.length})`),
    fc.tuple(fill, fc.integer({ min: 1, max: 1e6 })).map(([a, d]) => `[${[...a, a.at(-1)! + d, a.at(-1)!].join(', ')}]`),
    fc.tuple(fill, fc.integer({ min: 1, max: 1e6 })).map(([a, d]) => `new Float64Array([${[...a, a.at(-1)! + d, a.at(-1)!].join(', ')}])`),
    fc.constantFrom('Array(50000001)', 'Array(2 ** 32 - 1)'),
  );
}

function badStringArray(field: Extract<Field, { type: 'stringArray' }>): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(fc.array(source.string, { minLength: 1, maxLength: 4 }), wrongType({ type: 'string' })).map(([a, bad]) => `[${[...a, bad].join(', ')}]`),
    fc.constant(`Array(${field.maxLength + 1}).fill("m")`),
    fc.array(source.string, { maxLength: 3 }).map((a) => `throwingElement([${[...a, '"x"'].join(', ')}], ${a.length})`),
  );
}

/** Every value that is surely wrong for `field`. */
function badValue(field: Field): fc.Arbitrary<string> {
  switch (field.type) {
    case 'int':
    case 'number':
      return fc.oneof(wrongType(field), outOfRange(field));
    case 'intArray':
      return fc.oneof(wrongType(field), badIntArray(field));
    case 'stringArray':
      return fc.oneof(wrongType(field), badStringArray(field));
    default:
      return wrongType(field);
  }
}

/**
 * Ways to spoil one field of the object `base` (a source expression building a fresh valid object)
 * at `path`: a wrong value, the field missing (where required), a getter that throws.
 */
function spoiledField(base: string, prefix: string[], name: string, field: Field): fc.Arbitrary<string> {
  const path = JSON.stringify([...prefix, name]);
  const others: fc.Arbitrary<string>[] = [fc.constant(`throwingGetter(${base}, ${path})`)];
  if (!('optional' in field && field.optional) && field.type !== 'object') others.push(fc.constant(`drop(${base}, ${path})`));
  const wrong = badValue(field).map((v) => `set(${base}, ${path}, ${v})`);
  return fc.oneof({ arbitrary: wrong, weight: 4 }, ...others.map((a) => ({ arbitrary: a, weight: 1 })));
}

/** One spoiled field of the schema, the field chosen at random too. */
function spoiled(base: string, schema: Schema, prefix: string[] = []): fc.Arbitrary<string> {
  return fc.oneof(...Object.entries(schema).map(([name, field]) => spoiledField(base, prefix, name, field)));
}

/** Arguments that are not an options object at all, or a Proxy whose get trap throws. */
function notAnObject(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    source.undefined,
    source.null,
    source.bool,
    source.string,
    source.symbol,
    source.bigint,
    source.number,
    fc.constantFrom('[]', '() => 1', '"{}"'),
    fc.constant(`proxy(${valid}, "get")`),
  );
}

// ---- the cases, per target ----

interface Group {
  name: string;
  expect: FuzzCase['expect'];
  runs: number;
  cases: fc.Arbitrary<string>;
}

const loopWith = (workload: string) => `validLoop(${workload})`;
const OPEN_LOOP = 'Object.assign(validLoop(), { arrivalsNs: [0, 1e6, 2e6] })';
const BURSTY_LOOP = 'Object.assign(validLoop(), { bursts: { onNs: 5e7, offNs: 1e8, phaseNs: 0 } })';

const LOOP_INSTANCE = 'new b.TimedLoop(validLoop())';
const NVML_SAMPLER = 'new b.NvmlSampler(validNvml())';
const PM_SAMPLER = 'new b.PmSampler(validPm())';
const INSTANCES = [LOOP_INSTANCE, NVML_SAMPLER, PM_SAMPLER];
const METHODS: Array<[string, string, string]> = [
  ['TimedLoop', 'prepare', LOOP_INSTANCE],
  ['TimedLoop', 'run', LOOP_INSTANCE],
  ['TimedLoop', 'stop', LOOP_INSTANCE],
  ['TimedLoop', 'release', LOOP_INSTANCE],
  ['NvmlSampler', 'start', NVML_SAMPLER],
  ['NvmlSampler', 'stop', NVML_SAMPLER],
  ['NvmlSampler', 'latest', NVML_SAMPLER],
  ['PmSampler', 'start', PM_SAMPLER],
  ['PmSampler', 'stop', PM_SAMPLER],
];

/** `this` values that are not an instance of the method's class. */
function wrongThis(own: string): fc.Arbitrary<string> {
  const cls = own.slice('new b.'.length, own.indexOf('('));
  return fc.oneof(
    source.undefined,
    source.null,
    source.number,
    source.string,
    source.symbol,
    source.object,
    fc.constantFrom(...INSTANCES.filter((i) => i !== own)),
    fc.constantFrom(`proxy(${own}, "none")`, `Object.create(b.${cls}.prototype)`, `{ __proto__: b.${cls}.prototype }`),
  );
}

const anyValue = fc.oneof(source.undefined, source.null, source.bool, source.string, source.symbol, source.bigint, source.number, source.object);

const GROUPS: Group[] = [
  { name: 'TimedLoop: a spoiled config field', expect: 'args', runs: 60, cases: spoiled(loopWith('validSpec()'), LOOP).map((a) => `new b.TimedLoop(${a})`) },
  {
    name: 'TimedLoop: a spoiled workload field',
    expect: 'args',
    runs: 60,
    cases: spoiled('validLoop()', SPEC, ['workload']).map((a) => `new b.TimedLoop(${a})`),
  },
  {
    name: 'TimedLoop: a spoiled probe field',
    expect: 'args',
    runs: 20,
    cases: spoiled(loopWith('validProbe()'), PROBE, ['workload']).map((a) => `new b.TimedLoop(${a})`),
  },
  {
    name: 'TimedLoop: a spoiled arrival schedule',
    expect: 'args',
    runs: 40,
    cases: fc
      .oneof(
        { arbitrary: badArrivals().map((v) => `set(${OPEN_LOOP}, ["arrivalsNs"], ${v})`), weight: 6 },
        fc.constant(`throwingGetter(${OPEN_LOOP}, ["arrivalsNs"])`),
        // with launches, the schedule has exactly that many entries
        fc
          .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 12 }))
          .filter(([launches, n]) => launches !== n)
          .map(([launches, n]) => `Object.assign(validLoop(), { durationNs: 0, launches: ${launches}, arrivalsNs: new Float64Array(${n}) })`),
      )
      .map((a) => `new b.TimedLoop(${a})`),
  },
  {
    name: 'TimedLoop: spoiled burst windows',
    expect: 'args',
    runs: 30,
    cases: fc
      .oneof(
        { arbitrary: spoiled(BURSTY_LOOP, BURSTS, ['bursts']), weight: 4 },
        wrongType({ type: 'object' }).map((v) => `set(${BURSTY_LOOP}, ["bursts"], ${v})`),
        fc
          .tuple(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }))
          .map(([on, off, extra]) => `Object.assign(validLoop(), { bursts: { onNs: ${on}, offNs: ${off}, phaseNs: ${on + off + extra} } })`),
        fc.constant(`Object.assign(${BURSTY_LOOP}, { arrivalsNs: [0] })`),
      )
      .map((a) => `new b.TimedLoop(${a})`),
  },
  {
    name: 'TimedLoop: open and bursty loops the types allow',
    expect: 'any',
    runs: 16,
    cases: fc.oneof(
      fc
        .array(fc.double({ min: 0, max: 86400e9, noNaN: true }), { maxLength: 8 })
        .map((a) => a.sort((x, y) => x - y).map(numberSource))
        .chain((a) =>
          fc
            .constantFrom(`[${a.join(', ')}]`, `new Float64Array([${a.join(', ')}])`)
            .map((v) => `new b.TimedLoop(Object.assign(validLoop(), { arrivalsNs: ${v} }))`),
        ),
      fc
        .tuple(fc.integer({ min: 1, max: 1e12 }), fc.integer({ min: 1, max: 1e12 }), fc.nat())
        .map(([on, off, p]) => `new b.TimedLoop(Object.assign(validLoop(), { bursts: { onNs: ${on}, offNs: ${off}, phaseNs: ${p % (on + off)} } }))`),
    ),
  },
  { name: 'TimedLoop: not a config', expect: 'args', runs: 12, cases: notAnObject('validLoop()').map((a) => `new b.TimedLoop(${a})`) },
  {
    name: 'TimedLoop: a conv shape whose tensors overflow',
    expect: 'args',
    runs: 12,
    cases: fc
      .tuple(fc.array(fc.integer({ min: 2 ** 11, max: 2 ** 31 - 1 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }))
      .map(
        ([[n, c, h, w], k]) =>
          `new b.TimedLoop(validLoop({ kernel: 'conv', impl: 'own', dtype: 'bf16', shape: [${n}, ${c}, ${h}, ${w}, ${k}, 1, 1, 1, 0], seed: 1 }))`,
      ),
  },
  {
    name: 'TimedLoop: a knob out of range or on a workload without it',
    expect: 'args',
    runs: 16,
    cases: fc.oneof(
      fc
        .integer({ min: 9, max: 65536 })
        .map((v) => `new b.TimedLoop(validLoop({ kernel: 'conv', impl: 'own', dtype: 'bf16', shape: [1, 8, 8, 8, 8, 3, 3, 1, 1], seed: 1, variant: ${v} }))`),
      fc.integer({ min: 0, max: 65536 }).map((v) => `new b.TimedLoop(validLoop({ ...validSpec(), variant: ${v} }))`),
      fc
        .string({ maxLength: 10 })
        .filter((s) => !['', 'auto', 'unified', 'composite'].includes(s))
        .map(
          (s) =>
            `new b.TimedLoop(validLoop({ kernel: 'attention', impl: 'cudnn', dtype: 'bf16', shape: [1, 1, 64, 64, 0], seed: 1, cudnnGraph: ${JSON.stringify(s)} }))`,
        ),
    ),
  },
  {
    name: 'TimedLoop.run: not a 64-bit start time',
    expect: 'args',
    runs: 20,
    cases: fc
      .oneof(
        source.undefined,
        source.null,
        source.bool,
        source.string,
        source.symbol,
        source.number,
        source.object,
        fc.bigInt({ min: -(2n ** 70n), max: -1n }).map((v) => `${v}n`),
        fc.bigInt({ min: 2n ** 64n, max: 2n ** 80n }).map((v) => `${v}n`),
      )
      .map((v) => `new b.TimedLoop(validLoop()).run(${v})`),
  },
  ...METHODS.map(
    ([cls, method, own]): Group => ({
      name: `${cls}.prototype.${method} on another object`,
      expect: 'args',
      runs: 6,
      cases: wrongThis(own).map((self) => `b.${cls}.prototype.${method}.call(${self})`),
    }),
  ),
  { name: 'workloadCheck: a spoiled spec', expect: 'args', runs: 30, cases: spoiled('validSpec()', SPEC).map((a) => `b.workloadCheck(${a}, 0)`) },
  {
    name: 'workloadCheck: a bad device',
    expect: 'args',
    runs: 12,
    cases: badValue({ type: 'int', min: 0, max: 1023 }).map((d) => `b.workloadCheck(validSpec(), ${d})`),
  },
  { name: 'workloadAvailable: a spoiled spec', expect: 'args', runs: 30, cases: spoiled('validSpec()', SPEC).map((a) => `b.workloadAvailable(${a})`) },
  { name: 'workloadAvailable: not a spec', expect: 'args', runs: 8, cases: notAnObject('validSpec()').map((a) => `b.workloadAvailable(${a})`) },
  {
    name: 'workloadAvailable: any kernel, impl, dtype, knob and shape the types allow',
    expect: 'any',
    runs: 30,
    cases: fc
      .record({
        kernel: fc.oneof(fc.constantFrom('gemm', 'conv', 'attention', 'copy', 'triad', 'memcpy', 'probe'), fc.string({ maxLength: 8 })),
        impl: fc.oneof(fc.constantFrom('own', 'cublas', 'cudnn', 'cudart'), fc.string({ maxLength: 8 })),
        dtype: fc.oneof(fc.constantFrom('bf16', 'fp16', 'tf32', 'fp32', 'none'), fc.string({ maxLength: 8 })),
        shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })), { maxLength: 10 }),
        variant: fc.option(fc.integer({ min: -1, max: 65536 }), { nil: undefined }),
        cudnnGraph: fc.option(fc.oneof(fc.constantFrom('auto', 'unified', 'composite'), fc.string({ maxLength: 6 })), { nil: undefined }),
      })
      .map((s) => `b.workloadAvailable({ ...validProbe(), ...${JSON.stringify(s)} })`),
  },
  { name: 'smPartitioning: a bad device', expect: 'args', runs: 12, cases: badValue({ type: 'int', min: 0, max: 1023 }).map((d) => `b.smPartitioning(${d})`) },
  { name: 'createGreenContexts: a spoiled request', expect: 'args', runs: 24, cases: spoiled('validGreen()', GREEN).map((a) => `b.createGreenContexts(${a})`) },
  { name: 'createGreenContexts: not a request', expect: 'args', runs: 8, cases: notAnObject('validGreen()').map((a) => `b.createGreenContexts(${a})`) },
  { name: 'NvmlSampler: a spoiled option', expect: 'args', runs: 24, cases: spoiled('validNvml()', NVML).map((a) => `new b.NvmlSampler(${a})`) },
  { name: 'NvmlSampler: not options', expect: 'args', runs: 8, cases: notAnObject('validNvml()').map((a) => `new b.NvmlSampler(${a})`) },
  {
    name: 'nvmlProcessUtilization: a spoiled option',
    expect: 'args',
    runs: 16,
    cases: spoiled(VALID_PROCESS_UTILIZATION, PROCESS_UTILIZATION).map((a) => `b.nvmlProcessUtilization(${a})`),
  },
  {
    name: 'nvmlProcessUtilization: not options',
    expect: 'args',
    runs: 8,
    cases: notAnObject(VALID_PROCESS_UTILIZATION).map((a) => `b.nvmlProcessUtilization(${a})`),
  },
  { name: 'cuptiActivityStart: a spoiled option', expect: 'args', runs: 20, cases: spoiled('validCupti()', CUPTI).map((a) => `b.cuptiActivityStart(${a})`) },
  { name: 'cuptiActivityStart: not options', expect: 'args', runs: 8, cases: notAnObject('validCupti()').map((a) => `b.cuptiActivityStart(${a})`) },
  { name: 'PmSampler: a spoiled option', expect: 'args', runs: 24, cases: spoiled('validPm()', PM).map((a) => `new b.PmSampler(${a})`) },
  { name: 'PmSampler: not options', expect: 'args', runs: 8, cases: notAnObject('validPm()').map((a) => `new b.PmSampler(${a})`) },
  {
    name: 'extra arguments to calls that take fewer',
    expect: 'any',
    runs: 24,
    cases: fc
      .tuple(
        fc.constantFrom(
          'b.addonInfo',
          'b.cudaDevices',
          'b.nvmlSnapshot',
          'b.releaseGreenContexts',
          'b.cuptiActivityStop',
          'new b.TimedLoop(validLoop()).stop',
          'new b.TimedLoop(validLoop()).release',
          'new b.NvmlSampler(validNvml()).latest',
          'new b.NvmlSampler(validNvml()).stop',
          'new b.PmSampler(validPm()).stop',
        ),
        fc.array(anyValue, { minLength: 1, maxLength: 3 }),
      )
      .map(([fn, args]) => `${fn}(${args.join(', ')})`),
  },
];

/** Calls with arguments missing, and classes called without new: each a case of its own. */
const FIXED: FuzzCase[] = [
  ...[
    'b.workloadCheck()',
    'b.workloadCheck(validSpec())',
    'b.workloadAvailable()',
    'b.smPartitioning()',
    'b.createGreenContexts()',
    'b.cuptiActivityStart()',
    'b.nvmlProcessUtilization()',
    'new b.TimedLoop()',
    'new b.NvmlSampler()',
    'new b.PmSampler()',
    'new b.TimedLoop(validLoop()).run()',
  ].map((expression) => ({ group: 'arguments missing', expression, expect: 'args' as const })),
  ...['b.TimedLoop(validLoop())', 'b.NvmlSampler(validNvml())', 'b.PmSampler(validPm())', 'b.TimedLoop.call({}, validLoop())'].map((expression) => ({
    group: 'a class called without new',
    expression,
    expect: 'args' as const,
  })),
  ...['new b.TimedLoop(proxy(validLoop(), "none"))', 'b.workloadAvailable(proxy(validSpec(), "none"))', 'new b.NvmlSampler(proxy(validNvml(), "has"))'].map(
    (expression) => ({ group: 'a Proxy that answers', expression, expect: 'any' as const }),
  ),
];

/**
 * At least `target` distinct cases, generated from `seed` (the same seed gives the same cases):
 * every group sampled in rounds until that many distinct expressions came out.
 */
export function fuzzCases(seed: number, target = 520): FuzzCase[] {
  const out: FuzzCase[] = [...FIXED];
  const seen = new Set(out.map((c) => c.expression));
  for (let round = 0; round < 8; round++) {
    for (const [i, group] of GROUPS.entries()) {
      for (const expression of fc.sample(group.cases, { numRuns: group.runs, seed: seed + 1000 * round + i })) {
        if (round > 0 && out.length >= target) return out; // every group had its full first round
        if (seen.has(expression)) continue;
        seen.add(expression);
        out.push({ group: group.name, expression, expect: group.expect });
      }
    }
    if (out.length >= target) return out;
  }
  return out;
}
