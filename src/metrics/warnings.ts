// What a reader must know before trusting a run's figures (RunResult.warnings), derived from the
// result itself: figures left out for want of evidence and why, figures printed on too few samples,
// and two sources that should agree but do not. One line each; src/report/warnings.ts prints them.
import { findMode } from '../modes/index.js';
import { formatDuration } from '../report/format.js';
import type { RunResultJson } from '../report/schema.js';
import { traceCoverage } from '../registry/traced.js';
import { percentileOf, samplesForPercentile, TRACES_VS_GPM_TOLERANCE, tracesAgreeWithGpm, type TraceSource } from './evidence.js';

export interface Warning {
  tag: string;
  message: string;
}

type Phase = RunResultJson['shared'];

const formatCount = (n: number) => n.toLocaleString('en-US');
const formatFraction = (v: number) => `${(v * 100).toFixed(1)}%`;
/** "60 samples", "18–47 samples" */
function samplesText(counts: readonly number[]): string {
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  return `${formatCount(lo)}${hi > lo ? `–${formatCount(hi)}` : ''} sample${hi === 1 ? '' : 's'}`;
}
type Client = Phase['clients'][number];
type Spec = RunResultJson['options']['clients'][number];

/** The run's phases with the names the text uses: each role alone ("solo" with one role), then shared. */
function phasesOf(r: RunResultJson): Array<{ name: string; phase: Phase }> {
  const single = r.baselines.length === 1;
  return [...r.baselines.map((b) => ({ name: single ? 'solo' : `solo ${b.role}`, phase: b.phase })), { name: 'shared', phase: r.shared }];
}

function specOf(r: RunResultJson, c: Client): Spec {
  return r.options.clients.find((s) => s.role === c.role) ?? r.options.clients[0]!;
}

/**
 * What a client's switch and SM figures rest on: as recorded, or for a file made before that was
 * recorded, as its trace counts and CUPTI records show; undefined for a client that did not finish.
 */
export function traceSourceOf(r: RunResultJson, c: Client): TraceSource | undefined {
  if (c.trace) return c.trace;
  if (c.elapsedNs <= 0) return undefined;
  if (c.tracedLaunches > 0) {
    const spec = specOf(r, c);
    return traceCoverage(spec.kernel, spec.impl)?.coverage === 'part' ? 'cta-part' : 'cta';
  }
  return c.kernelActivity?.available && (c.kernelActivity.kernels?.startNs.length ?? 0) > 0 ? 'kernels' : 'none';
}

/** "gemm, --impl cublas" */
function workOf(spec: Spec): string {
  return `${spec.kernel}, --impl ${spec.impl}`;
}

/** Why a role of `source` has no CTA records, and what stands in, in a clause. */
function untracedText(r: RunResultJson, spec: Spec, source: TraceSource): string {
  const untraced = traceCoverage(spec.kernel, spec.impl)?.untraced;
  if (source === 'cta-part') return `${untraced ?? 'some of its kernels'} write no CTA records, so its traces cover only part of each launch`;
  const why = untraced
    ? `${untraced} write no CTA records`
    : r.options.traceRecords === 0
      ? 'no CTA record was kept (--trace-records 0)'
      : 'its clients wrote no CTA record';
  if (source === 'kernels') return `${why}; CUPTI's kernel records stand in, kernel by kernel: kernel-level switches and kernel time, no per-SM figures`;
  if (!untraced) return `${why}, and no switch can be told from its turns`;
  const cupti = !r.options.observe?.cupti
    ? '--cupti would record them kernel by kernel'
    : findMode(r.mode)?.traits.oneProcess
      ? 'CUPTI records kernels only where each client is a process of its own (time slicing, MPS, MIG)'
      : 'CUPTI could not record them (Device says why)';
  return `${why} and ${cupti}, so no switch can be told from its turns`;
}

