// The verdict a run's report opens with: three to five lines that answer the question before any
// table: the aggregate throughput against solo (with its confidence interval where the run was repeated),
// the worst client's slowdown, the worst p99 latency against solo, what switching cost, and each role
// against its latency objectives. Beneath it, the result's warnings: what a reader must know before
// trusting the figures. The figures are headline()'s (src/report/headline.ts); the names of the clients
// they belong to and the intervals are read from the summaries they come from.
import { headline } from '../headline.js';
import { sloText } from '../../clients/slo.js';
import type { Summary } from '../../metrics/summary.js';
import { formatDuration, formatSummaryValue } from '../format.js';
import type { RunResultJson } from '../schema.js';
import { clientName } from './occupancy-charts.js';
import { esc, type Block } from './page.js';

/** One line of the verdict: what it is about (data-verdict), its HTML, and whether it is bad news. */
export interface VerdictLine {
  key: 'incomplete' | 'aggregate' | 'slowdown' | 'p99' | 'switching' | 'concurrent' | 'slo' | 'baseline';
  html: string;
  bad?: boolean;
}

/** "[95% CI 0.91×–0.95×]", or how to get one where the value was measured once. */
function interval(s: Summary | undefined): string {
  if (!s?.ci) return '';
  const low = formatSummaryValue({ ...s, value: s.ci.low });
  const high = formatSummaryValue({ ...s, value: s.ci.high });
  return ` <span class="ci">[${Math.round(s.ci.level * 100)}% CI ${esc(low)}–${esc(high)}]</span>`;
}

const ratio = (v: number) => `<strong>${esc(formatSummaryValue({ hint: 'ratio', value: v }))}</strong>`;

/** The shared client whose summary `tag` has the value `v` (the worst one headline() picked), with that summary. */
function clientWith(r: RunResultJson, tag: string, v: number): { name: string; summary: Summary } | undefined {
  for (const c of r.shared.clients) {
    const s = c.summaries.find((x) => x.tag === tag);
    if (s && s.value === v) return { name: r.options.clients.length > 1 && c.role ? `${clientName(c.client)} (${c.role})` : clientName(c.client), summary: s };
  }
  return undefined;
}

function soloP99(r: RunResultJson, role: string | undefined): number | undefined {
  const b = r.baselines.find((x) => x.role === role) ?? (r.baselines.length === 1 ? r.baselines[0] : undefined);
  return b?.phase.clients[0]?.summaries.find((s) => s.tag === 'latency.p99')?.value;
}

/** The figures against solo: aggregate, worst slowdown, worst p99; or why there are none. */
function againstSolo(r: RunResultJson): VerdictLine[] {
  const h = headline(r);
  const out: VerdictLine[] = [];
  if (h.aggregateVsSolo !== undefined) {
    const s = r.comparison.find((x) => x.tag === 'aggregate.vsSolo');
    const n = r.shared.clients.length;
    const what =
      r.options.clients.length > 1 ? "the sum of each client's share of its role alone" : `${n} client${n === 1 ? '' : 's'} together against one alone`;
    const repeated = s?.ci ? '' : ' <span class="ci">(measured once: no interval)</span>';
    out.push({ key: 'aggregate', html: `Aggregate throughput ${ratio(h.aggregateVsSolo)} of solo${interval(s)}${repeated}: ${esc(what)}.` });
  }
  if (h.worstSlowdown !== undefined) {
    const c = clientWith(r, 'slowdown', h.worstSlowdown);
    const ci = interval(r.comparison.find((x) => x.tag === 'slowdown.max'));
    const slower = esc(formatSummaryValue({ hint: 'ratio', value: h.worstSlowdown }));
    out.push({ key: 'slowdown', html: `Worst client slowdown ${ratio(h.worstSlowdown)}${ci}${c ? `: ${esc(c.name)} ran ${slower} slower than alone` : ''}.` });
  }
  if (h.worstP99VsSolo !== undefined) {
    const c = clientWith(r, 'latency.p99.vsSolo', h.worstP99VsSolo);
    const client = c ? r.shared.clients.find((x) => x.summaries.includes(c.summary)) : undefined;
    const p99 = client?.summaries.find((s) => s.tag === 'latency.p99')?.value;
    const solo = soloP99(r, client?.role);
    const detail = p99 !== undefined && solo !== undefined ? ` (${esc(formatDuration(p99))} against ${esc(formatDuration(solo))} alone)` : '';
    out.push({
      key: 'p99',
      html: `Worst p99 latency ${ratio(h.worstP99VsSolo)} of solo${interval(c?.summary)}${c ? `: ${esc(c.name)}` : ''}${detail}.`,
      bad: h.worstP99VsSolo >= 2,
    });
  }
  if (out.length === 0) {
    out.push({
      key: 'baseline',
      html:
        r.baselines.length === 0
          ? 'No solo baseline in this result (run without --no-baseline): no figure against solo.'
          : 'No figure against solo: the solo baseline did not finish.',
      bad: r.baselines.length > 0,
    });
  }
  return out;
}

