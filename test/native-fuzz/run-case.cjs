// Runs one N-API call in a process of its own, for napi-fuzz.test.ts: loads the addon from
// GSM_FUZZ_ADDON, evaluates the call expression given as argv[2] (with the addon as `b` and the
// helpers below in scope), settles it if it returned a promise, and prints one JSON line saying what
// happened. A crash shows as a signal or an exit code other than 0 in the parent.
'use strict';

const b = require(process.env.GSM_FUZZ_ADDON);

// ---- valid arguments, which each case spoils in one place ----
const validSpec = () => ({ kernel: 'gemm', impl: 'own', dtype: 'bf16', shape: [4, 4, 4], seed: 1 });
const validProbe = () => ({
  kernel: 'probe',
  impl: 'own',
  dtype: 'none',
  shape: [],
  seed: 1,
  probeActiveNs: 1e6,
  gapThresholdNs: 1000,
  gapCapacity: 16,
});
const validLoop = (workload = validSpec()) => ({
  workload,
  device: 0,
  streamPriority: 0,
  greenContext: -1,
  durationNs: 1e8,
  launches: 0,
  depth: 1,
  traceCapacity: 0,
  warmupNs: 0,
});
const validGreen = () => ({ device: 0, smCounts: [8] });
const validNvml = () => ({ device: 0, periodMs: 50, gpm: false });
const validCupti = () => ({ device: 0, maxRecords: 10 });
const validPm = () => ({ device: 0, intervalNs: 1e5, hardwareBufferBytes: 2 ** 24, maxSamplesPerImage: 100 });

// ---- ways to spoil them ----
function parentOf(obj, path) {
  let o = obj;
  for (const key of path.slice(0, -1)) o = o[key];
  return o;
}
/** obj with the field at `path` set to `value` (an own, enumerable property). */
function set(obj, path, value) {
  parentOf(obj, path)[path[path.length - 1]] = value;
  return obj;
}
/** obj without the field at `path`. */
function drop(obj, path) {
  delete parentOf(obj, path)[path[path.length - 1]];
  return obj;
}
/** obj whose field at `path` is a getter that throws. */
function throwingGetter(obj, path) {
  Object.defineProperty(parentOf(obj, path), path[path.length - 1], {
    enumerable: true,
    get() {
      throw new Error('getter refused');
    },
  });
  return obj;
}
/** A Proxy of obj whose `trap` throws (or, with trap 'none', a transparent Proxy). */
function proxy(obj, trap) {
  const handler = {};
  if (trap !== 'none') {
    handler[trap] = () => {
      throw new RangeError(`${trap} trap refused`);
    };
  }
  return new Proxy(obj, handler);
}
/** An array whose element `index` is a getter that throws. */
function throwingElement(array, index) {
  Object.defineProperty(array, index, {
    get() {
      throw new Error('element refused');
    },
  });
  return array;
}

function describe(error) {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return { name: typeof error, message: String(error) };
  return { name: error.constructor?.name ?? 'unknown', code: error.code, message: String(error.message) };
}

async function main() {
  const expression = process.argv[2];
  const evaluate = new Function(
    'b',
    'validSpec',
    'validProbe',
    'validLoop',
    'validGreen',
    'validNvml',
    'validCupti',
    'validPm',
    'set',
    'drop',
    'throwingGetter',
    'proxy',
    'throwingElement',
    `return (${expression});`,
  );
  let result;
  try {
    const value = evaluate(b, validSpec, validProbe, validLoop, validGreen, validNvml, validCupti, validPm, set, drop, throwingGetter, proxy, throwingElement);
    if (value instanceof Promise) {
      try {
        await value;
        result = { outcome: 'resolved' };
      } catch (error) {
        result = { outcome: 'rejected', ...describe(error) };
      }
    } else {
      result = { outcome: 'returned' };
    }
  } catch (error) {
    result = { outcome: 'threw', ...describe(error) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
