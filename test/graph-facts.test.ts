// The model graphs as the native side builds them, held against the registry (src/registry/workloads.ts)
// on the CPU: test/native/graph_facts.cpp builds each model (native/models, no prepare: nothing is
// allocated or launched) and prints its ops, FLOPs, parameters and the bytes prepare() would allocate.
// It links the native build's kernel archive (build/libgsm_kernels.a, made by `npm install`) for the
// host functions that size the kernels' workspaces. Skips, saying why, without g++, the CUDA toolkit's
// headers and static runtime, or the archive.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cudaToolkit, hasGxx } from './fixtures/cuda-toolkit.js';
import { SCRATCH_BYTES, WORKLOADS, type WorkloadName, workloadLayers, workloadMemory, workloadParams, workloadStepFlops } from '../src/registry/workloads.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const archive = join(root, 'build', 'libgsm_kernels.a');

const toolkit = cudaToolkit();
const why = !hasGxx()
  ? 'no g++ on PATH'
  : toolkit?.staticLib === undefined
    ? 'no CUDA toolkit with libcudart_static.a (nvcc or CUDA_HOME)'
    : !existsSync(archive)
      ? `no ${archive} (the native build: npm install or npm run build:native)`
      : undefined;
if (why) console.log(`graph-facts.test.ts: skipped: ${why}`);

interface GraphOp {
  layer: string;
  phase: 'forward' | 'backward' | 'update';
  what: string;
  impl: string;
  flops: number;
}
interface GraphFacts {
  flopsPerStep: number;
  params: number;
  activationBytes: number;
  parameterBytes: number;
  ops: GraphOp[];
  tensors: Array<{ name: string; bytes: number }>;
}

let dir: string | undefined;
let exe: string | undefined;

