// The readable report of `gpushare-micro bench`: a header (GPU, driver, clocks), the ceilings the
// floors come from, and one table of every entry's own and library rows (tagged summaries).
import { fmtCuda } from '../info.js';
import type { BenchResult, Ceiling } from '../bench/bench.js';
import { formatSummaryValue } from './format.js';
import { renderList, renderPreformatted, type TextLayout, WIDE } from './layout.js';
import { type CompactColumns, summaryTable, type SummaryRow } from './summary-table.js';
import { benchVerdict, formatVerdict } from './verdict.js';

/** The columns of the compact table (see CompactColumns); the floors, spread and trace cost are in --wide. */
const COMPACT: CompactColumns = {
  'time.p50': { short: 'GPU time', rank: 1 },
  rate: { rank: 1 },
  samples: { rank: 1 },
  'vs.library': { short: 'vs library', rank: 2 },
  'vs.floor': { short: 'vs floor', rank: 3 },
  'vs.pytorch': { short: 'vs PyTorch', rank: 3 },
};

function ceilingText(c: Ceiling, unit: 'GB/s' | 'TFLOP/s'): string {
  if (c.rate === undefined) return `not measured: ${c.measurement.reason ?? c.measurement.status} (${c.what})`;
  const value = unit === 'GB/s' ? c.rate / 1e9 : c.rate / 1e12;
  return `${formatSummaryValue({ hint: 'rate', value, unit })}  (${c.what})`;
}

function note(row: BenchResult['rows'][number]): string | undefined {
  const m = row.measurement;
  if (m.status === 'ok')
    return [m.detail, row.traceCostProblem && `CTA trace cost not measured: ${row.traceCostProblem}`].filter(Boolean).join('; ') || undefined;
  const reason = (m.reason ?? m.status).split('\n')[0]!;
  return m.status === 'unavailable' ? reason : `FAILED: ${m.code ? `[${m.code}] ` : ''}${reason}`;
}

/** The bench result as text: header, verdict, ceilings, the table (full by default, compact or Markdown as `layout` says). */
export function formatBenchResult(r: BenchResult, layout: TextLayout = WIDE): string {
  const g = r.environment.gpu;
  const clocks = [r.environment.clocksStart.smClockMHz, r.environment.clocksEnd?.smClockMHz];
  const clockText = clocks[0] !== undefined ? ` · SM clock ${clocks[0]}${clocks[1] !== undefined ? ` → ${clocks[1]}` : ''} MHz` : '';
  const header = [
    `gpushare-micro ${r.environment.tool.version} bench — ${r.entries.length} workload${r.entries.length === 1 ? '' : 's'}, ${r.config.launches} timed launches each after warm-up, medians of CUDA-event GPU times`,
    `GPU ${g.index}: ${g.name} (${g.smCount} SMs, cc ${g.computeCapability}) · driver ${r.environment.driverVersion ?? '?'} · CUDA ${fmtCuda(r.environment.cudaDriverVersion)}${clockText}`,
  ].join('\n');
  const ceilings = renderList(
    'Ceilings (measured in this run)',
    [
      { name: 'memory bandwidth', text: ceilingText(r.ceilings.bandwidth, 'GB/s') },
      ...Object.entries(r.ceilings.matrix).map(([dtype, c]) => ({ name: `${dtype} matrix rate`, text: ceilingText(c, 'TFLOP/s') })),
    ],
    layout,
  );
  const rows: SummaryRow[] = r.rows.map((row) => {
    const out: SummaryRow = { labels: [row.entry, row.label], summaries: row.summaries };
    const n = note(row);
    if (n) out.note = n;
    return out;
  });
  const table = summaryTable(['workload', 'impl'], rows, layout, COMPACT);
  const pytorch = r.entries
    .filter((e) => e.pytorch)
    .map((e) => `  ${e.name}: ${e.pytorch!.samplesPerSec.toFixed(1)} samples/s, ${e.pytorch!.msPerStep.toFixed(2)} ms/step`);
  const failed = r.rows.filter((row) => row.measurement.status === 'failed').length;
  const footer = failed > 0 ? `${failed} implementation${failed === 1 ? '' : 's'} FAILED (see the note column)` : '';
  const torch = pytorch.length > 0 ? ['PyTorch eager, bf16 autocast (--pytorch; scripts/pytorch/models.py)', ...pytorch].join('\n') : '';
  const top = layout.format === 'markdown' ? header.split('\n').join('  \n') : header;
  return [top, formatVerdict(benchVerdict(r), layout), ceilings, table, renderPreformatted(torch, layout), footer].filter(Boolean).join('\n\n');
}
