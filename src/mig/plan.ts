// planLayout: checks that a list of GPU instance profiles fits on a GPU and returns the nvidia-smi
// commands that create it. Pure: it reads a profile table and returns data; nothing runs here.
//
// A layout fits when every profile exists for the GPU, no profile is asked for more often than
// the GPU allows, the compute and memory slices add up, and a placement exists: each instance at
// one of its profile's allowed start slots, no two sharing a memory slice (nor one of an existing
// instance). The last is a small backtracking search. The commands name each instance's placement
// (`-cgi 9:0,9:4`), so the driver creates exactly the layout that was checked rather than choosing
// start slots itself (NVIDIA's MIG guide notes that without placements the order of -cgi matters).
import type { GiProfile, MigProfileTable } from './profiles.js';

export interface PlannedInstance {
  profile: GiProfile;
  /** First memory slice. */
  start: number;
}

/** A GPU instance that already exists on the GPU (from nvidia-smi mig -lgi). */
export interface ExistingInstance {
  profile: string;
  start: number;
  size: number;
}

export interface MigPlan {
  gpu: number;
  table: MigProfileTable;
  /** Largest first, each at its start slot. */
  instances: PlannedInstance[];
  existing: ExistingInstance[];
  computeUsed: number;
  memoryUsed: number;
  /** True when the plan starts by enabling MIG (MIG is off, or its state is unknown). */
  enablesMig: boolean;
  /** argv of each command, in order. */
  commands: string[][];
}

export type PlanOutcome = { ok: true; plan: MigPlan } | { ok: false; error: string };

export interface PlanOptions {
  /** nvidia-smi's index of the GPU. */
  gpu: number;
  /** Whether MIG is on; undefined when unknown (planning offline), which plans the enabling step too. */
  migEnabled?: boolean;
  existing?: ExistingInstance[];
}

/** "3g.71gb", "MIG 3g.71gb" and "3G.71GB" all name the same profile. */
export function normaliseProfileName(name: string): string {
  return name
    .trim()
    .replace(/^MIG\s+/i, '')
    .toLowerCase();
}

/** Splits "3g.71gb,2g.35gb" into names; empty items are kept so that they can be reported. */
export function splitProfiles(list: string): string[] {
  return list.split(',').map((s) => s.trim());
}

function computeOf(profileName: string): number {
  const m = /^(\d+)g\./.exec(profileName);
  return m ? Number(m[1]) : 0;
}