beforeAll(async () => {
  if (why) return;
  dir = await mkdtemp(join(tmpdir(), 'gsm-graph-facts-'));
  const sources = [
    'test/native/graph_facts.cpp',
    'native/core/errors.cpp',
    ...(await readdir(join(root, 'native/models'))).filter((f) => f.endsWith('.cpp')).map((f) => `native/models/${f}`),
    ...['shared_library', 'driver_api', 'cudnn_api', 'cudnn_conv_graph', 'cublaslt', 'cublas_attention'].map((f) => `native/libraries/${f}.cpp`),
  ];
  const flags = ['-std=c++17', '-O0', '-DGSM_NO_NAPI', `-I${root}`, `-I${join(root, 'native')}`, `-I${join(toolkit!.root, 'include')}`];
  // Two at a time: the machines this runs on have few cores.
  const objects: string[] = [];
  for (let i = 0; i < sources.length; i += 2) {
    await Promise.all(
      sources.slice(i, i + 2).map(async (s) => {
        const object = join(dir!, `${basename(s)}.o`);
        await run('g++', [...flags, '-c', join(root, s), '-o', object]);
        objects.push(object);
      }),
    );
  }
  exe = join(dir, 'graph_facts');
  await run('g++', ['-no-pie', ...objects, archive, `-L${toolkit!.staticLib}`, '-lcudart_static', '-ldl', '-lpthread', '-lrt', '-o', exe]);
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function facts(name: WorkloadName, shape: number[], impl: 'own' | 'library'): Promise<GraphFacts> {
  const def = WORKLOADS[name];
  const args =
    def.model === 'llm-decode'
      ? ['llm', impl, ...shape.map(String)]
      : [def.model === 'resnet50' ? 'resnet50' : 'bert', impl, def.train ? '1' : '0', ...shape.map(String)];
  const { stdout } = await run(exe!, args, { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as GraphFacts;
}

// The registry's layer names where the graph's differ.
function graphLayer(name: string): string {
  return name
    .replace(/\.downsample\.0$/, '.downsample')
    .replace(/\.ffn\.in$/, '.ffn.up')
    .replace(/\.ffn\.out$/, '.ffn.down');
}

const cases: Array<[WorkloadName, number[]]> = [
  ['resnet50-train', [128, 32]],
  ['resnet50-train', [16, 224]],
  ['resnet50-infer', [1, 224]],
  ['resnet50-infer', [32, 224]],
  ['bert-base-train', [32, 128]],
  ['bert-base-train', [4, 512]],
  ['bert-base-infer', [1, 128]],
  ['bert-base-infer', [32, 128]],
  ['llm-decode', [1, 32, 1024]],
  ['llm-decode', [8, 4, 4096]],
];

describe.skipIf(why !== undefined)('model graphs as built, against the registry', () => {
  for (const [name, shape] of cases) {
    for (const impl of ['own', 'library'] as const) {
      it(`${name} ${shape.join('x')} ${impl}: FLOPs layer by layer, parameters, memory, op order and implementations`, async () => {
        const g = await facts(name, shape, impl);
        const def = WORKLOADS[name];

        // Model FLOPs: the step's, and each counted layer's forward ops.
        expect(g.flopsPerStep / workloadStepFlops(name, shape)).toBeCloseTo(1, 12);
        for (const l of workloadLayers(name, shape).filter((x) => x.flops > 0)) {
          const ops = g.ops.filter((o) => o.phase === 'forward' && o.layer === graphLayer(l.name));
          expect(ops.length, `${l.name}: forward ops`).toBeGreaterThan(0);
          expect(
            ops.reduce((s, o) => s + o.flops, 0),
            `${l.name}: forward FLOPs`,
          ).toBe(l.flops);
        }

        // Parameters: the published count; llm-decode keeps its RMS norm weights (2 per layer and the
        // final one, 4096 each) as a plain tensor outside the parameters.
        const norms = def.model === 'llm-decode' ? (2 * shape[1]! + 1) * 4096 : 0;
        expect(g.params + norms).toBe(workloadParams(name, shape));

        // Memory: the estimate the run's memory check uses covers what prepare() allocates, and is
        // not far above it.
        const allocated = g.activationBytes + g.parameterBytes;
        const estimate = workloadMemory(name, shape, impl).total;
        expect(estimate).toBeGreaterThanOrEqual(allocated);
        expect(estimate).toBeLessThanOrEqual(1.25 * allocated);

        // Order: the forward pass, then (training) backward, then the update.
        const rank = { forward: 0, backward: 1, update: 2 };
        for (let i = 1; i < g.ops.length; i++) expect(rank[g.ops[i]!.phase]).toBeGreaterThanOrEqual(rank[g.ops[i - 1]!.phase]);
        if (def.train) {
          expect(g.ops.at(-1)).toMatchObject({ phase: 'update', what: def.optimizer === 'sgd' ? 'sgd momentum' : expect.stringMatching(/adamw/i) });
          // Every parameter tensor gets a gradient: each layer with parameters has backward ops.
          for (const l of workloadLayers(name, shape).filter((x) => x.params > 0)) {
            const layer = graphLayer(l.name).replace(/\.downsample\.1$/, '.downsample');
            expect(
              g.ops.some((o) => o.phase === 'backward' && o.layer === layer),
              `${l.name}: backward ops`,
            ).toBe(true);
          }
        } else {
          expect(g.ops.every((o) => o.phase === 'forward')).toBe(true);
        }

        // Implementations: library runs cuBLASLt for every gemm and cuDNN for every convolution; own
        // runs the project's kernels forward. Convolution backward is cuDNN in both (the issue's "own,
        // or through cuDNN where an own kernel would be a project of its own").
        const gemms = g.ops.filter((o) => o.what === 'gemm' || o.what.startsWith('gemm '));
        const convs = g.ops.filter((o) => o.what.startsWith('conv '));
        if (impl === 'library') {
          for (const o of gemms) expect(o.impl, `${o.layer} ${o.what}`).toBe('cuBLASLt');
          for (const o of convs) expect(o.impl, `${o.layer} ${o.what}`).toBe('cuDNN');
        } else {
          for (const o of gemms) expect(o.impl, `${o.layer} ${o.what}`).toBe('own');
          for (const o of convs.filter((c) => c.phase === 'forward')) expect(o.impl, `${o.layer} ${o.what}`).toBe('own');
          expect(g.ops.filter((o) => o.phase === 'forward').every((o) => o.impl.startsWith('own'))).toBe(true);
        }
        for (const o of convs.filter((c) => c.phase === 'backward')) expect(o.impl).toBe('cuDNN');
      });
    }
  }

  it('counts the ops of a step as the results report them', async () => {
    // resnet50-train: 53 convolutions forward; backward: a data gradient for all but the stem and a
    // filter gradient (then its widening to fp32) for every one; one SGD update over the flat buffers.
    const r = await facts('resnet50-train', [128, 32], 'library');
    const count = (phase: string, what: string) => r.ops.filter((o) => o.phase === phase && o.what === what).length;
    expect(count('forward', 'conv fwd')).toBe(53);
    expect(r.ops.filter((o) => o.phase === 'backward' && o.what.startsWith('conv bwd data')).length).toBe(52);
    expect(count('backward', 'conv bwd filter')).toBe(53);
    expect(count('backward', 'dW widen')).toBe(53);
    expect(r.ops.filter((o) => o.phase === 'update')).toHaveLength(1);
    // resnet50-infer: the own path runs each batch norm (with its residual add and ReLU) in the epilogue
    // of the convolution before it; the library path runs cuDNN's convolution, then the norm.
    const own = await facts('resnet50-infer', [1, 224], 'own');
    const lib = await facts('resnet50-infer', [1, 224], 'library');
    const whats = (g: GraphFacts) => g.ops.map((o) => o.what);
    expect(whats(own).filter((w) => w === 'conv fwd + bn+relu')).toHaveLength(33); // stem, conv1 and conv2 of 16 blocks
    expect(whats(own).filter((w) => w === 'conv fwd + bn+add+relu')).toHaveLength(16); // each block's conv3
    expect(whats(own).filter((w) => w === 'conv fwd + bn')).toHaveLength(4); // the downsamples
    expect(whats(own).filter((w) => w.startsWith('bn'))).toHaveLength(0);
    expect(whats(lib).filter((w) => w === 'conv fwd')).toHaveLength(53);
    expect(whats(lib).filter((w) => w.startsWith('bn'))).toHaveLength(53);
    // ...and the classifier's bias in its gemm's epilogue (the library path broadcasts it into the logits first).
    expect(whats(own).filter((w) => w === 'gemm + bias')).toHaveLength(1);
    expect(own.ops).toHaveLength(lib.ops.length - 53 - 1);
    // The convolutions' own outputs are not stored: 2 bytes per element of each.
    const convOutputs = workloadLayers('resnet50-infer', [1, 224])
      .filter((x) => x.kind === 'conv')
      .reduce((sum, x) => sum + x.activations, 0);
    expect(lib.activationBytes - own.activationBytes).toBe(2 * convOutputs);
    // bert-base-infer: the own path adds each Linear's bias and applies its activation in the gemm's
    // epilogue (per layer: the output projection and the down projection with a bias, the up projection
    // with the bias and GELU; then the pooler's bias and tanh and the classifier's bias); the library path
    // runs cuBLASLt's gemm, then the bias (+ activation) kernel. The QKV projection's bias stays in the
    // kernel that splits the heads, on both.
    const bertOwn = await facts('bert-base-infer', [1, 128], 'own');
    const bertLib = await facts('bert-base-infer', [1, 128], 'library');
    expect(whats(bertOwn).filter((w) => w === 'gemm + bias')).toHaveLength(2 * 12 + 1);
    expect(whats(bertOwn).filter((w) => w === 'gemm + bias+act')).toHaveLength(12 + 1);
    expect(whats(bertOwn).filter((w) => w === 'bias' || w === 'bias+act')).toHaveLength(0);
    expect(whats(bertLib).filter((w) => w === 'bias')).toHaveLength(2 * 12 + 1);
    expect(whats(bertLib).filter((w) => w === 'bias+act')).toHaveLength(12 + 1);
    expect(whats(bertLib).filter((w) => w.startsWith('gemm +'))).toHaveLength(0);
    // Inference keeps no pre-activation on either path (training keeps it for the backward pass).
    for (const g of [bertOwn, bertLib]) expect(g.tensors.filter((t) => t.name.endsWith('.preact'))).toHaveLength(0);
    const bertTrain = await facts('bert-base-train', [32, 128], 'own');
    expect(bertTrain.tensors.filter((t) => t.name.endsWith('.preact'))).toHaveLength(12 + 1);
    // llm-decode: per layer 2 norms, 3 gemms + the gated MLP's 1, the attention's 4 ops, the activation.
    const l = await facts('llm-decode', [1, 2, 64], 'own');
    expect(l.ops.filter((o) => o.what === 'gemm')).toHaveLength(2 * 4 + 1);
    expect(l.ops.filter((o) => o.what === 'decode attention')).toHaveLength(2);
    expect(l.ops.at(-1)).toMatchObject({ layer: 'sample', what: 'argmax next token' });
  });
});

// The own conv's plans (kernels/conv.cu's planConv on 132 SMs), against what the H200 ran: the trace
// records each launch wrote, all of them, in cudnn_conv_check verify
// (docs/results/2026-12-02-h200-conv-backward/call3-conv-check.txt; the split-K case's adding kernel as
// docs/results/2026-12-02-h200-fused-norm/callE-conv-check.txt has it).
interface ConvPlan {
  splits: number;
  sumCtas: number;
  gatherRows: number;
  variant: number;
  workspaceBytes: number;
  traceRecords: number;
}

async function convPlan(shape: number[]): Promise<ConvPlan> {
  const { stdout } = await run(exe!, ['conv-plan', ...shape.map(String), '132']);
  return JSON.parse(stdout) as ConvPlan;
}

describe.skipIf(why !== undefined)("the own conv's plans", () => {
  // [n, c, h, w, k, r, s, stride, pad], then the plan as the H200 ran it
  const ran: Array<[number[], Partial<ConvPlan>]> = [
    [[1, 3, 224, 224, 64, 7, 7, 2, 3], { gatherRows: 12544, splits: 1, traceRecords: 1034 }],
    [[32, 3, 224, 224, 64, 7, 7, 2, 3], { gatherRows: 55040, splits: 1, traceRecords: 9760 }],
    [[3, 5, 13, 11, 7, 3, 3, 1, 1], { gatherRows: 429, traceRecords: 15 }],
    [[2, 3, 17, 15, 9, 7, 7, 2, 3], { gatherRows: 144, traceRecords: 14 }],
    [[1, 256, 56, 56, 64, 1, 1, 1, 0], { splits: 1, gatherRows: 0, variant: 4, traceRecords: 25 }],
    [[1, 512, 7, 7, 512, 3, 3, 1, 1], { splits: 16, gatherRows: 0, traceRecords: 177 }],
    // split K's adding kernel: a thread per pair of channels since the fused-norm results (196 CTAs; 132 before)
    [[1, 1024, 14, 14, 2048, 1, 1, 2, 0], { splits: 4, sumCtas: 196, traceRecords: 324 }],
  ];
  for (const [shape, expected] of ran) {
    it(`${shape.join(',')}: ${JSON.stringify(expected)}`, async () => {
      expect(await convPlan(shape)).toMatchObject(expected);
    });
  }

  it("the stem's gather: patches padded to K = 152, the padded filter first, chunks within 16 MiB", async () => {
    const kp = 152; // 7 x 7 x 3 = 147, to a multiple of 8
    const b1 = await convPlan([1, 3, 224, 224, 64, 7, 7, 2, 3]);
    expect(b1.workspaceBytes).toBe((64 + 112 * 112) * kp * 2); // batch 1: one chunk of every output pixel
    for (const batch of [32, 128, 256]) {
      const p = await convPlan([batch, 3, 224, 224, 64, 7, 7, 2, 3]);
      expect(p.gatherRows * kp * 2).toBeLessThanOrEqual(16 * 2 ** 20);
      expect(p.gatherRows % 256).toBe(0);
      expect(p.workspaceBytes).toBe((64 + p.gatherRows) * kp * 2);
    }
  });

  it("every ResNet-50 convolution's workspace fits the memory estimate's scratch allowance", async () => {
    // ResNet-50's convolutions at batch sizes from 1 to 1024, ImageNet (224) and CIFAR-10 (32) inputs.
    const batches = [
      [1, 224],
      [32, 224],
      [256, 224],
      [128, 32],
      [1024, 32],
    ] as const;
    const stages = [
      [64, 3, 1],
      [128, 4, 2],
      [256, 6, 2],
      [512, 3, 2],
    ] as const; // planes, blocks, stride
    const convs: number[][] = [];
    for (const [batch, input] of batches) {
      convs.push([batch, 3, input, input, 64, 7, 7, 2, 3]);
      let size = input / 4;
      let c = 64;
      for (const [planes, blocks, stride] of stages) {
        for (let b = 0; b < blocks; b++) {
          const s = b === 0 ? stride : 1;
          convs.push([batch, c, size, size, planes, 1, 1, 1, 0]);
          convs.push([batch, planes, size, size, planes, 3, 3, s, 1]);
          const out = Math.floor((size + 2 - 3) / s) + 1;
          convs.push([batch, planes, out, out, planes * 4, 1, 1, 1, 0]);
          if (b === 0) convs.push([batch, c, size, size, planes * 4, 1, 1, s, 0]);
          c = planes * 4;
          size = out;
        }
      }
    }
    for (const shape of convs) {
      const p = await convPlan(shape);
      expect(p.workspaceBytes, shape.join(',')).toBeLessThanOrEqual(SCRATCH_BYTES);
    }
  }, 120_000);
});
