// The model workloads: a whole training step or inference pass of a real network as one "launch" of
// a client, built on the native side as a graph of kernels (native/models/graph.h: ResNetConfig,
// BertConfig, LlmConfig are the exact architectures). This file knows, from the architecture alone
// and before any GPU work: the shape fields and their rules, the model FLOPs of a step layer by layer,
// and the device memory a client needs (weights, activations, gradients, optimizer state).
//
// Counting rules (docs/workloads.md says the same in prose):
// - FLOPs: 2 per multiply-add of every convolution, linear layer and attention product; norms,
//   activations, pooling, softmax and the optimizer count 0 (the usual model-FLOP convention).
//   A training step is 3x its forward pass (forward, data gradient, weight gradient), less the data
//   gradient of ResNet's stem convolution (the input image needs none; the graph computes none).
// - llm-decode's attention reads on average 0.75 of the cache per step (it starts half full, grows
//   one position per step and restarts from half at capacity).
// - Memory: the model graphs (native/models/graph.h) keep, per parameter, an fp32 master, an fp32
//   gradient and a bf16 copy (ResNet and BERT inference too: their kernels read the fp32 masters of
//   norms and embeddings), and when training the optimizer's fp32 buffers (SGD momentum 1, AdamW 2);
//   llm-decode keeps bf16 weights only. Every tensor the graph declares is its own buffer (no reuse):
//   each layer's outputs, the statistics its backward pass needs and, when training, a bf16 gradient
//   of each activation (an upper bound: the graph shares some). test/graph-facts.test.ts holds these
//   counts against the graphs as built.
import { convOutputSize, type GEMM_IMPLS, type GemmDtype, type KERNEL_DTYPES, type KERNEL_IMPLS, type KernelFamily } from './kernels.js';

export const WORKLOAD_NAMES = ['resnet50-train', 'resnet50-infer', 'bert-base-train', 'bert-base-infer', 'llm-decode'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];
export const WORKLOAD_IMPLS = ['own', 'library'] as const;
export type WorkloadImpl = (typeof WORKLOAD_IMPLS)[number];
/** The workload path a client's `impl` selects: 'own', else the libraries. */
export function workloadImpl(impl: string | undefined): WorkloadImpl {
  return impl === 'own' ? 'own' : 'library';
}
export const WORKLOAD_DTYPE = 'bf16';

/** Every implementation `--impl` takes: own, and the libraries of the kernels (cublas, cudnn, cudart) and of the workloads (library). */
export type Impl = (typeof GEMM_IMPLS)[number] | (typeof KERNEL_IMPLS)[KernelFamily][number] | (typeof WORKLOAD_IMPLS)[number];
/** Every element type `--dtype` takes: gemm's, and the one of each other kernel and of the workloads. */
export type Dtype = GemmDtype | (typeof KERNEL_DTYPES)[KernelFamily] | typeof WORKLOAD_DTYPE;

/** A shape field of a workload: its name (the option is --NAME, the --client key NAME) and its rule. */
export interface WorkloadField {
  name: 'batch' | 'input' | 'seq' | 'layers' | 'kv';
  about: string;
  /** The values allowed: a list, or an integer range. */
  values?: readonly number[];
  min?: number;
  max?: number;
}

export interface WorkloadDef {
  name: WorkloadName;
  model: 'resnet50' | 'bert-base' | 'llm-decode';
  train: boolean;
  /** What ML work it stands for, in a line. */
  standsFor: string;
  fields: readonly WorkloadField[];
  /** Default shape, one value per field. */
  defaults: readonly number[];
  optimizer?: 'sgd' | 'adamw';
}

