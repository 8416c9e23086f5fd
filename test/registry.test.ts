// The registry (src/registry/): every workload's shape rules, its FLOPs per step layer by layer and its
// memory need, each checked against values worked out by hand from the architecture; the one preset
// list; and what --list prints.
import { describe, expect, it } from 'vitest';
import {
  BENCH_DEFAULT_PRESETS,
  findPreset,
  KERNEL_INFO,
  KERNEL_PRESETS,
  registryListing,
  RUNNABLE,
  SCRATCH_BYTES,
  WORKLOAD_NAMES,
  WORKLOADS,
  workloadLayers,
  workloadMemory,
  workloadParams,
  workloadShapeProblem,
  workloadStepFlops,
} from '../src/registry/index.js';
import { formatWorkloadMemory } from '../src/registry/describe.js';

const layerOf = (name: Parameters<typeof workloadLayers>[0], shape: number[], layer: string) => {
  const found = workloadLayers(name, shape).find((l) => l.name === layer);
  if (!found) throw new Error(`no layer ${layer}`);
  return found;
};

describe('workload shape rules', () => {
  it('accepts each default and preset, and names the field that is wrong', () => {
    for (const name of WORKLOAD_NAMES) expect(workloadShapeProblem(name, WORKLOADS[name].defaults), name).toBeUndefined();
    expect(workloadShapeProblem('resnet50-train', [128, 64])).toBe('resnet50-train input must be one of 32, 224, got 64');
    expect(workloadShapeProblem('resnet50-infer', [0, 224])).toBe('resnet50-infer batch must be an integer in 1..4096, got 0');
    expect(workloadShapeProblem('bert-base-train', [32, 513])).toBe('bert-base-train seq must be an integer in 1..512, got 513');
    expect(workloadShapeProblem('bert-base-infer', [1.5, 128])).toMatch(/batch must be an integer/);
    expect(workloadShapeProblem('llm-decode', [65, 32, 1024])).toMatch(/batch must be an integer in 1..64, got 65/);
    expect(workloadShapeProblem('llm-decode', [1, 33, 1024])).toMatch(/layers must be an integer in 1..32/);
    expect(workloadShapeProblem('llm-decode', [1, 32, 1])).toMatch(/kv must be an integer in 2..32768/);
    expect(workloadShapeProblem('llm-decode', [1, 32])).toBe('llm-decode expects a shape [batch, layers, kv], got 2 numbers');
  });

  it('has the defaults the issue names', () => {
    expect(WORKLOADS['resnet50-train'].defaults).toEqual([128, 32]);
    expect(WORKLOADS['bert-base-train'].defaults).toEqual([32, 128]);
    expect(WORKLOADS['llm-decode'].defaults).toEqual([1, 32, 1024]);
    expect(WORKLOADS['resnet50-train'].optimizer).toBe('sgd');
    expect(WORKLOADS['bert-base-train'].optimizer).toBe('adamw');
  });
});

describe('ResNet-50 counted layer by layer', () => {
  it('layer1.0.conv2 at batch 1, 224: 56x56x64, 3x3, 64 -> 64', () => {
    const l = layerOf('resnet50-infer', [1, 224], 'layer1.0.conv2');
    expect(l.flops).toBe(2 * 56 * 56 * 64 * 64 * 9);
    expect(l.flops).toBe(231_211_008);
    expect(l.params).toBe(64 * 3 * 3 * 64);
    expect(l.activations).toBe(56 * 56 * 64);
    // v1.5: the stride is on the 3x3 convolution of each stage's first block
    expect(layerOf('resnet50-infer', [1, 224], 'layer2.0.conv2').flops).toBe(2 * 28 * 28 * 128 * 128 * 9);
    expect(layerOf('resnet50-infer', [1, 224], 'layer2.0.conv1').flops).toBe(2 * 56 * 56 * 256 * 128);
  });

  it("adds up to the published cost: 4.1 GMAC (8.2 GFLOP) per 224x224 image and torchvision's 25,557,032 parameters", () => {
    const forward = workloadStepFlops('resnet50-infer', [1, 224]);
    expect(forward).toBeGreaterThan(8.1e9);
    expect(forward).toBeLessThan(8.25e9);
    expect(workloadParams('resnet50-infer', [1, 224])).toBe(25_557_032);
    // 53 convolutions (stem, 16 bottlenecks of 3, 4 shortcuts), one batch norm each, one fc
    const layers = workloadLayers('resnet50-infer', [1, 224]);
    expect(layers.filter((l) => l.kind === 'conv')).toHaveLength(53);
    expect(layers.filter((l) => l.kind === 'norm')).toHaveLength(53);
    expect(layers.at(-1)!.name).toBe('fc');
  });

  it("a training step is 3x the forward pass less the stem's data gradient; CIFAR (32) has 10 classes", () => {
    const forward = workloadLayers('resnet50-train', [128, 32]).reduce((s, l) => s + l.flops, 0);
    const stem = layerOf('resnet50-train', [128, 32], 'conv1').flops;
    expect(workloadStepFlops('resnet50-train', [128, 32])).toBe(3 * forward - stem);
    // the stem at 32: 16x16x64 out, 7x7x3 filter
    expect(layerOf('resnet50-train', [128, 32], 'conv1').flops).toBe(2 * 128 * 16 * 16 * 64 * 3 * 49);
    expect(layerOf('resnet50-train', [128, 32], 'fc').flops).toBe(2 * 128 * 2048 * 10);
    expect(workloadParams('resnet50-train', [128, 32])).toBe(25_557_032 - (2048 * 1000 + 1000) + (2048 * 10 + 10));
  });
});