/** Per role, the clients (of any phase) whose SM figures are left out: library kernels, or kernels traced in part. */
function untracedWarnings(r: RunResultJson): Warning[] {
  const out: Warning[] = [];
  for (const spec of r.options.clients) {
    const sources = phasesOf(r)
      .flatMap(({ phase }) => phase.clients.filter((c) => (c.role ?? spec.role) === spec.role))
      .map((c) => traceSourceOf(r, c))
      .filter((s): s is TraceSource => s !== undefined && s !== 'cta');
    if (sources.length === 0) continue;
    const source = sources.includes('none') ? 'none' : sources.includes('cta-part') ? 'cta-part' : 'kernels';
    // An untraced client leaves the shared phase without a window in which every client was traced: no role has figures there.
    const others = source === 'none' && r.options.clients.length > 1 ? ', nor for the roles beside it (their figures need every client traced)' : '';
    const what = source === 'none' ? 'no SM or switch figures' : 'no SM figures (SM share, SMs busy and idle, SM timeline)';
    let message = `${what} for role ${spec.role} (${workOf(spec)})${others}: ${untracedText(r, spec, source)}`;
    if (source === 'cta-part' && r.shared.switches.kind === 'timeslicing' && r.shared.switches.count > 0) {
      message += '; its switch gaps and the switching overhead count those kernels as switching: upper bounds (--cupti records every kernel)';
    }
    out.push({ tag: source === 'cta-part' ? 'evidence.partialCtaTrace' : 'evidence.noCtaTrace', message });
  }
  return out;
}

/** Phases whose CTA trace buffer filled before the end: their SM and switch figures cover only the traced window. */
function traceBufferWarnings(r: RunResultJson): Warning[] {
  const out: Warning[] = [];
  for (const { name, phase } of phasesOf(r)) {
    const traced = phase.clients.filter((c) => {
      const source = traceSourceOf(r, c);
      return source === 'cta' || source === 'cta-part';
    });
    const short = traced.filter((c) => c.tracedLaunches < c.launches);
    const windowNs = phase.switches.windowEndNs - phase.switches.windowStartNs;
    if (short.length === 0 || !(windowNs > 0)) continue;
    const launches = traced.reduce((n, c) => n + c.launches, 0);
    const held = traced.reduce((n, c) => n + Math.min(c.tracedLaunches, c.launches), 0);
    const measuredNs = Math.max(...phase.clients.map((c) => c.elapsedNs));
    out.push({
      tag: 'evidence.traceBufferFull',
      message: `${name}: the CTA traces hold ${formatCount(held)} of ${formatCount(launches)} launches (--trace-records ${formatCount(r.options.traceRecords)} filled), so its SM and switch figures cover ${formatDuration(windowNs)} of the ${formatDuration(measuredNs)} measured`,
    });
  }
  return out;
}

/** Time-slice and gap percentiles left out for want of switches (src/metrics/switches.ts switchSummaries). */
function fewSwitchesWarning(r: RunResultJson): Warning[] {
  const s = r.shared.switches;
  if (s.kind !== 'timeslicing' || s.count === 0) return [];
  const left: string[] = [];
  const needs = new Map<number, string[]>();
  for (const [name, d, keys] of [
    ['time slice', s.slice, ['p10', 'p50', 'p90']],
    ['switch gap', s.gap, ['p50', 'p99']],
  ] as const) {
    const dropped = keys.filter((k) => (d?.count ?? 0) < samplesForPercentile(percentileOf(k)!));
    if (dropped.length > 0) left.push(`${name} ${dropped.join(', ')}`);
    for (const k of dropped) {
      const n = samplesForPercentile(percentileOf(k)!);
      needs.set(n, [...new Set([...(needs.get(n) ?? []), k])]);
    }
  }
  if (left.length === 0) return [];
  const need = [...needs].map(([n, keys]) => `a ${keys.join(' or ')} needs ${formatCount(n)}`).join(', ');
  return [
    {
      tag: 'switches.few',
      message: `only ${formatCount(s.count)} context switch${s.count === 1 ? '' : 'es'} in the traced window: ${left.join(' and ')} left out (${need} samples)`,
    },
  ];
}