const RESNET_FIELDS: readonly WorkloadField[] = [
  { name: 'batch', about: 'images per step', min: 1, max: 4096 },
  { name: 'input', about: 'image side: 32 (CIFAR-10, 10 classes) or 224 (ImageNet, 1000 classes)', values: [32, 224] },
];
const BERT_FIELDS: readonly WorkloadField[] = [
  { name: 'batch', about: 'sequences per step', min: 1, max: 1024 },
  { name: 'seq', about: 'tokens per sequence (at most the 512 positions)', min: 1, max: 512 },
];
const LLM_FIELDS: readonly WorkloadField[] = [
  { name: 'batch', about: 'sequences decoded together', min: 1, max: 64 },
  { name: 'layers', about: 'decoder layers (32 in a 7B model)', min: 1, max: 32 },
  { name: 'kv', about: 'KV-cache capacity per sequence (starts half full)', min: 2, max: 32768 },
];

export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadDef>> = {
  'resnet50-train': {
    name: 'resnet50-train',
    model: 'resnet50',
    train: true,
    standsFor: 'CNN training: ResNet-50 steps with SGD momentum (CIFAR-10 at 32, ImageNet at 224)',
    fields: RESNET_FIELDS,
    defaults: [128, 32],
    optimizer: 'sgd',
  },
  'resnet50-infer': {
    name: 'resnet50-infer',
    model: 'resnet50',
    train: false,
    standsFor: 'image classification serving: a ResNet-50 forward pass (eval-mode batch norm)',
    fields: RESNET_FIELDS,
    defaults: [1, 224],
  },
  'bert-base-train': {
    name: 'bert-base-train',
    model: 'bert-base',
    train: true,
    standsFor: 'transformer fine-tuning: BERT-base sequence classification steps with AdamW',
    fields: BERT_FIELDS,
    defaults: [32, 128],
    optimizer: 'adamw',
  },
  'bert-base-infer': {
    name: 'bert-base-infer',
    model: 'bert-base',
    train: false,
    standsFor: 'transformer encoder serving: a BERT-base forward pass',
    fields: BERT_FIELDS,
    defaults: [1, 128],
  },
  'llm-decode': {
    name: 'llm-decode',
    model: 'llm-decode',
    train: false,
    standsFor: 'LLM token generation: one decode step of a 7B LLaMA-style model over a growing KV cache (memory-bound)',
    fields: LLM_FIELDS,
    defaults: [1, 32, 1024],
  },
};

export function isWorkload(name: unknown): name is WorkloadName {
  return typeof name === 'string' && (WORKLOAD_NAMES as readonly string[]).includes(name);
}

/** The rule of a field in words: "one of 32, 224" or "an integer in 1..4096". */
export function fieldRule(field: WorkloadField): string {
  return field.values ? `one of ${field.values.join(', ')}` : `an integer in ${field.min}..${field.max}`;
}

/** Why a workload shape is not valid (one line naming the field), or undefined. */
export function workloadShapeProblem(name: WorkloadName, shape: readonly number[]): string | undefined {
  const def = WORKLOADS[name];
  if (shape.length !== def.fields.length) return `${name} expects a shape [${def.fields.map((f) => f.name).join(', ')}], got ${shape.length} numbers`;
  for (const [i, f] of def.fields.entries()) {
    const v = shape[i]!;
    const ok = f.values ? f.values.includes(v) : Number.isInteger(v) && v >= f.min! && v <= f.max!;
    if (!ok) return `${name} ${f.name} must be ${fieldRule(f)}, got ${v}`;
  }
  return undefined;
}

/** One layer of a model as the registry counts it (forward pass, at the step's batch). */
export interface LayerCount {
  /** PyTorch-style name: "layer1.0.conv2", "encoder.3.attention.qkv", "layers.0.mlp.down". */
  name: string;
  kind: 'conv' | 'linear' | 'attention' | 'norm' | 'pool' | 'embedding' | 'loss' | 'elementwise';
  /** Forward FLOPs (2 per multiply-add; 0 for memory-bound layers). */
  flops: number;
  /** Parameters (elements). */
  params: number;
  /** Elements of the bf16 activations it declares (its outputs), and bytes of other saved tensors
   * (fp32 statistics, fp32 logits, indices). */
  activations: number;
  extraBytes: number;
}

