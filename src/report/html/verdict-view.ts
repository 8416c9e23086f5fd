// The verdict a run's report opens with: three to five lines that answer the question before any
// table: the aggregate throughput against solo (with its confidence interval where the run was repeated),
// the worst client's slowdown, the worst p99 latency against solo, what switching cost, and each role
// against its latency objectives. Beneath it, the result's warnings: what a reader must know before
// trusting the figures. The figures, the clients they belong to and their intervals are headline()'s
// (src/report/headline.ts), the same the terminal's verdict (src/report/verdict.ts) prints.
import { type Headline, headline, type Interval } from '../headline.js';
import { sloText } from '../../clients/slo.js';
import type { Hint } from '../../metrics/summary.js';
import { formatDuration, formatSummaryValue } from '../format.js';
import type { RunResultJson } from '../schema.js';
import { clientWho, p99AgainstAlone } from '../verdict.js';
import { esc, type Block } from './page.js';

/** One line of the verdict: what it is about (data-verdict), its HTML, and whether it is bad news. */
export interface VerdictLine {
  key: 'incomplete' | 'aggregate' | 'slowdown' | 'p99' | 'switching' | 'concurrent' | 'slo' | 'baseline';
  html: string;
  bad?: boolean;
}

/** "[95% CI 0.91×–0.95×]" where the figure has a confidence interval (repeated runs). */
function interval(ci: Interval | undefined, hint: Hint = 'ratio'): string {
  if (!ci) return '';
  const low = formatSummaryValue({ hint, value: ci.low });
  const high = formatSummaryValue({ hint, value: ci.high });
  return ` <span class="ci">[${Math.round(ci.level * 100)}% CI ${esc(low)}–${esc(high)}]</span>`;
}

const ratio = (v: number) => `<strong>${esc(formatSummaryValue({ hint: 'ratio', value: v }))}</strong>`;

/** The figures against solo: aggregate, worst slowdown, worst p99; or why there are none. */
function againstSolo(r: RunResultJson, h: Headline): VerdictLine[] {
  const out: VerdictLine[] = [];
  if (h.aggregateVsSolo !== undefined) {
    const n = r.shared.clients.length;
    const what =
      r.options.clients.length > 1 ? "the sum of each client's share of its role alone" : `${n} client${n === 1 ? '' : 's'} together against one alone`;
    const ci = h.intervals?.aggregateVsSolo;
    const repeated = ci ? '' : ' <span class="ci">(measured once: no interval)</span>';
    out.push({ key: 'aggregate', html: `Aggregate throughput ${ratio(h.aggregateVsSolo)} of solo${interval(ci)}${repeated}: ${esc(what)}.` });
  }
  if (h.worstSlowdown !== undefined) {
    const slower = esc(formatSummaryValue({ hint: 'ratio', value: h.worstSlowdown }));
    const who = h.worstSlowdownClient !== undefined ? `: ${esc(clientWho(r, h.worstSlowdownClient))} ran ${slower} slower than alone` : '';
    out.push({ key: 'slowdown', html: `Worst client slowdown ${ratio(h.worstSlowdown)}${interval(h.intervals?.worstSlowdown)}${who}.` });
  }
  if (h.worstP99VsSolo !== undefined) {
    const client = h.worstP99Client;
    const { shared, alone } = client !== undefined ? p99AgainstAlone(r, client) : {};
    const detail = shared !== undefined && alone !== undefined ? ` (${esc(formatDuration(shared))} against ${esc(formatDuration(alone))} alone)` : '';
    out.push({
      key: 'p99',
      html: `Worst p99 latency ${ratio(h.worstP99VsSolo)} of solo${interval(h.intervals?.worstP99VsSolo)}${client !== undefined ? `: ${esc(clientWho(r, client))}` : ''}${detail}.`,
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
function switching(r: RunResultJson, h: Headline): VerdictLine | undefined {
  if (h.switchingOverhead !== undefined && h.switchesPerSecond !== undefined) {
    const gap = h.switchGapP50 !== undefined ? `, median gap ${esc(formatDuration(h.switchGapP50))}` : '';
    return {
      key: 'switching',
      html: `Switching overhead <strong>${esc(formatSummaryValue({ hint: 'fraction', value: h.switchingOverhead }))}</strong>${interval(h.intervals?.switchingOverhead, 'fraction')} of the traced time in switch gaps: ${esc(formatSummaryValue({ hint: 'rate', value: h.switchesPerSecond, unit: 'switch/s' }))}${gap}.`,
    };
  }
  if (r.shared.switches.kind === 'concurrent' && r.shared.clients.length > 1)
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
  // The figures are headline()'s, as the terminal's verdict (src/report/verdict.ts) prints them.
  const h = headline(r);
  out.push(...againstSolo(r, h));
  const sw = switching(r, h);
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