/** The traces' busy share against GPM's SM activity, phase by phase, beyond TRACES_VS_GPM_TOLERANCE. */
function gpmWarnings(r: RunResultJson): Warning[] {
  const out: Warning[] = [];
  for (const { name, phase } of phasesOf(r)) {
    const busy = phase.aggregate.find((s) => s.tag === 'occupancy.busy')?.value;
    const ratio = phase.aggregate.find((s) => s.tag === 'occupancy.vsGpm')?.value;
    if (busy === undefined || ratio === undefined || !(ratio > 0)) continue;
    const gpm = busy / ratio;
    if (tracesAgreeWithGpm(busy, gpm)) continue;
    const tolerance = `${TRACES_VS_GPM_TOLERANCE.relative * 100}% and ${TRACES_VS_GPM_TOLERANCE.points * 100} points`;
    out.push({
      tag: 'occupancy.vsGpm',
      message: `${name}: SMs busy from the CTA traces (${formatFraction(busy)}) and GPM's SM activity (${formatFraction(gpm)}) disagree, ${ratio.toFixed(2)}×, beyond the tolerance of ${tolerance}`,
    });
  }
  return out;
}

/** One percentile figure and the samples it rests on. */
interface Sampled {
  who: string;
  percentile: string;
  samples: number;
}

/** Every latency percentile the run prints, with its sample count: each client's (solo too), each role's pooled, each SLO's. */
function latencyPercentiles(r: RunResultJson): Sampled[] {
  const out: Sampled[] = [];
  for (const { name, phase } of phasesOf(r)) {
    for (const c of phase.clients) {
      const who = name === 'shared' ? `client ${c.client}` : name;
      for (const s of c.summaries) {
        const m = /^latency\.(p[\d.]+)$/.exec(s.tag);
        if (m) out.push({ who, percentile: m[1]!, samples: c.launches });
      }
    }
  }
  // A role's pooled figures are printed where the run has several roles or objectives (the Roles section, a scenario's tables).
  const roles = r.options.clients.length > 1 || r.options.clients.some((s) => s.slo || s.loop === 'open') ? r.roles : [];
  for (const role of roles) {
    const requests = r.shared.clients.filter((c) => role.clients.includes(c.client)).reduce((n, c) => n + c.launches, 0);
    for (const s of role.summaries) {
      const m = /^role\.latency\.(p[\d.]+)$/.exec(s.tag);
      if (m) out.push({ who: `role ${role.role}`, percentile: m[1]!, samples: requests });
    }
    for (const o of role.slo ?? []) out.push({ who: `role ${role.role}'s SLO`, percentile: o.percentile, samples: o.requests });
  }
  return out;
}

/** Latency percentiles printed on fewer samples than they need: marked, not left out (the samples are in the file). */
function fewSamplesWarning(r: RunResultJson): Warning[] {
  const short = latencyPercentiles(r).filter((x) => {
    const q = percentileOf(x.percentile);
    return q !== undefined && x.samples < samplesForPercentile(q);
  });
  if (short.length === 0) return [];
  const byPercentile = new Map<string, Sampled[]>();
  for (const x of short) byPercentile.set(x.percentile, [...(byPercentile.get(x.percentile) ?? []), x]);
  const parts = [...byPercentile].map(([p, xs]) => {
    const who = [...new Set(xs.map((x) => x.who))];
    const samples = samplesText(xs.map((x) => x.samples));
    return `${p} of ${who.join(', ')} on ${samples} (a ${p} needs ${formatCount(samplesForPercentile(percentileOf(p)!))})`;
  });
  return [{ tag: 'latency.fewSamples', message: `latency percentiles on too few samples, each near the slowest of them: ${parts.join('; ')}` }];
}