function layer(name: string, kind: LayerCount['kind'], flops: number, params: number, activations: number, extraBytes = 0): LayerCount {
  return { name, kind, flops, params, activations, extraBytes };
}

/** torchvision's ResNet-50 (v1.5: the stride on the 3x3 convolutions), NHWC, as ResNetConfig builds it.
 * `fused`: the own path's inference, where each batch norm (with its ReLU and residual) runs in the
 * convolution before it, so the convolution's own output is never stored. */
function resnet50Layers(batch: number, input: number, train: boolean, fused: boolean): LayerCount[] {
  const classes = input === 224 ? 1000 : 10;
  const out: LayerCount[] = [];
  // conv + batch norm (+ ReLU, + residual: fused into the norm): the conv's output (unless fused) and
  // the norm's, and per channel the saved mean and invstd (fp32) when training.
  const convBn = (name: string, c: number, hw: number, k: number, rs: number, stride: number): number => {
    const pad = rs === 7 ? 3 : rs === 3 ? 1 : 0;
    const p = convOutputSize(hw, rs, stride, pad);
    const y = batch * p * p * k;
    out.push(layer(name, 'conv', 2 * y * c * rs * rs, k * rs * rs * c, fused ? 0 : y));
    const bn = name.replace(/conv(\d?)$/, 'bn$1').replace(/downsample\.0$/, 'downsample.1');
    out.push(layer(bn, 'norm', 0, 2 * k, y, train ? 2 * 4 * k : 0));
    return p;
  };
  let hw = convBn('conv1', 3, input, 64, 7, 2);
  const pooled = convOutputSize(hw, 3, 2, 1);
  // max pooling: the output and (training) the winning position of each output element, one byte each.
  out.push(layer('maxpool', 'pool', 0, 0, batch * pooled * pooled * 64, train ? batch * pooled * pooled * 64 : 0));
  hw = pooled;
  let channels = 64;
  const blocks = [3, 4, 6, 3];
  for (let stage = 0; stage < 4; stage++) {
    const width = 64 * 2 ** stage;
    for (let b = 0; b < blocks[stage]!; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const prefix = `layer${stage + 1}.${b}`;
      convBn(`${prefix}.conv1`, channels, hw, width, 1, 1);
      const p = convBn(`${prefix}.conv2`, width, hw, width, 3, stride);
      convBn(`${prefix}.conv3`, width, p, width * 4, 1, 1);
      if (b === 0) convBn(`${prefix}.downsample.0`, channels, hw, width * 4, 1, stride);
      hw = p;
      channels = width * 4;
    }
  }
  out.push(layer('avgpool', 'pool', 0, 0, batch * channels));
  out.push(layer('fc', 'linear', 2 * batch * channels * classes, channels * classes + classes, 0, batch * classes * 4));
  if (train) out.push(layer('loss', 'loss', 0, 0, 0, 4 + batch * 4));
  return out;
}

const BERT = { hidden: 768, heads: 12, ffn: 3072, layers: 12, vocab: 30522, positions: 512, types: 2, classes: 2 };

/** BERT-base for sequence classification (post-LN, fused QKV, GELU), as BertConfig builds it.
 * `fused`: the own path's inference, where the fused attention kernel stores its output with the heads
 * merged (no separate context, no score buffers). */