/** What switching cost (time slicing), or that the clients ran at once. */
function switching(r: RunResultJson): VerdictLine | undefined {
  const h = headline(r);
  const s = r.shared.switches;
  if (h.switchingOverhead !== undefined && h.switchesPerSecond !== undefined) {
    const gap = s.gap?.p50 !== undefined ? `, median gap ${esc(formatDuration(s.gap.p50))}` : '';
    return {
      key: 'switching',
      html: `Switching overhead <strong>${esc(formatSummaryValue({ hint: 'fraction', value: h.switchingOverhead }))}</strong> of the traced time in switch gaps: ${esc(formatSummaryValue({ hint: 'rate', value: h.switchesPerSecond, unit: 'switch/s' }))}${gap}.`,
    };
  }
  if (s.kind === 'concurrent' && r.shared.clients.length > 1)
    return { key: 'concurrent', html: 'No context switches: the clients ran at the same time (no time slices to measure).' };
  return undefined;
}

/** Each role against each of its latency objectives. */
function objectives(r: RunResultJson): VerdictLine[] {
  return r.roles.flatMap((role) =>
    (role.slo ?? []).map((o) => {
      const measured = o.measuredNs === null ? 'unbounded (more requests never started than the percentile allows)' : formatDuration(o.measuredNs);
      return {
        key: 'slo' as const,
        html: `${esc(role.role)}: SLO ${esc(sloText(o))} <strong class="${o.met ? 'met' : 'missed'}">${o.met ? 'met' : 'MISSED'}</strong>: ${esc(measured)}, ${(o.attainment * 100).toFixed(1)}% of ${o.requests.toLocaleString('en-US')} requests within.`,
        bad: !o.met,
      };
    }),
  );
}

/** The verdict's lines for a run result, in the order they are shown. */
export function verdictLines(r: RunResultJson): VerdictLine[] {
  const out: VerdictLine[] = [];
  if (!r.complete)
    out.push({ key: 'incomplete', html: `INCOMPLETE: ${esc(r.reason ?? 'some clients did not finish')}. The figures cover what finished.`, bad: true });
  out.push(...againstSolo(r));
  const sw = switching(r);
  if (sw) out.push(sw);
  out.push(...objectives(r));
  return out;
}

/** The result's warnings as notes, or nothing. */
export function warningsHtml(r: RunResultJson): string {
  const warnings = r.warnings ?? [];
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `<li data-warning="${esc(w.tag)}">${esc(w.message)}</li>`).join('');
  return `<div class="warnings" data-block="warnings"><p>Before trusting these figures:</p><ul>${items}</ul></div>`;
}

/** The block a run's report opens with: the verdict, and the warnings beneath it. */
export function verdictBlock(r: RunResultJson): Block {
  const items = verdictLines(r)
    .map((l) => `<li data-verdict="${l.key}"${l.bad ? ' class="bad"' : ''}>${l.html}</li>`)
    .join('');
  return { key: 'verdict', title: 'Verdict', html: `<ul class="verdict">${items}</ul>${warningsHtml(r)}` };
}