describe('BERT-base counted layer by layer', () => {
  it("one encoder layer's QKV at seq 128: 2 * 128 * 768 * 2304", () => {
    const l = layerOf('bert-base-infer', [1, 128], 'encoder.0.attention.qkv');
    expect(l.flops).toBe(2 * 128 * 768 * 2304);
    expect(l.params).toBe(768 * 2304 + 2304);
    // attention: q k^T and p v, 2 * 2 * seq^2 * hidden
    expect(layerOf('bert-base-infer', [1, 128], 'encoder.0.attention.core').flops).toBe(4 * 128 * 128 * 768);
  });

  it("has HuggingFace BertForSequenceClassification's 109,483,778 parameters and 12 layers", () => {
    expect(workloadParams('bert-base-train', [32, 128])).toBe(109_483_778);
    const perLayer = 2 * 128 * (768 * 2304 + 768 * 768 + 2 * 768 * 3072) + 4 * 128 * 128 * 768;
    const head = 2 * 768 * 768 + 2 * 768 * 2;
    expect(workloadStepFlops('bert-base-infer', [1, 128])).toBe(12 * perLayer + head);
    expect(workloadStepFlops('bert-base-train', [32, 128])).toBe(3 * 32 * (12 * perLayer + head));
  });
});

describe('7B decode counted layer by layer', () => {
  it('per layer per token: 2 (4096 12288 + 4096 4096 + 4096 22016 + 11008 4096), plus attention over 0.75 of the cache', () => {
    const layers = workloadLayers('llm-decode', [1, 32, 1024]).filter((l) => l.name.startsWith('layers.0.'));
    const linear = layers.filter((l) => l.kind === 'linear').reduce((s, l) => s + l.flops, 0);
    expect(linear).toBe(2 * (4096 * 12288 + 4096 * 4096 + 4096 * 22016 + 11008 * 4096));
    expect(linear).toBe(404_750_336);
    expect(layers.find((l) => l.kind === 'attention')!.flops).toBe(4 * 0.75 * 1024 * 4096);
  });

  it("has LLaMA-7B's 6,738,415,616 parameters at 32 layers", () => {
    expect(workloadParams('llm-decode', [1, 32, 1024])).toBe(6_738_415_616);
    const perToken = 32 * (404_750_336 + 4 * 0.75 * 1024 * 4096) + 2 * 4096 * 32000;
    expect(workloadStepFlops('llm-decode', [8, 32, 1024])).toBe(8 * perToken);
  });
});