function bertLayers(batch: number, seq: number, train: boolean, fused: boolean): LayerCount[] {
  const { hidden: h, heads, ffn, vocab, positions, types, classes } = BERT;
  const t = batch * seq;
  const stats = train ? 2 * 4 * t : 0; // a norm's saved mean and rstd per token
  const out: LayerCount[] = [
    layer('embeddings', 'embedding', 0, (vocab + positions + types) * h, t * h),
    layer('embeddings.norm', 'norm', 0, 2 * h, t * h, stats),
  ];
  for (let i = 0; i < BERT.layers; i++) {
    const p = `encoder.${i}`;
    // QKV gemm output, then q, k, v split into heads.
    out.push(layer(`${p}.attention.qkv`, 'linear', 2 * t * h * 3 * h, 3 * h * h + 3 * h, 2 * t * 3 * h));
    // Scores q k^T and the probabilities (training keeps both: fp32 scores, bf16 probabilities, for the
    // unfused backward pass); the context [b, heads, s, d] (unless fused) and merged back to [tokens, hidden].
    const scores = batch * heads * seq * seq;
    out.push(layer(`${p}.attention.core`, 'attention', 4 * batch * seq * seq * h, 0, (fused ? 1 : 2) * t * h + (train ? scores : 0)));
    out.push(layer(`${p}.attention.output`, 'linear', 2 * t * h * h, h * h + h, t * h));
    // post-LN with the residual fused: the output and (training) the sum it normalised.
    out.push(layer(`${p}.attention.norm`, 'norm', 0, 2 * h, t * h * (train ? 2 : 1), stats));
    // GELU: the activation, and (training) the pre-activation its backward reads.
    out.push(layer(`${p}.ffn.in`, 'linear', 2 * t * h * ffn, h * ffn + ffn, t * ffn * (train ? 2 : 1)));
    out.push(layer(`${p}.ffn.out`, 'linear', 2 * t * ffn * h, ffn * h + h, t * h));
    out.push(layer(`${p}.ffn.norm`, 'norm', 0, 2 * h, t * h * (train ? 2 : 1), stats));
  }
  // One buffer of fp32 scores and one of bf16 score gradients (or probabilities), shared by every layer's
  // attention (the unfused path: training, and the library path's inference).
  if (!fused) out.push(layer('attention.scratch', 'attention', 0, 0, 0, batch * heads * seq * seq * (4 + 2)));
  out.push(layer('pooler', 'linear', 2 * batch * h * h, h * h + h, batch * h * (train ? 3 : 2)));
  out.push(layer('classifier', 'linear', 2 * batch * h * classes, h * classes + classes, 0, batch * classes * 4));
  if (train) out.push(layer('loss', 'loss', 0, 0, 0, 4 + batch * 4));
  return out;
}

const LLM = { hidden: 4096, heads: 32, ffn: 11008, vocab: 32000 };

/** One decode step of a 7B LLaMA-style decoder (RMS norm, fused QKV, RoPE, SwiGLU), as LlmConfig builds it. */
function llmLayers(batch: number, layers: number, kv: number): LayerCount[] {
  const { hidden: h, ffn, vocab } = LLM;
  // The attention reads 0.75 kv positions on average (the cache cycles from half full to full).
  const context = 0.75 * kv;
  const out: LayerCount[] = [layer('embed', 'embedding', 0, vocab * h, batch * h)];
  for (let i = 0; i < layers; i++) {
    const p = `layers.${i}`;
    out.push(layer(`${p}.attention_norm`, 'norm', 0, h, batch * h * 2));
    out.push(layer(`${p}.attention.qkv`, 'linear', 2 * batch * h * 3 * h, 3 * h * h, batch * 3 * h));
    out.push(layer(`${p}.attention.core`, 'attention', 4 * batch * context * h, 0, batch * h));
    out.push(layer(`${p}.attention.output`, 'linear', 2 * batch * h * h, h * h, batch * h));
    out.push(layer(`${p}.ffn_norm`, 'norm', 0, h, batch * h * 2));
    out.push(layer(`${p}.mlp.gate_up`, 'linear', 2 * batch * h * 2 * ffn, 2 * ffn * h, batch * 2 * ffn));
    out.push(layer(`${p}.mlp.down`, 'linear', 2 * batch * ffn * h, ffn * h, batch * ffn + batch * h));
  }
  out.push(layer('norm', 'norm', 0, h, batch * h));
  out.push(layer('lm_head', 'linear', 2 * batch * h * vocab, vocab * h, 0, batch * vocab * 4 + batch * 8));
  return out;
}

/** The layers of a workload at a shape (forward pass), in network order, as the `impl` path builds them
 * (they differ only in the activations stored: the own path's inference fuses ResNet's norms into its
 * convolutions and BERT's attention into one kernel). */
