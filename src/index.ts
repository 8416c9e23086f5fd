// The public API: `import { run, probe, info } from 'gpushare-micro'`. The CLI is a thin layer over it.
export { run, measure, RESULT_SCHEMA, RESULT_SCHEMA_VERSION } from './run.js';
export type { RunResult, RunControls, Progress } from './run.js';
export { probe, PROBE_DEFAULTS } from './probe.js';
export type { ProbeOptions } from './probe.js';
export { info } from './info.js';
export type { InfoResult, GpuInfo, ModeSupport } from './info.js';
export { resolveRunConfig, parseDuration, KERNELS, LOOPS, DEFAULTS, MAX_PROCS } from './config.js';
export type { RunOptions, RunConfig, Kernel, LoopKind } from './config.js';
export type { PhaseResult, ClientReport } from './phase.js';
export type { Environment, ClockState } from './environment.js';
export type { Summary, Hint } from './metrics/summary.js';
export type { SwitchAnalysis, ContextSwitch, Slice } from './metrics/switches.js';
export type { Distribution } from './metrics/stats.js';
export { OptionError, NoGpuError, AddonLoadError, CancelledError } from './errors.js';
export { writeJsonAtomic } from './report/json.js';
export { formatRunResult, formatSummaryValue } from './report/table.js';
// observe: NVML/GPM sampler, CUPTI kernel activity and PM sampling around a measured phase
export * from './observe/index.js';
