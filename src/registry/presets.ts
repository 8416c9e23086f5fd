// Named shapes, one set for `run --preset` (or `--shape NAME`) and `bench --preset`: gemm sizes,
// every distinct convolution of ResNet-50 (v1.5, the stride on the 3x3 convolutions, as torchvision
// builds it) at batch 256, attention of BERT-base and of a long-context LLM layer, HBM-sized streams,
// and the model workloads at their usual sizes. Kernel shapes follow kernels.ts, workload shapes
// workloads.ts; `count` is how often a layer occurs in one forward pass.
import type { GemmDtype } from './kernels.js';
import type { WorkloadName } from './workloads.js';

export interface KernelPreset<Name extends string = string> {
  name: Name;
  /** A kernel (gemm, conv, attention, copy, triad) or a model workload (resnet50-train, ...). */
  kernel: 'gemm' | 'conv' | 'attention' | 'copy' | 'triad' | WorkloadName;
  shape: readonly number[];
  /** Element type where the kernel has several (gemm). */
  dtype?: string;
  /** Occurrences per forward pass of the model (1 where not a model layer). */
  count: number;
  description: string;
}

/** A list of presets whose names stay literal types (PresetName is their union, so a misspelt preset fails to compile). */
function presets<N extends string>(list: ReadonlyArray<KernelPreset<N>>): ReadonlyArray<KernelPreset<N>> {
  return list;
}

const BATCH = 256;

function conv<N extends string>(
  name: N,
  c: number,
  hw: number,
  k: number,
  rs: number,
  stride: number,
  count: number,
  description: string,
): KernelPreset<`resnet50-${N}`> {
  const pad = rs === 7 ? 3 : rs === 3 ? 1 : 0;
  return { name: `resnet50-${name}`, kernel: 'conv', shape: [BATCH, c, hw, hw, k, rs, rs, stride, pad], count, description };
}

/** ResNet-50's convolutions at batch 256, in network order (the 3x3 ones are the bench's targets). */
export const RESNET50_CONV_PRESETS = presets([
  conv('conv1', 3, 224, 64, 7, 2, 1, 'stem 7x7/2, 224x224x3 -> 112x112x64'),
  conv('l1-reduce-first', 64, 56, 64, 1, 1, 1, 'layer1 block1 1x1 64 -> 64, 56x56'),
  conv('l1-3x3', 64, 56, 64, 3, 1, 3, 'layer1 3x3 64 -> 64, 56x56'),
  conv('l1-expand', 64, 56, 256, 1, 1, 3, 'layer1 1x1 64 -> 256, 56x56'),
  conv('l1-downsample', 64, 56, 256, 1, 1, 1, 'layer1 shortcut 1x1 64 -> 256, 56x56'),
  conv('l1-reduce', 256, 56, 64, 1, 1, 2, 'layer1 1x1 256 -> 64, 56x56'),
  conv('l2-reduce-first', 256, 56, 128, 1, 1, 1, 'layer2 block1 1x1 256 -> 128, 56x56'),
  conv('l2-3x3-stride2', 128, 56, 128, 3, 2, 1, 'layer2 block1 3x3/2 128 -> 128, 56x56 -> 28x28'),
  conv('l2-3x3', 128, 28, 128, 3, 1, 3, 'layer2 3x3 128 -> 128, 28x28'),
  conv('l2-expand', 128, 28, 512, 1, 1, 4, 'layer2 1x1 128 -> 512, 28x28'),
  conv('l2-downsample', 256, 56, 512, 1, 2, 1, 'layer2 shortcut 1x1/2 256 -> 512, 56x56 -> 28x28'),
  conv('l2-reduce', 512, 28, 128, 1, 1, 3, 'layer2 1x1 512 -> 128, 28x28'),
  conv('l3-reduce-first', 512, 28, 256, 1, 1, 1, 'layer3 block1 1x1 512 -> 256, 28x28'),
  conv('l3-3x3-stride2', 256, 28, 256, 3, 2, 1, 'layer3 block1 3x3/2 256 -> 256, 28x28 -> 14x14'),
  conv('l3-3x3', 256, 14, 256, 3, 1, 5, 'layer3 3x3 256 -> 256, 14x14'),
  conv('l3-expand', 256, 14, 1024, 1, 1, 6, 'layer3 1x1 256 -> 1024, 14x14'),
  conv('l3-downsample', 512, 28, 1024, 1, 2, 1, 'layer3 shortcut 1x1/2 512 -> 1024, 28x28 -> 14x14'),
  conv('l3-reduce', 1024, 14, 256, 1, 1, 5, 'layer3 1x1 1024 -> 256, 14x14'),
  conv('l4-reduce-first', 1024, 14, 512, 1, 1, 1, 'layer4 block1 1x1 1024 -> 512, 14x14'),
  conv('l4-3x3-stride2', 512, 14, 512, 3, 2, 1, 'layer4 block1 3x3/2 512 -> 512, 14x14 -> 7x7'),
  conv('l4-3x3', 512, 7, 512, 3, 1, 2, 'layer4 3x3 512 -> 512, 7x7'),
  conv('l4-expand', 512, 7, 2048, 1, 1, 3, 'layer4 1x1 512 -> 2048, 7x7'),
  conv('l4-downsample', 1024, 14, 2048, 1, 2, 1, 'layer4 shortcut 1x1/2 1024 -> 2048, 14x14 -> 7x7'),
  conv('l4-reduce', 2048, 7, 512, 1, 1, 2, 'layer4 1x1 2048 -> 512, 7x7'),
]);