function slicesText(xs: number[]): string {
  return xs.length === 1 ? String(xs[0]) : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

function startsText(p: GiProfile): string {
  const at = p.starts.length === 1 ? `at slice ${p.starts[0]}` : `at slice ${p.starts.slice(0, -1).join(', ')} or ${p.starts[p.starts.length - 1]}`;
  return `${p.name} starts ${at} and takes ${p.memorySlices} memory slice${p.memorySlices > 1 ? 's' : ''}`;
}

/** Finds a start slot for every instance, in order, none overlapping `taken`; undefined if none. */
function place(profiles: GiProfile[], taken: boolean[]): number[] | undefined {
  const starts: number[] = [];
  const fits = (p: GiProfile, s: number) => {
    for (let i = s; i < s + p.memorySlices; i++) if (i >= taken.length || taken[i]) return false;
    return true;
  };
  const mark = (p: GiProfile, s: number, v: boolean) => {
    for (let i = s; i < s + p.memorySlices; i++) taken[i] = v;
  };
  const search = (k: number): boolean => {
    if (k === profiles.length) return true;
    const p = profiles[k]!;
    // Instances of one profile are interchangeable: try only starts after the previous one's.
    const after = k > 0 && profiles[k - 1]!.id === p.id ? starts[k - 1]! : -1;
    for (const s of p.starts) {
      if (s <= after || !fits(p, s)) continue;
      mark(p, s, true);
      starts[k] = s;
      if (search(k + 1)) return true;
      mark(p, s, false);
    }
    return false;
  };
  return search(0) ? starts : undefined;
}

/** Step 1: every name is a profile of this GPU. */
function resolveProfiles(table: MigProfileTable, names: string[]): GiProfile[] | string {
  const chosen: GiProfile[] = [];
  for (const raw of names) {
    const name = normaliseProfileName(raw);
    const profile = table.profiles.find((p) => p.name === name);
    if (!profile) return `unknown MIG profile "${raw.trim()}" for ${table.model}: expected one of ${table.profiles.map((p) => p.name).join(', ')}`;
    chosen.push(profile);
  }
  return chosen;
}

/** Step 2: no profile more often than the GPU allows (existing instances of it count). */
function countProblem(gpu: string, label: string, chosen: GiProfile[], existing: ExistingInstance[]): string | undefined {
  for (const profile of new Set(chosen)) {
    const asked = chosen.filter((p) => p === profile).length;
    const already = existing.filter((e) => normaliseProfileName(e.profile) === profile.name).length;
    if (asked + already > profile.maxInstances) {
      const have = already > 0 ? ` (${already} already exist)` : '';
      return `${label} does not fit on ${gpu}: ${asked} × ${profile.name} asked${have}, at most ${profile.maxInstances} ${profile.name} per GPU`;
    }
  }
  return undefined;
}

/** Step 3: the compute and memory slices add up. */
function sliceProblem(
  table: MigProfileTable,
  label: string,
  chosen: GiProfile[],
  existing: ExistingInstance[],
): { computeUsed: number; memoryUsed: number } | string {
  const existingCompute = existing.reduce((n, e) => n + computeOf(normaliseProfileName(e.profile)), 0);
  const existingMemory = existing.reduce((n, e) => n + e.size, 0);
  const computeUsed = existingCompute + chosen.reduce((n, p) => n + p.computeSlices, 0);
  const memoryUsed = existingMemory + chosen.reduce((n, p) => n + p.memorySlices, 0);
  const parts = (key: 'computeSlices' | 'memorySlices', already: number) =>
    [...chosen.map((p) => `${p.name} ${p[key]}`), ...(already > 0 ? [`existing instances ${already}`] : [])].join(' + ');
  if (computeUsed > table.computeSlices) {
    return `${label} does not fit on ${table.model}: needs ${computeUsed} compute slices, the GPU has ${table.computeSlices} (${parts('computeSlices', existingCompute)})`;
  }
  if (memoryUsed > table.memorySlices) {
    return `${label} does not fit on ${table.model}: needs ${memoryUsed} memory slices, the GPU has ${table.memorySlices} (${parts('memorySlices', existingMemory)})`;
  }
  return { computeUsed, memoryUsed };
}

/** Step 4: a placement exists: largest first (fewest choices), then by asking order. */
function placement(table: MigProfileTable, label: string, chosen: GiProfile[], existing: ExistingInstance[]): PlannedInstance[] | string {
  const gpu = table.model;
  const taken = Array.from({ length: table.memorySlices }, () => false);
  for (const e of existing) for (let i = e.start; i < e.start + e.size && i < taken.length; i++) taken[i] = true;
  const takenSlices = taken.flatMap((t, i) => (t ? [i] : []));
  const order = chosen
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p.memorySlices - a.p.memorySlices || b.p.computeSlices - a.p.computeSlices || a.p.id - b.p.id || a.i - b.i)
    .map((x) => x.p);
  for (const p of new Set(order)) {
    if (!p.starts.some((s) => s + p.memorySlices <= taken.length && !taken.slice(s, s + p.memorySlices).some(Boolean))) {
      return `${p.name} cannot be placed on ${gpu}: ${startsText(p)}, and existing GPU instances hold slices ${slicesText(takenSlices)}`;
    }
  }
  const starts = place(order, taken);
  if (!starts) {
    const held = takenSlices.length > 0 ? `; existing GPU instances hold slices ${slicesText(takenSlices)}` : '';
    const rules = [...new Set(order)].map(startsText).join('; ');
    return `${label} cannot be placed together on ${gpu}: no arrangement keeps them apart (${rules})${held}`;
  }
  return order.map((profile, k) => ({ profile, start: starts[k]! }));
}

export function planLayout(table: MigProfileTable, names: string[], options: PlanOptions): PlanOutcome {
  const existing = options.existing ?? [];
  if (names.length === 0 || names.every((n) => n.trim() === '')) {
    return {
      ok: false,
      error: `no MIG profiles given: expected a comma-separated list such as ${table.profiles.find((p) => p.computeSlices === 3)?.name ?? table.profiles[0]?.name},...`,
    };
  }
  const chosen = resolveProfiles(table, names);
  if (typeof chosen === 'string') return { ok: false, error: chosen };
  const label = chosen.map((p) => p.name).join(',');
  const tooMany = countProblem(table.model, label, chosen, existing);
  if (tooMany) return { ok: false, error: tooMany };
  const used = sliceProblem(table, label, chosen, existing);
  if (typeof used === 'string') return { ok: false, error: used };
  const instances = placement(table, label, chosen, existing);
  if (typeof instances === 'string') return { ok: false, error: instances };

  const index = String(options.gpu);
  const enablesMig = options.migEnabled !== true;
  const commands: string[][] = [];
  if (enablesMig) commands.push(['nvidia-smi', '-i', index, '-mig', '1']);
  commands.push(['nvidia-smi', 'mig', '-i', index, '-cgi', instances.map((x) => `${x.profile.id}:${x.start}`).join(','), '-C']);
  return { ok: true, plan: { gpu: options.gpu, table, instances, existing, ...used, enablesMig, commands } };
}