/** The comparison leaves out the aggregate and fairness when a shared client did not finish: say which. */
function unfinishedWarning(r: RunResultJson): Warning[] {
  if (r.baselines.length === 0 || r.comparison.some((s) => s.tag === 'aggregate.vsSolo')) return [];
  const unfinished = r.shared.clients.filter((c) => !c.summaries.some((s) => s.tag === 'throughput'));
  if (unfinished.length === 0) return [];
  const list = unfinished.map((c) => `${c.client} (${c.status})`).join(', ');
  return [
    {
      tag: 'comparison.unfinished',
      message: `no aggregate against solo and no fairness: client${unfinished.length === 1 ? '' : 's'} ${list} measured no throughput`,
    },
  ];
}

/** Everything a reader of `r` must know before trusting its figures, one line each. */
export function evidenceWarnings(r: RunResultJson): Warning[] {
  return [...untracedWarnings(r), ...traceBufferWarnings(r), ...fewSwitchesWarning(r), ...gpmWarnings(r), ...fewSamplesWarning(r), ...unfinishedWarning(r)];
}

/** Phase tags that rest on the CTA traces of every client, and the switch analysis's. */
const SM_TAGS = new Set(['occupancy.idle', 'occupancy.busy', 'occupancy.vsGpm']);
const isSwitchTag = (tag: string) => tag.startsWith('switch') || tag.startsWith('slice.') || tag === 'coRunning' || tag === 'gpuStartSkew';

/** A phase of a file made before the trace sources were recorded, without the figures its traces cannot back. */
function backedPhase(r: RunResultJson, phase: Phase): Phase {
  const sources = phase.clients.map((c) => traceSourceOf(r, c));
  const finished = sources.filter((s) => s !== undefined);
  if (finished.every((s) => s === 'cta')) return phase;
  const untraced = finished.includes('none');
  const clients = phase.clients.map((c, i) => (sources[i] === 'cta' ? c : { ...c, summaries: c.summaries.filter((s) => s.tag !== 'smShare') }));
  const aggregate = phase.aggregate.filter((s) => !SM_TAGS.has(s.tag) && !(untraced && isSwitchTag(s.tag)));
  const { occupancy: _sm, ...rest } = phase;
  const w = phase.switches.windowStartNs;
  const switches = untraced
    ? {
        windowStartNs: w,
        windowEndNs: w,
        switches: [],
        slices: [],
        count: 0,
        perSecond: 0,
        overheadFraction: 0,
        overlapCount: 0,
        kind: 'single' as const,
        coRunningFraction: 0,
      }
    : phase.switches;
  return { ...rest, clients, aggregate, switches };
}

/**
 * A result as this version would have written it: files made before the clients' trace sources were
 * recorded may hold per-SM figures of library kernels (from CUPTI records, which carry no SM) or of
 * model steps traced in part, and switch figures that left an untraced client out. Those are dropped,
 * and the warnings added where the file has none. A file this version wrote comes back as it was.
 */
export function withoutUnbackedFigures(r: RunResultJson): RunResultJson {
  if ([r.shared, ...r.baselines.map((b) => b.phase)].every((p) => p.clients.every((c) => c.trace !== undefined || c.elapsedNs <= 0))) return r;
  const shared = backedPhase(r, r.shared);
  const kept = new Set(shared.clients.filter((c) => c.summaries.some((s) => s.tag === 'smShare')).map((c) => c.client));
  const roles = r.roles.map((role) =>
    role.clients.every((c) => kept.has(c)) ? role : { ...role, summaries: role.summaries.filter((s) => s.tag !== 'role.smShare') },
  );
  const out: RunResultJson = { ...r, baselines: r.baselines.map((b) => ({ ...b, phase: backedPhase(r, b.phase) })), shared, roles };
  if (out.warnings) return out;
  const warnings = evidenceWarnings(out);
  return warnings.length > 0 ? { ...out, warnings } : out;
}
