// Per-layer timing of the model workloads (--profile-layers): each client's per-step duration of
// every (layer, phase), as the native LayerTimer measures it with CUDA events, and per role the layers
// that grew most under sharing: the median step time of each (layer, phase) alone (the role's
// baseline) against shared (the role's clients pooled), sorted by the time sharing added.
//
// The native fields these come from (LoopResult.layers, PrepareInfo.deviceBytes, WorkloadSpec
// .profileLayers: src/binding/contract.ts) are read here and nowhere else.
import { z } from 'zod';
import type { LoopResult, PrepareInfo, WorkloadSpec } from '../binding/contract.js';
import { median } from './stats.js';

export const LAYER_PHASES = ['forward', 'backward', 'update'] as const;

/** One (layer, phase) of one client: its duration in each timed step. */
export const layerTimingSchema = z.object({
  /** PyTorch-style name: "layer3.2.conv2", "encoder.7.attention", "lm_head". */
  layer: z.string(),
  phase: z.enum(LAYER_PHASES),
  /** What ran it: "own wgmma", "cuDNN", "cuBLASLt", ... (joined where several ops make the layer). */
  impl: z.string(),
  /** Per timed step, in order. */
  ns: z.array(z.number().nonnegative()),
});
export type LayerTiming = z.infer<typeof layerTimingSchema>;

/** One (layer, phase) of a role: alone against shared. */
export const layerGrowthSchema = z.object({
  layer: z.string(),
  phase: z.enum(LAYER_PHASES),
  impl: z.string(),
  /** Median over the baseline's timed steps. */
  soloNs: z.number().nonnegative(),
  /** Median over every timed step of the role's shared clients. */
  sharedNs: z.number().nonnegative(),
  /** sharedNs / soloNs (absent where soloNs is 0). */
  ratio: z.number().optional(),
  /** sharedNs - soloNs: what sharing added to each step (negative: it got faster). */
  addedNs: z.number(),
});
export type LayerGrowth = z.infer<typeof layerGrowthSchema>;

/** A WorkloadSpec asking the native side to time each layer (a field of model workloads only). */
export function withLayerProfile(spec: WorkloadSpec): WorkloadSpec {
  return { ...spec, profileLayers: true } as WorkloadSpec;
}

/** The per-layer timings of a native loop's result (absent for kernels and unprofiled runs). */
export function nativeLayers(result: LoopResult): LayerTiming[] | undefined {
  const raw = (result as LoopResult & { layers?: Array<{ layer: string; phase: string; impl: string; ns: ArrayLike<number> }> }).layers;
  if (!raw) return undefined;
  return raw.map((l) => ({ layer: l.layer, phase: l.phase as LayerTiming['phase'], impl: l.impl, ns: Array.from(l.ns) }));
}

/** The device memory a model workload allocated (its graph's buffers), where the native side says. */
export function nativeDeviceBytes(info: Omit<PrepareInfo, 'clock'>): number | undefined {
  const bytes = (info as { deviceBytes?: unknown }).deviceBytes;
  return typeof bytes === 'number' ? bytes : undefined;
}

/**
 * Per (layer, phase): the median of the solo client's steps against the median of the shared clients'
 * steps pooled, sorted by the time sharing added (most first). Layers absent on either side are left out.
 */
export function layerGrowth(solo: readonly LayerTiming[], shared: ReadonlyArray<readonly LayerTiming[]>): LayerGrowth[] {
  const key = (l: LayerTiming) => `${l.phase}\u0000${l.layer}`;
  const pooled = new Map<string, number[]>();
  for (const client of shared) for (const l of client) pooled.set(key(l), [...(pooled.get(key(l)) ?? []), ...l.ns]);
  const out: LayerGrowth[] = [];
  for (const l of solo) {
    const together = pooled.get(key(l));
    if (!together || together.length === 0 || l.ns.length === 0) continue;
    const soloNs = median(l.ns);
    const sharedNs = median(together);
    out.push({
      layer: l.layer,
      phase: l.phase,
      impl: l.impl,
      soloNs,
      sharedNs,
      ...(soloNs > 0 ? { ratio: sharedNs / soloNs } : {}),
      addedNs: sharedNs - soloNs,
    });
  }
  return out.sort((a, b) => b.addedNs - a.addedNs);
}

const us = (ns: number) => `${(ns / 1e3).toFixed(1)} us`;

/** The `top` layers that grew most, as table lines under a heading. */
export function formatLayerGrowth(role: string, rows: readonly LayerGrowth[], top = 10): string[] {
  if (rows.length === 0) return [];
  const shown = rows.slice(0, top);
  const width = Math.max(5, ...shown.map((r) => r.layer.length));
  const lines = [
    `layers of ${role} that grew most under sharing (median per step, solo vs shared; ${shown.length} of ${rows.length}):`,
    `  ${'layer'.padEnd(width)}  ${'phase'.padEnd(8)}  ${'solo'.padStart(11)}  ${'shared'.padStart(11)}  ${'ratio'.padStart(6)}  ${'added'.padStart(11)}  impl`,
  ];
  for (const r of shown) {
    const ratio = r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`;
    lines.push(
      `  ${r.layer.padEnd(width)}  ${r.phase.padEnd(8)}  ${us(r.soloNs).padStart(11)}  ${us(r.sharedNs).padStart(11)}  ${ratio.padStart(6)}  ${us(r.addedNs).padStart(11)}  ${r.impl}`,
    );
  }
  return lines;
}
