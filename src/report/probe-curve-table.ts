// The probe curve as a table: one row per state (what each CTA held per SM), its switch figures as
// tagged summaries, through the generic summary table.
import { summary, type Summary } from '../metrics/summary.js';
import type { ProbeCurve, ProbeCurvePoint } from '../probe-curve.js';
import { type TextLayout, WIDE } from './layout.js';
import { type CompactColumns, summaryTable } from './summary-table.js';

function figures(p: ProbeCurvePoint): Summary[] {
  const out: Summary[] = [];
  if (p.resident) out.push(summary('resident.registersPerThread', 'registers/thread', 'count', p.resident.registersPerThread));
  if (p.heldBytesPerSm !== undefined) out.push(summary('resident.heldKiB', 'held/SM KiB', 'count', Math.round(p.heldBytesPerSm / 1024)));
  out.push(summary('switch.count', 'switches', 'count', p.switches));
  if (p.gap) {
    out.push(summary('switch.gap.p50', 'gap p50', 'duration', p.gap.p50));
    out.push(summary('switch.gap.p90', 'gap p90', 'duration', p.gap.p90));
  }
  if (p.slice) out.push(summary('slice.p50', 'slice p50', 'duration', p.slice.p50));
  if (p.switches > 0) out.push(summary('switch.overhead', 'overhead', 'fraction', p.overheadFraction));
  return out;
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)}K`;

/** The columns of the compact table: what each state held, its switches and their gap (the slice and the overhead go first when it is narrow). */
const COMPACT: CompactColumns = {
  'resident.heldKiB': { rank: 1 },
  'switch.count': { rank: 1 },
  'switch.gap.p50': { rank: 1 },
  'switch.gap.p90': { rank: 2 },
  'switch.overhead': { rank: 2 },
  'slice.p50': { rank: 3 },
  'resident.registersPerThread': { rank: 3 },
};

/** The probe curve in the layout (the full table by default). */
export function formatProbeCurve(curve: ProbeCurve, layout: TextLayout = WIDE): string {
  const rows = curve.points.map((p) => ({
    labels: [kib(p.state.sharedBytes), String(p.state.threads), String(p.state.registers)],
    summaries: figures(p),
    ...(p.complete ? {} : { note: p.reason ?? 'incomplete' }),
  }));
  return [
    'Switch gap against what each probe CTA (one per SM) holds while switched out',
    summaryTable(['shared/SM', 'threads', 'regs asked'], rows, layout, COMPACT),
  ].join('\n');
}