export const ATTENTION_PRESETS = presets([
  {
    name: 'bert-base',
    kernel: 'attention',
    shape: [32, 12, 512, 64, 0],
    count: 12,
    description: 'BERT-base self-attention: batch 32, 12 heads, sequence 512, head dim 64',
  },
  {
    name: 'llm-4k',
    kernel: 'attention',
    shape: [8, 16, 4096, 128, 0],
    count: 1,
    description: 'long-context LLM layer: batch 8, 16 heads, sequence 4096, head dim 128',
  },
  {
    name: 'llm-4k-causal',
    kernel: 'attention',
    shape: [8, 16, 4096, 128, 1],
    count: 1,
    description: 'the same layer with a causal mask (decoder training / prefill)',
  },
]);

export const STREAM_PRESETS = presets([
  { name: 'copy-1gib', kernel: 'copy', shape: [2 ** 28], count: 1, description: 'b = a over 2^28 fp32 (1 GiB per array, far past the 60 MB L2)' },
  { name: 'triad-1gib', kernel: 'triad', shape: [2 ** 28], count: 1, description: 'a = b + 3 c over 2^28 fp32 (1 GiB per array)' },
]);

const gemm = <D extends GemmDtype, N extends number>(dtype: D, n: N, description: string): KernelPreset<`gemm-${D}-${N}`> => ({
  name: `gemm-${dtype}-${n}`,
  kernel: 'gemm',
  dtype,
  shape: [n, n, n],
  count: 1,
  description,
});

export const GEMM_PRESETS = presets([
  gemm('bf16', 4096, 'bf16 gemm 4096³, fp32 accumulate and output'),
  gemm('bf16', 8192, 'bf16 gemm 8192³'),
  gemm('fp16', 4096, 'fp16 gemm 4096³, fp32 accumulate and output'),
  gemm('tf32', 4096, 'fp32 gemm 4096³ on the tensor cores (tf32)'),
  gemm('fp32', 4096, 'fp32 gemm 4096³ in fp32 arithmetic'),
]);

const workload = <N extends string>(name: N, kernel: WorkloadName, shape: number[], description: string): KernelPreset<N> => ({
  name,
  kernel,
  shape,
  count: 1,
  description,
});

/** The model workloads at the sizes the issue names (each workload's default shape is in workloads.ts). */
export const WORKLOAD_PRESETS = presets([
  workload('resnet50-train-cifar', 'resnet50-train', [128, 32], 'ResNet-50 training on CIFAR-10-sized images: batch 128, 32x32, 10 classes'),
  workload('resnet50-train-imagenet', 'resnet50-train', [256, 224], 'ResNet-50 training on ImageNet-sized images: batch 256, 224x224, 1000 classes'),
  workload('resnet50-infer-b1', 'resnet50-infer', [1, 224], 'ResNet-50 inference, one 224x224 image'),
  workload('resnet50-infer-b32', 'resnet50-infer', [32, 224], 'ResNet-50 inference, batch 32 at 224x224'),
  workload('bert-base-train-128', 'bert-base-train', [32, 128], 'BERT-base fine-tuning: batch 32, sequence 128'),
  workload('bert-base-train-512', 'bert-base-train', [32, 512], 'BERT-base fine-tuning: batch 32, sequence 512'),
  workload('bert-base-infer-b1', 'bert-base-infer', [1, 128], 'BERT-base inference: one sequence of 128'),
  workload('bert-base-infer-b32', 'bert-base-infer', [32, 128], 'BERT-base inference: batch 32, sequence 128'),
  workload('llm-decode-b1', 'llm-decode', [1, 32, 1024], '7B decode, one sequence, 32 layers, 1024-position cache'),
  workload('llm-decode-b64', 'llm-decode', [64, 32, 1024], '7B decode, 64 sequences, 32 layers, 1024-position cache'),
]);

export const KERNEL_PRESETS = presets([...GEMM_PRESETS, ...RESNET50_CONV_PRESETS, ...ATTENTION_PRESETS, ...STREAM_PRESETS, ...WORKLOAD_PRESETS]);
/** The name of a preset (`--preset`, bench's presets): gemm-bf16-4096, resnet50-l1-3x3, bert-base, llm-4k, copy-1gib, resnet50-train-imagenet, ... */
export type PresetName = (typeof KERNEL_PRESETS)[number]['name'];

/** What `bench` measures without --preset: a typical shape of each kernel. */
export const BENCH_DEFAULT_PRESETS: readonly string[] = [
  ...GEMM_PRESETS.map((p) => p.name),
  'resnet50-l1-3x3',
  'resnet50-l3-3x3',
  'llm-4k',
  'llm-4k-causal',
  'bert-base',
  'copy-1gib',
  'triad-1gib',
];

/** The presets the targets are stated for (own against library, at least the ratio given). */
export const TARGET_PRESETS: ReadonlyArray<{ preset: string; library: string; minRatio: number }> = [
  { preset: 'resnet50-l1-3x3', library: 'cudnn', minRatio: 0.5 },
  { preset: 'resnet50-l3-3x3', library: 'cudnn', minRatio: 0.5 },
  { preset: 'llm-4k', library: 'cudnn', minRatio: 0.5 },
  { preset: 'copy-1gib', library: 'cudart', minRatio: 0.9 },
];

export function findPreset(name: string): KernelPreset | undefined {
  return KERNEL_PRESETS.find((p) => p.name === name);
}
