// `gpushare-micro merge DIR… -o OUT`: sweeps made on several nodes (or several GPUs of one node: a
// sweep with --devices) put side by side. Each directory is a sweep's results directory (summary.json);
// its points are split by the GPU that ran them (the point's recorded device and GPU, else the sweep's
// environment), each GPU of each directory being one "node" (host/gpuINDEX). The same point id on
// several nodes is the same point: its headline figures per node, and their node-to-node spread
// (min, median, max, max/min) over all nodes and per GPU model. Written to OUT/merged.json
// (src/report/merged-schema.ts), atomically. Scenario directories are not merged (yet): one line says so.
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { OptionError } from '../errors.js';
import { maxOf, median, minOf } from '../metrics/stats.js';
import { checkFile } from '../report/check.js';
import { writeJsonAtomic } from '../report/json.js';
import {
  MERGED_FIGURES,
  MERGED_FILE,
  MERGED_SCHEMA,
  MERGED_SCHEMA_VERSION,
  type Figures,
  type Intervals,
  type MergedComparison,
  type MergedNode,
  type MergedPoint,
  type Spread,
  type Spreads,
} from '../report/merged-schema.js';
import { SWEEP_SUMMARY_FILE, sweepSummarySchema, type PointSummary, type SweepSummary } from '../report/sweep-schema.js';
import { SCENARIO_SUMMARY_FILE } from '../scenario/result-schema.js';

const UNKNOWN_GPU = 'unknown GPU';

/** One results directory as read: its summary. */
export interface MergeSource {
  dir: string;
  summary: SweepSummary;
}

/** Reads a sweep's results directory; a scenario's, or anything else, is refused in one line naming it. */
export async function readSource(dir: string): Promise<MergeSource> {
  const file = join(dir, SWEEP_SUMMARY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    const scenario = await readFile(join(dir, SCENARIO_SUMMARY_FILE)).then(
      () => true,
      () => false,
    );
    const what = scenario ? 'a sweep results directory (scenario directories are not merged)' : 'a sweep results directory holding summary.json';
    throw new OptionError('DIR', what, dir);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OptionError('DIR', `a sweep results directory whose ${SWEEP_SUMMARY_FILE} is JSON`, dir);
  }
  const parsed = checkFile(sweepSummarySchema, value);
  if (!parsed.success)
    throw new OptionError('DIR', `a sweep results directory whose ${SWEEP_SUMMARY_FILE} is a gpushare-micro/sweep summary (${parsed.problem})`, dir);
  return { dir, summary: parsed.data };
}

/** The spread of some values: undefined when there are none. */
export function spreadOf(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const min = minOf(values);
  const max = maxOf(values);
  const out: Spread = { n: values.length, min, median: median(values), max };
  if (min > 0) out.ratio = max / min;
  return out;
}

function figuresOf(p: PointSummary): Figures {
  const out: Figures = {};
  for (const f of MERGED_FIGURES) if (p[f] !== undefined) out[f] = p[f];
  return out;
}

/** A point measured several times: its runs and its figures' intervals; nothing for one run. */
function intervalsOf(p: PointSummary): { runs?: number; ci?: Intervals } {
  if (p.runs === undefined) return {};
  const ci: Intervals = {};
  for (const f of ['aggregateVsSolo', 'slowdownMedian', 'p99VsSolo'] as const) if (p.ci?.[f]) ci[f] = p.ci[f];
  return { runs: p.runs, ...(Object.keys(ci).length > 0 ? { ci } : {}) };
}