export function workloadLayers(name: WorkloadName, shape: readonly number[], impl: WorkloadImpl = 'library'): LayerCount[] {
  const def = WORKLOADS[name];
  const [a, b, c] = shape as [number, number, number];
  if (def.model === 'resnet50') return resnet50Layers(a, b, def.train, !def.train && impl === 'own');
  if (def.model === 'bert-base') return bertLayers(a, b, def.train, !def.train && impl === 'own');
  return llmLayers(a, b, c);
}

/** Model FLOPs of one step: the forward pass, 3x for a training step. */
export function workloadStepFlops(name: WorkloadName, shape: readonly number[]): number {
  const layers = workloadLayers(name, shape);
  const forward = layers.reduce((sum, l) => sum + l.flops, 0);
  if (!WORKLOADS[name].train) return forward;
  // ResNet's stem convolution has no data gradient to compute (its input is the image).
  const stem = WORKLOADS[name].model === 'resnet50' ? layers[0]!.flops : 0;
  return 3 * forward - stem;
}

export function workloadParams(name: WorkloadName, shape: readonly number[]): number {
  return workloadLayers(name, shape).reduce((sum, l) => sum + l.params, 0);
}

/** Samples one step processes (images, sequences, or tokens generated). */
export function workloadSamples(_name: WorkloadName, shape: readonly number[]): number {
  return shape[0]!;
}

/** The device memory a client of a workload needs, by kind, in bytes. */
export interface MemoryNeed {
  /** fp32 master + bf16 copy (training), + the fp32 gradient buffer (ResNet and BERT inference), bf16 only (llm-decode). */
  weights: number;
  /** fp32 parameter gradients and bf16 activation gradients (training only). */
  gradients: number;
  /** The optimizer's fp32 buffers: SGD momentum 1, AdamW 2 (training only). */
  optimizer: number;
  /** Every tensor the forward pass declares (bf16 outputs, saved statistics, logits). */
  activations: number;
  /** llm-decode's KV cache: keys and values of every layer, bf16. */
  cache: number;
  /** Library workspaces and reduction scratch (a fixed allowance). */
  scratch: number;
  total: number;
}

/** Library workspaces (cuBLASLt, cuDNN) and the nn kernels' reduction scratch: a fixed allowance. */
export const SCRATCH_BYTES = 64 * 2 ** 20;

export function workloadMemory(name: WorkloadName, shape: readonly number[], impl: WorkloadImpl = 'library'): MemoryNeed {
  const def = WORKLOADS[name];
  const layers = workloadLayers(name, shape, impl);
  const params = layers.reduce((sum, l) => sum + l.params, 0);
  const activationElements = layers.reduce((sum, l) => sum + l.activations, 0);
  const activations = 2 * activationElements + layers.reduce((sum, l) => sum + l.extraBytes, 0);
  const stateBuffers = def.optimizer === 'adamw' ? 2 : def.optimizer === 'sgd' ? 1 : 0;
  // fp32 master + bf16 copy; the graphs of ResNet and BERT keep the fp32 gradient buffer in inference
  // too (counted here: no gradient is computed into it), llm-decode only bf16 weights.
  const weights = def.train ? params * (4 + 2) : def.model === 'llm-decode' ? params * 2 : params * (4 + 4 + 2);
  const gradients = def.train ? params * 4 + 2 * activationElements : 0;
  const optimizer = params * 4 * stateBuffers;
  const cache = def.model === 'llm-decode' ? 2 * shape[1]! * shape[0]! * shape[2]! * LLM.hidden * 2 : 0;
  const scratch = SCRATCH_BYTES;
  return { weights, gradients, optimizer, activations, cache, scratch, total: weights + gradients + optimizer + activations + cache + scratch };
}

/** The shape as a caller reads it: "batch 128, input 32". */
export function describeWorkloadShape(name: WorkloadName, shape: readonly number[]): string {
  return WORKLOADS[name].fields.map((f, i) => `${f.name} ${shape[i]}`).join(', ');
}
