// MIG GPU instance profiles: what each GPU model can be split into, and where each piece may go.
//
// A GPU with MIG has 7 compute slices and 8 memory slices (NVIDIA's MIG user guide, "Concepts").
// A GPU instance profile such as 3g.71gb takes a number of compute slices ("3g") and a range of
// memory slices that must start at one of the profile's allowed start slots ("placements"); two
// instances may not share a memory slice.
//
// The GPU's own profiles are preferred: nvidia-smi mig -lgip and -lgipp list them, and on driver
// 580 they do so even while MIG is disabled (recorded on the project's H200: test/fixtures/nvidia-smi/
// h200-580). The tables below are the fallback, for planning offline (`mig plan --model`) or where
// nvidia-smi cannot be read. Sources:
//   names, compute fraction and instance counts: NVIDIA MIG user guide, "Supported MIG Profiles",
//     https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-mig-profiles.html
//   placements ({starts}:size per profile ID): the guide's `nvidia-smi mig -lgipp` example,
//     https://docs.nvidia.com/datacenter/tesla/mig-user-guide/getting-started-with-mig.html —
//     identical on the H200 with driver 580 (recorded) and in public H100 recordings.
//   H100 94GB (H100 NVL) names: NVIDIA gpu-operator PR #900 (`nvidia-smi mig -lgip` on an H100 NVL)
//     and its MIG manager config (all-3g.47gb, all-7g.94gb, ...).
//   GiB and SMs per profile: the recorded `nvidia-smi mig -lgip` outputs (H200: this project's
//     recording, driver 580.159.04; H100 80GB: test/fixtures/nvidia-smi/h100-80gb). They vary a
//     little between drivers, so planning uses slices only.
import { parseGiProfiles, parsePlacements, type SmiGiProfile, type SmiPlacements } from './nvidia-smi.js';

export interface GiProfile {
  /** e.g. "3g.71gb". */
  name: string;
  /** The profile ID nvidia-smi mig -cgi takes. */
  id: number;
  computeSlices: number;
  memorySlices: number;
  /** At most this many instances of the profile on one GPU. */
  maxInstances: number;
  /** Memory slices where an instance may start; it takes memorySlices from there. */
  starts: number[];
  memoryGiB?: number;
  sms?: number;
}

export interface MigProfileTable {
  /** The GPU model ("H200 141GB") or, for a table read from a GPU, its name ("NVIDIA H200"). */
  model: string;
  computeSlices: number;
  memorySlices: number;
  profiles: GiProfile[];
  /** Where the table came from, in a few words. */
  source: string;
}

// The layout shared by the A100, H100 and H200 (profile IDs, placements, slice counts, counts).
const LAYOUT = [
  { id: 19, compute: 1, memory: 1, max: 7, starts: [0, 1, 2, 3, 4, 5, 6] },
  { id: 20, compute: 1, memory: 1, max: 1, starts: [0, 1, 2, 3, 4, 5, 6] },
  { id: 15, compute: 1, memory: 2, max: 4, starts: [0, 2, 4, 6] },
  { id: 14, compute: 2, memory: 2, max: 3, starts: [0, 2, 4] },
  { id: 9, compute: 3, memory: 4, max: 2, starts: [0, 4] },
  { id: 5, compute: 4, memory: 4, max: 1, starts: [0] },
  { id: 0, compute: 7, memory: 8, max: 1, starts: [0] },
] as const;

type Seven<T> = [T, T, T, T, T, T, T];

function sevenProfiles(names: Seven<string>, memoryGiB?: Seven<number>, sms?: Seven<number>): GiProfile[] {
  return LAYOUT.map((l, i) => {
    const p: GiProfile = { name: names[i]!, id: l.id, computeSlices: l.compute, memorySlices: l.memory, maxInstances: l.max, starts: [...l.starts] };
    if (memoryGiB) p.memoryGiB = memoryGiB[i]!;
    if (sms) p.sms = sms[i]!;
    return p;
  });
}

const GUIDE = 'NVIDIA MIG user guide (supported-mig-profiles.html)';
const HOPPER_SMS: Seven<number> = [16, 16, 26, 32, 60, 64, 132];

export interface RecordedModel {
  /** What --model takes. */
  key: string;
  /** Whether an nvidia-smi / CUDA device name is this model. */
  matches: RegExp;
  table: MigProfileTable;
}

