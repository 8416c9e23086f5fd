// A role's figures in a shared phase: its clients taken together and compared with the role alone (its
// own solo baseline, measured in the same invocation), its latency pooled over its clients' requests —
// from each request's scheduled arrival in an open loop — split into queueing and service, and its
// objectives checked. A role of three clients compares with one client of its workload alone.
import { quantileSorted } from 'simple-statistics';
import { sloOutcome } from '../clients/slo.js';
import type { ClientSpec } from '../clients/spec.js';
import type { ClientReport, PhaseResult, RoleReport } from '../report/schema.js';
import { summary, type Summary } from './summary.js';

function value(list: readonly Summary[] | undefined, tag: string): number | undefined {
  return list?.find((s) => s.tag === tag)?.value;
}

/** Every value of the clients' sample arrays in one sorted array (NaN dropped). */
function pooled(clients: readonly ClientReport[], pick: (c: ClientReport) => readonly number[]): number[] {
  const out: number[] = [];
  for (const c of clients) for (const v of pick(c)) if (!Number.isNaN(v)) out.push(v);
  return out.sort((a, b) => a - b);
}

const LATENCY_POINTS = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p99.9', 0.999],
  ['max', 1],
] as const;

function latencySummaries(prefix: string, label: string, sorted: readonly number[], points: ReadonlyArray<readonly [string, number]>): Summary[] {
  if (sorted.length === 0) return [];
  return points.map(([name, q]) => summary(`${prefix}.${name}`, `${name} ${label}`, 'duration', quantileSorted(sorted as number[], q)));
}

/** The role's clients in the shared phase, in its own words, against its baseline client. */
/** `latency`: the clients' latencies pooled and sorted (pooled()), shared with the SLO check. */
function roleSummaries(spec: ClientSpec, clients: readonly ClientReport[], latency: readonly number[], solo: ClientReport | undefined): Summary[] {
  const out: Summary[] = [];
  const rate = clients.reduce((n, c) => n + (value(c.summaries, 'throughput') ?? 0), 0);
  out.push(summary('role.throughput', 'throughput', 'rate', rate, 'launch/s'));
  const soloRate = value(solo?.summaries, 'throughput');
  if (soloRate) out.push(summary('role.vsSolo', 'throughput vs alone', 'ratio', rate / (soloRate * clients.length)));
  const from = spec.arrival && spec.arrival.kind !== 'bursty' ? 'latency (from arrival)' : 'latency';
  out.push(...latencySummaries('role.latency', from, latency, LATENCY_POINTS));
  const soloP99 = solo ? quantileOf(solo.samples.latencyNs, 0.99) : undefined;
  const p99 = value(out, 'role.latency.p99');
  if (soloP99 && p99 !== undefined) out.push(summary('role.latency.p99.vsSolo', 'p99 latency vs alone', 'ratio', p99 / soloP99));
  // The SMs the role held: its clients' shares of the traced SM time added up.
  const shares = clients.map((c) => value(c.summaries, 'smShare'));
  if (shares.length > 0 && shares.every((v) => v !== undefined))
    out.push(summary('role.smShare', 'SM share', 'fraction', shares.reduce((a, b) => a! + b!, 0)!));
  if (spec.loop === 'open') {
    const queueing = pooled(clients, (c) => c.samples.latencyNs.map((l, i) => l - (c.samples.gpuNs[i] ?? 0)));
    out.push(...latencySummaries('role.queueing', 'queueing', queueing, [LATENCY_POINTS[0], LATENCY_POINTS[2]]));
    out.push(
      ...latencySummaries(
        'role.service',
        'service (GPU time)',
        pooled(clients, (c) => c.samples.gpuNs),
        [LATENCY_POINTS[0], LATENCY_POINTS[2]],
      ),
    );
    out.push(
      summary(
        'role.notStarted',
        'requests not started',
        'count',
        clients.reduce((n, c) => n + (c.notStarted ?? 0), 0),
      ),
    );
  }
  return out;
}

function quantileOf(values: readonly number[], q: number): number | undefined {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : quantileSorted(sorted, q);
}

/** Each role's report over the shared phase's clients, against its baseline (absent: no ratios). */
export function roleReports(specs: readonly ClientSpec[], shared: readonly ClientReport[], baselines: ReadonlyMap<string, PhaseResult>): RoleReport[] {
  return specs.map((spec) => {
    const clients = shared.filter((c) => c.role === spec.role);
    const solo = baselines.get(spec.role)?.clients[0];
    const ok = solo?.status === 'ok' ? solo : undefined;
    const latency = pooled(clients, (c) => c.samples.latencyNs);
    const unstarted = clients.reduce((n, c) => n + (c.notStarted ?? 0), 0);
    return {
      role: spec.role,
      clients: clients.map((c) => c.client),
      summaries: roleSummaries(spec, clients, latency, ok),
      ...(spec.slo ? { slo: spec.slo.map((s) => sloOutcome(s, latency, unstarted)) } : {}),
    };
  });
}
