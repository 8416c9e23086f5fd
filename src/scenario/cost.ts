// What the work costs with --gpu-cost PER_HOUR (the price of one GPU for an hour, in any currency):
// per candidate and role, the cost of 1,000 requests (open-loop roles with an arrival schedule) or of
// 1,000 launches (saturating, closed-loop and bursty roles: a training iteration or a notebook cell is
// one launch of their workload here), shared against dedicated.
//
//   shared     The GPU's hourly cost split evenly between the roles on it, each share over the role's
//              throughput in the shared run. Even, because that is what a team splitting a card does
//              without measurements; the alternative, splitting by what each role used (its share of
//              the GPU's busy time, or its vs-alone ratio), charges a light role less but needs a usage
//              figure that every mode measures the same way.
//   dedicated  One GPU per client, each running at its role's solo rate (the baseline measures one
//              client alone, so a role of N clients takes N GPUs; for a role of one client, one GPU
//              per role). Per hour: one GPU shared against that many dedicated.
//
// Figures are medians over a candidate's repeats. An open-loop role's throughput is the rate it kept up
// with, so alone and shared it is much the same and its shared cost is close to 1/(number of roles) of
// its dedicated cost; a saturating role's is what it could do, so its shared cost also pays for its
// slowdown.
import type { ClientSpec } from '../clients/spec.js';
import { OptionError } from '../errors.js';
import { decimalValue } from '../options.js';
import { candidates, figure, roleValue } from './candidates.js';
import type { ScenarioRun } from './result-schema.js';

/** What the costs read of a spec. */
export type CostSpec = Pick<ClientSpec, 'role' | 'count' | 'loop' | 'arrival'>;

/** Highest price per GPU-hour taken: anything above is a typo. */
export const MAX_GPU_COST = 1_000_000;

/** Parses --gpu-cost: a positive price per GPU-hour, e.g. 2.5. */
export function parseGpuCost(raw: unknown): number {
  const value = decimalValue(raw);
  if (value === undefined || !(value > 0) || value > MAX_GPU_COST) {
    throw new OptionError('--gpu-cost', `a price per GPU-hour above 0 and at most ${MAX_GPU_COST.toLocaleString('en-US')}, e.g. 2.5`, raw);
  }
  return value;
}

export interface RoleCost {
  role: string;
  unit: 'requests' | 'launches';
  /** Cost of 1,000 units on the shared GPU; undefined when the role did no work or has no throughput. */
  shared?: number;
  /** Cost of 1,000 units on GPUs of its own; undefined without its solo rate. */
  dedicated?: number;
}

export interface CandidateCost {
  label: string;
  roles: RoleCost[];
}

export interface CostSheet {
  perHour: number;
  /** GPUs with each client on its own. */
  dedicatedGpus: number;
  candidates: CandidateCost[];
}

function unitOf(spec: CostSpec): RoleCost['unit'] {
  return spec.loop === 'open' && spec.arrival !== undefined && spec.arrival.kind !== 'bursty' ? 'requests' : 'launches';
}

/** Cost of 1,000 units at `rate` per second when `perHour` pays for it; undefined for no work. */
function per1000(perHour: number, rate: number | undefined): number | undefined {
  return rate !== undefined && rate > 0 ? (perHour / 3600 / rate) * 1000 : undefined;
}

/** The costs of every candidate's roles, shared and dedicated (see the top of this file). */
export function costSheet(specs: readonly CostSpec[], runs: readonly ScenarioRun[], perHour: number): CostSheet {
  const share = perHour / Math.max(1, specs.length);
  const sheet = candidates(runs).map((c) => ({
    label: c.label,
    roles: specs.map((spec) => {
      const rate = figure(c, (run) => roleValue(run, spec.role, 'role.throughput'))?.median;
      const soloRate = figure(c, (run) => {
        const t = roleValue(run, spec.role, 'role.throughput');
        const v = roleValue(run, spec.role, 'role.vsSolo');
        return t !== undefined && v !== undefined && v > 0 ? t / (v * spec.count) : undefined;
      })?.median;
      const shared = per1000(share, rate);
      const dedicated = per1000(perHour, soloRate);
      return { role: spec.role, unit: unitOf(spec), ...(shared !== undefined ? { shared } : {}), ...(dedicated !== undefined ? { dedicated } : {}) };
    }),
  }));
  return { perHour, dedicatedGpus: specs.reduce((n, s) => n + s.count, 0), candidates: sheet };
}

/** A price with three significant digits, thousands grouped, never in exponent form ("0.00556", "2.50", "72.0", "1,230"). */
export function money(value: number): string {
  return value.toLocaleString('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
}

/** The sheet in lines: the rule, then per candidate each role's cost of 1,000 units, then the cost per hour. */
export function formatCosts(sheet: CostSheet): string[] {
  const roles = sheet.candidates[0]?.roles.length ?? 0;
  const lines = [
    `Costs at ${money(sheet.perHour)} per GPU-hour: shared, the GPU's cost split evenly between the ${roles} roles on it; dedicated, one GPU per client at its solo rate`,
  ];
  const width = Math.max(0, ...sheet.candidates.flatMap((c) => c.roles.map((r) => r.role.length)));
  for (const c of sheet.candidates) {
    lines.push(`  ${c.label}`);
    for (const r of c.roles) {
      const shared = r.shared === undefined ? 'no work done shared' : `${money(r.shared)} shared`;
      const dedicated = r.dedicated === undefined ? 'no solo rate for dedicated' : `${money(r.dedicated)} dedicated`;
      const ratio = r.shared !== undefined && r.dedicated !== undefined ? ` (${(r.shared / r.dedicated).toFixed(2)}×)` : '';
      lines.push(`    ${r.role.padEnd(width)}  per 1,000 ${r.unit}: ${shared}, ${dedicated}${ratio}`);
    }
  }
  const gpus = sheet.dedicatedGpus;
  lines.push(`  per hour: ${money(sheet.perHour)} shared (1 GPU), ${money(sheet.perHour * gpus)} dedicated (${gpus} GPU${gpus === 1 ? '' : 's'})`);
  return lines;
}