export const RECORDED_MODELS: RecordedModel[] = [
  {
    key: 'H200-141GB',
    // "NVIDIA H200", "NVIDIA H200 NVL"; not "NVIDIA GH200 ..." (other memory sizes).
    matches: /\bH200\b/,
    table: {
      model: 'H200 141GB',
      computeSlices: 7,
      memorySlices: 8,
      profiles: sevenProfiles(
        ['1g.18gb', '1g.18gb+me', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb'],
        [16.0, 16.0, 32.5, 32.5, 69.75, 69.75, 140.0],
        HOPPER_SMS,
      ),
      source: `${GUIDE}; GiB and SMs recorded on an H200 with driver 580.159.04`,
    },
  },
  {
    key: 'H100-94GB',
    // "NVIDIA H100 NVL"
    matches: /\bH100\b.*\b(NVL|94GB)\b/,
    table: {
      model: 'H100 94GB',
      computeSlices: 7,
      memorySlices: 8,
      profiles: sevenProfiles(['1g.12gb', '1g.12gb+me', '1g.24gb', '2g.24gb', '3g.47gb', '4g.47gb', '7g.94gb'], undefined, HOPPER_SMS),
      source: `${GUIDE}; NVIDIA gpu-operator PR #900 (nvidia-smi mig -lgip on an H100 NVL)`,
    },
  },
  {
    key: 'H100-80GB',
    // "NVIDIA H100 80GB HBM3" (SXM), "NVIDIA H100 PCIe"
    matches: /\bH100\b/,
    table: {
      model: 'H100 80GB',
      computeSlices: 7,
      memorySlices: 8,
      profiles: sevenProfiles(
        ['1g.10gb', '1g.10gb+me', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb'],
        [9.75, 9.75, 19.62, 19.62, 39.5, 39.5, 79.25],
        HOPPER_SMS,
      ),
      source: `${GUIDE}; GiB and SMs from a recorded nvidia-smi mig -lgip on an H100 80GB HBM3`,
    },
  },
  {
    key: 'A100-80GB',
    // "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe"
    matches: /\bA100\b.*80GB/,
    table: {
      model: 'A100 80GB',
      computeSlices: 7,
      memorySlices: 8,
      profiles: sevenProfiles(['1g.10gb', '1g.10gb+me', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']),
      source: GUIDE,
    },
  },
  {
    key: 'A100-40GB',
    // "NVIDIA A100-SXM4-40GB", "NVIDIA A100-PCIE-40GB", "A100-SXM4-40GB" (older drivers)
    matches: /\bA100\b.*40GB/,
    table: {
      model: 'A100 40GB',
      computeSlices: 7,
      memorySlices: 8,
      profiles: sevenProfiles(['1g.5gb', '1g.5gb+me', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']),
      source: GUIDE,
    },
  },
];

export const MODEL_KEYS = RECORDED_MODELS.map((m) => m.key);

/** The GPU's name without the " MIG 3g.71gb" that CUDA appends for a MIG device. */
export function parentGpuName(name: string): string {
  return name.replace(/\s+MIG\s+\S+\s*$/, '').trim();
}

/** The recorded table for a GPU name (nvidia-smi's or CUDA's), or undefined for a GPU not listed. */
export function recordedTableForGpu(name: string): MigProfileTable | undefined {
  const bare = parentGpuName(name);
  return RECORDED_MODELS.find((m) => m.matches.test(bare))?.table;
}

/** The recorded table for a --model key (case-insensitive), or undefined. */
export function recordedTableForModel(key: string): MigProfileTable | undefined {
  return RECORDED_MODELS.find((m) => m.key.toLowerCase() === key.trim().toLowerCase())?.table;
}

/**
 * A table from what the GPU itself reports (`nvidia-smi mig -lgip -i N` and `-lgipp -i N`).
 * Profiles without placements, or whose name does not say its compute slices, are left out.
 * Undefined when the output lists no usable profile for that GPU (e.g. a GPU without MIG).
 */
export function tableFromSmi(gpu: number, gpuName: string, profiles: SmiGiProfile[], placements: SmiPlacements[]): MigProfileTable | undefined {
  const out: GiProfile[] = [];
  for (const p of profiles.filter((x) => x.gpu === gpu)) {
    const place = placements.find((x) => x.gpu === gpu && x.profileId === p.id);
    const compute = /^(\d+)g\./.exec(p.name);
    if (!place || !compute || place.starts.length === 0) continue;
    out.push({
      name: p.name,
      id: p.id,
      computeSlices: Number(compute[1]),
      memorySlices: place.size,
      maxInstances: p.total,
      starts: place.starts,
      memoryGiB: p.memoryGiB,
      sms: p.sms,
    });
  }
  if (out.length === 0) return undefined;
  const slots = Math.max(...out.flatMap((p) => p.starts.map((s) => s + p.memorySlices)));
  return {
    model: parentGpuName(gpuName),
    computeSlices: Math.max(...out.map((p) => p.computeSlices)),
    memorySlices: slots,
    profiles: out,
    source: `read from GPU ${gpu} (nvidia-smi mig -lgip, -lgipp)`,
  };
}

/** tableFromSmi over the raw text of the two commands. */
export function tableFromSmiText(gpu: number, gpuName: string, lgip: string, lgipp: string): MigProfileTable | undefined {
  return tableFromSmi(gpu, gpuName, parseGiProfiles(lgip), parsePlacements(lgipp));
}
