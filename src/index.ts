// The public API: `import { run, probe, sweep, info } from 'gpushare-micro'`. The CLI is a thin layer over it.
export { run, measure, measureBaseline, RESULT_SCHEMA, RESULT_SCHEMA_VERSION } from './run.js';
export type { RunResult, RunControls, Progress } from './run.js';
export { probe, PROBE_DEFAULTS } from './probe.js';
export type { ProbeOptions } from './probe.js';
export { PROBE_CURVE_SCHEMA } from './probe-curve.js';
export type { ProbeCurve, ProbeCurvePoint, ProbeCurveOptions } from './probe-curve.js';
export { probeStates, PROBE_REGISTER_CHOICES } from './registry/probe-state.js';
export type { ProbeState, ProbeStateOptions, ProbeRegisters, SharedBytesText } from './registry/probe-state.js';
export { info } from './info.js';
export type { InfoResult, GpuInfo, ModeSupport } from './info.js';
export { parseDuration, parseSize, KERNELS, LOOPS, MODES, DEFAULTS, MAX_PROCS } from './config.js';
export type { RunOptions, RunConfig, Kernel, LoopKind, ModeName, Priority } from './config.js';
export type { DurationText, SizeText, ArrivalText, SloText } from './options.js';
// The validators with typed options (the modules' own take the command line's strings too).
export { resolveRunConfig, planSweep, resolveBenchConfig, probeCurve } from './api/options.js';
export { SHARING_MODES, sharingMode } from './modes/index.js';
export type {
  SharingMode,
  ModeSession,
  ModeContext,
  Availability,
  ModeTraits,
  ModeLayout,
  ModeFacts,
  ModeOption,
  ModeConfig,
  ClientFigure,
} from './modes/index.js';
export { startMpsDaemon, stopMpsDaemon, attachMpsDaemon, mpsStatus } from './mps/daemon.js';
export type { MpsDaemon, MpsStatus } from './mps/daemon.js';
export { SWEEP_DEFAULTS, SWEEP_KERNELS, SWEEP_LOOPS } from './sweep/plan.js';
export type { SweepOptions, SweepPlan, SweepPoint, SweepKernel, SweepLoop } from './sweep/plan.js';
export { runSweep } from './sweep/runner.js';
export type { SweepControls, SweepProgress } from './sweep/runner.js';
export type { SweepSummary, PointSummary } from './report/sweep-schema.js';
export { csvExporter, markdownExporter, tableExporter } from './sweep/exporters.js';
export type { PhaseResult, ClientReport } from './phase.js';
export type { Environment, ClockState } from './environment.js';
export type { Summary, Hint } from './metrics/summary.js';
export type { SwitchAnalysis, ContextSwitch, Slice } from './metrics/switches.js';
export type { Distribution } from './metrics/stats.js';
export { OptionError, NoGpuError, AddonLoadError, CancelledError, ModeUnavailableError, OutputError, ScenarioFileError } from './errors.js';
export { listScenarios, loadScenario, parseScenario, readScenario, scenarioRunConfig, SCENARIO_DIR } from './scenario/file.js';
export { scenarioRunOptions } from './scenario/scenario.js';
export type { Scenario, ScenarioRole, RoleKnobs } from './scenario/scenario.js';
export { runScenario, scenarioSteps } from './scenario/runner.js';
export type { ScenarioStep, ScenarioControls, ScenarioProgress } from './scenario/runner.js';
export type { ScenarioSummary, ScenarioRun, Verdict, Objective } from './scenario/result-schema.js';
export { verdicts, formatVerdicts } from './scenario/verdict.js';
export { advise } from './scenario/advise.js';
export { formatScenario } from './report/scenario-table.js';
export type { ClientSpec, ClientOptions } from './clients/spec.js';
export type { Arrival } from './clients/arrival.js';
export type { Slo, SloOutcome } from './clients/slo.js';
export type { RoleReport } from './report/schema.js';
export { writeJsonAtomic, writeTextAtomic } from './report/json.js';
export { formatRunResult, formatSummaryValue } from './report/table.js';
export { buildReport, headline, readResult, type Headline, type HeadlineFigure, type Interval } from './api/results.js';
export { benchVerdict, formatVerdict, runVerdict, scenarioVerdict, sweepVerdict, type VerdictBlock, type VerdictLine } from './report/verdict.js';
export { terminalColumns, type TextLayout, WIDE } from './report/layout.js';
export type { ReportInput } from './report/inputs.js';
export type { RunResultJson } from './report/schema.js';

import { planSweep } from './api/options.js';
import type { SweepOptions } from './sweep/plan.js';
import { runSweep, type SweepControls } from './sweep/runner.js';

/** Plans and runs a sweep into `controls.outDir`; options are validated before any GPU work. */
export function sweep(options: SweepOptions, controls: SweepControls) {
  return runSweep(planSweep(options), controls);
}
// observe: NVML/GPM sampler, CUPTI kernel activity and PM sampling around a measured phase
export * from './observe/index.js';
export { KERNEL_PRESETS, RESNET50_CONV_PRESETS, ATTENTION_PRESETS, STREAM_PRESETS, TARGET_PRESETS, findPreset } from './registry/presets.js';
export type { KernelPreset, PresetName } from './registry/presets.js';
export {
  KERNEL_FAMILIES,
  KERNEL_IMPLS,
  KERNEL_DTYPES,
  kernelWorkload,
  shapeProblem,
  workloadFlops,
  workloadBytes,
  convOutputSize,
} from './registry/kernels.js';
export type { KernelFamily } from './registry/kernels.js';
// The registry's model workloads (resnet50-train, bert-base-*, llm-decode): shapes, FLOPs, memory need.
export {
  WORKLOADS,
  WORKLOAD_NAMES,
  workloadLayers,
  workloadStepFlops,
  workloadMemory,
  workloadShapeProblem,
  registryListing,
  KERNEL_INFO,
  WORKLOAD_PRESETS,
  GEMM_PRESETS,
} from './registry/index.js';
export type { WorkloadName, WorkloadDef, LayerCount, MemoryNeed, Impl, Dtype } from './registry/index.js';
export { layerGrowth } from './metrics/layers.js';
export type { LayerTiming, LayerGrowth } from './metrics/layers.js';
export { bench, BENCH_SCHEMA, BENCH_SCHEMA_VERSION } from './bench/bench.js';
export type { BenchResult, BenchRow, Ceiling, BenchProgress, BenchControls } from './bench/bench.js';
export { BENCH_DEFAULTS } from './bench/options.js';
export type { BenchOptions, BenchConfig, BenchEntry, BenchKernelName } from './bench/options.js';
export { BENCH_PRESETS, BENCH_KERNELS } from './bench/presets.js';
export { formatBenchResult } from './report/bench-table.js';