describe('memory need', () => {
  it("inference: the graph's fp32 master and gradient buffers and bf16 copy, the activations declared, no optimizer state", () => {
    const m = workloadMemory('resnet50-infer', [1, 224]);
    expect(m.weights).toBe(25_557_032 * (4 + 4 + 2));
    expect(m.gradients).toBe(0);
    expect(m.optimizer).toBe(0);
    const elements = workloadLayers('resnet50-infer', [1, 224]).reduce((s, l) => s + l.activations, 0);
    // one bf16 buffer per output, and the fc's fp32 logits
    expect(m.activations).toBe(2 * elements + 1000 * 4);
    expect(m.total).toBe(m.weights + m.activations + SCRATCH_BYTES);
  });

  it("the own path's ResNet inference stores no convolution output (each norm runs in its convolution): layer1.0.conv2's 56 x 56 x 64 less", () => {
    const lib = workloadLayers('resnet50-infer', [1, 224], 'library');
    const own = workloadLayers('resnet50-infer', [1, 224], 'own');
    expect(lib.find((l) => l.name === 'layer1.0.conv2')!.activations).toBe(56 * 56 * 64);
    expect(own.find((l) => l.name === 'layer1.0.conv2')!.activations).toBe(0);
    expect(own.find((l) => l.name === 'layer1.0.bn2')!.activations).toBe(56 * 56 * 64);
    const convOutputs = lib.filter((l) => l.kind === 'conv').reduce((s, l) => s + l.activations, 0);
    expect(workloadMemory('resnet50-infer', [1, 224], 'library').total - workloadMemory('resnet50-infer', [1, 224], 'own').total).toBe(2 * convOutputs);
    // Training keeps every convolution's output for the backward pass, on both paths.
    expect(workloadMemory('resnet50-train', [128, 32], 'own').total).toBe(workloadMemory('resnet50-train', [128, 32], 'library').total);
  });

  it('SGD training: fp32 master + bf16 copy, fp32 gradients and one momentum buffer per parameter, a bf16 gradient per activation', () => {
    const params = workloadParams('resnet50-train', [128, 32]);
    const m = workloadMemory('resnet50-train', [128, 32]);
    expect(m.weights).toBe(params * 6);
    expect(m.optimizer).toBe(params * 4);
    const elements = workloadLayers('resnet50-train', [128, 32]).reduce((s, l) => s + l.activations, 0);
    expect(m.gradients).toBe(params * 4 + 2 * elements);
    // layer1.0.conv2 at batch 128, 32x32 input (8x8 after the stem and pool): 128 * 8 * 8 * 64 outputs
    expect(layerOf('resnet50-train', [128, 32], 'layer1.0.conv2').activations).toBe(128 * 8 * 8 * 64);
  });

  it('AdamW keeps two fp32 buffers; decode keeps the KV cache of every layer', () => {
    const params = workloadParams('bert-base-train', [32, 128]);
    expect(workloadMemory('bert-base-train', [32, 128]).optimizer).toBe(params * 8);
    const m = workloadMemory('llm-decode', [1, 32, 1024]);
    expect(m.cache).toBe(2 * 32 * 1 * 1024 * 4096 * 2);
    expect(m.weights).toBe(6_738_415_616 * 2);
    expect(workloadMemory('llm-decode', [64, 32, 1024]).cache).toBe(64 * m.cache);
  });

  it('says what a workload needs in one clause', () => {
    expect(formatWorkloadMemory({ kernel: 'resnet50-train', shape: [128, 32] })).toMatch(
      /^resnet50-train batch 128, input 32 needs ~[\d.]+ GiB \(weights [\d.]+ GiB, activations [\d.]+ GiB, gradients [\d.]+ GiB, optimizer state [\d.]+ GiB\)$/,
    );
    expect(formatWorkloadMemory({ kernel: 'llm-decode', shape: [1, 32, 1024] })).toContain('KV cache 0.5 GiB');
    expect(formatWorkloadMemory({ kernel: 'gemm', shape: [1, 1, 1] })).toBeUndefined();
  });
});

describe('one registry', () => {
  it('lists every kernel and workload once; every preset names one of them', () => {
    expect(new Set(RUNNABLE).size).toBe(RUNNABLE.length);
    expect(KERNEL_INFO.map((k) => k.name)).toEqual(RUNNABLE.filter((n) => !(WORKLOAD_NAMES as readonly string[]).includes(n)));
    for (const p of KERNEL_PRESETS) expect(RUNNABLE, p.name).toContain(p.kernel);
    for (const name of BENCH_DEFAULT_PRESETS) expect(findPreset(name), name).toBeDefined();
    for (const k of KERNEL_INFO) if (k.defaultPreset) expect(findPreset(k.defaultPreset)?.kernel).toBe(k.name);
  });

  it('--list prints the kernels, the workloads with their fields and cost, and every preset', () => {
    const text = registryListing();
    for (const k of KERNEL_INFO) expect(text).toContain(`  ${k.name.padEnd(10)} ${k.about}`);
    for (const name of WORKLOAD_NAMES) expect(text).toContain(`  ${name.padEnd(16)} ${WORKLOADS[name].standsFor}`);
    for (const p of KERNEL_PRESETS) expect(text).toContain(p.name);
    expect(text).toContain('--batch 1..4096 --input 32, 224; default batch 128, input 32: 63.5 GFLOP/step');
    expect(text).toContain('*gemm-bf16-4096');
    expect(text).toMatch(/ resnet50-l1-reduce {9}conv/);
  });
});