/** A source's points, each with the node (host and GPU) that ran it; points that never ran on a known GPU are left out. */
function sourceNodes(source: MergeSource): Array<{ node: MergedNode; points: PointSummary[] }> {
  const env = source.summary.environment;
  const hostname = env?.hostname ?? 'unknown';
  const groups = new Map<string, { node: MergedNode; points: PointSummary[] }>();
  for (const p of source.summary.points) {
    // A point that ran records its device (sweeps before --devices: the sweep's one GPU); a pending one ran nowhere yet.
    const device = p.device ?? (p.status === 'pending' ? undefined : env?.gpu.index);
    if (device === undefined) continue;
    const key = String(device);
    let group = groups.get(key);
    if (!group) {
      const gpuName = p.gpuName ?? (env?.gpu.index === device ? env.gpu.name : undefined) ?? UNKNOWN_GPU;
      const gpuUuid = p.gpuUuid ?? (env?.gpu.index === device ? env.gpu.uuid : undefined);
      const node: MergedNode = { id: `${hostname}/gpu${device}`, hostname, gpuName, device, source: source.dir };
      if (gpuUuid) node.gpuUuid = gpuUuid;
      group = { node, points: [] };
      groups.set(key, group);
    }
    // The first point of a device may be a skipped one, which records no GPU: a later one names it.
    if (!group.node.gpuUuid && p.gpuUuid) group.node.gpuUuid = p.gpuUuid;
    if (group.node.gpuName === UNKNOWN_GPU && p.gpuName) group.node.gpuName = p.gpuName;
    group.points.push(p);
  }
  return [...groups.values()];
}

function spreads(entries: Array<{ status: string; figures: Figures }>): Spreads {
  const out: Spreads = {};
  for (const f of MERGED_FIGURES) {
    const s = spreadOf(entries.filter((e) => e.status === 'done' && e.figures[f] !== undefined).map((e) => e.figures[f]!));
    if (s) out[f] = s;
  }
  return out;
}

/** The merged comparison of some sweeps' results (read with readSource). */
export function mergeSources(sources: MergeSource[], command?: string[]): MergedComparison {
  const nodes: MergedNode[] = [];
  const points = new Map<string, MergedPoint>();
  sources.forEach((source, index) => {
    for (const { node, points: list } of sourceNodes(source)) {
      // Two directories from one host and GPU index (the same node measured twice): told apart by the directory's name.
      if (nodes.some((n) => n.id === node.id)) node.id = `${node.id}@${basename(resolve(source.dir))}`;
      if (nodes.some((n) => n.id === node.id)) node.id = `${node.id}#${index + 1}`;
      nodes.push(node);
      for (const p of list) {
        let merged = points.get(p.id);
        if (!merged) {
          merged = {
            id: p.id,
            kernel: p.kernel,
            size: p.size,
            procs: p.procs,
            mode: p.mode,
            loop: p.loop,
            options: p.options,
            nodes: [],
            spread: {},
            byModel: [],
          };
          points.set(p.id, merged);
        }
        merged.nodes.push({ node: node.id, status: p.status, ...(p.reason ? { reason: p.reason } : {}), figures: figuresOf(p), ...intervalsOf(p) });
      }
    }
  });
  const models = [...new Set(nodes.map((n) => n.gpuName))].map((gpuName) => ({ gpuName, nodes: nodes.filter((n) => n.gpuName === gpuName).map((n) => n.id) }));
  for (const p of points.values()) {
    p.spread = spreads(p.nodes);
    p.byModel = models.map((m) => ({ gpuName: m.gpuName, spread: spreads(p.nodes.filter((e) => m.nodes.includes(e.node))) }));
  }
  const out: MergedComparison = {
    schema: MERGED_SCHEMA,
    version: MERGED_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    sources: sources.map((s) => ({ dir: s.dir, kind: 'sweep' as const, createdAt: s.summary.createdAt, points: s.summary.points.length })),
    nodes,
    models,
    points: [...points.values()],
  };
  if (command) out.command = command;
  return out;
}

/** Reads every directory, merges them and writes OUT/merged.json; the comparison. */
export async function mergeDirectories(dirs: string[], outDir: string, command?: string[]): Promise<MergedComparison> {
  if (dirs.length === 0) throw new OptionError('DIR', 'one or more sweep results directories', '');
  const sources = await Promise.all(dirs.map(readSource));
  const merged = mergeSources(sources, command);
  await mkdir(outDir, { recursive: true });
  await writeJsonAtomic(join(outDir, MERGED_FILE), merged);
  return merged;
}
