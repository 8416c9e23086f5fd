// One decode step of a LLaMA-style decoder (graph.h buildLlmDecode), inference only:
//   embed_tokens                    the token of each sequence: a row of the bf16 table (GatherRows by id)
//   layers.i.input_norm             RMS norm, the previous layer's MLP output added to the residual stream
//   layers.i.attention.qkv          fused projection [3 hidden, hidden], no bias
//   layers.i.attention.core         rotary embedding on q and k, KV-cache append, attention over the cache
//   layers.i.attention.output       output projection
//   layers.i.post_attention_norm    RMS norm, the attention output added to the residual stream
//   layers.i.mlp.gate_up            gate and up projections fused [2 ffn, hidden]
//   layers.i.mlp.act                silu(gate) * up
//   layers.i.mlp.down               down projection
//   norm, lm_head, sample           final RMS norm, fp32 logits, greedy next token
// The step feeds the next: `sample` writes each sequence's next id and advances its position, which
// the next step's embedding, rotary embedding, cache append and attention read. The caches start half
// full (random keys and values, every sequence at position kvLength / 2) and wrap back to half at
// capacity.
//
// Weights are bf16 only (Graph::setInference: a 7B model's fp32 masters would take 27 GB more). The
// RMS norm weights are one fp32 tensor of ones (the kernel reads fp32; 0.004% of the parameters,
// left out of paramCount). Every gemm has m = batch rows (the own gemm's skinny path serves batch <= 64). The
// step is bound by reading the weights and the caches; its model FLOPs are the gemms' 2 m n k and the
// attention's 4 batch hidden over 3/4 of the cache (its average fill), as src/registry/workloads.ts counts.
// Attention runs the project's decode kernel in both impls: no library has a decode attention over
// this cache layout ([batch, heads, capacity, headDim] per layer), and its op label says so.
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include "models/layers_transformer.h"

namespace gsm {
namespace model {
namespace {

void checkConfig(const LlmConfig& c) {
  std::string wrong;
  if (c.batch < 1 || c.layers < 1 || c.hidden < 1 || c.heads < 1 || c.ffn < 1 || c.vocab < 1) {
    wrong = "every size must be positive";
  } else if (c.hidden % c.heads != 0 || (c.hidden / c.heads) % 2 != 0) {
    wrong = "hidden " + std::to_string(c.hidden) + " must be heads (" + std::to_string(c.heads) +
            ") times an even head dim";
  } else if (c.kvLength < 2) {
    wrong = "kvLength must be at least 2, got " + std::to_string(c.kvLength);
  }
  if (!wrong.empty()) throw NativeFailure({"ERR_ARGS", "llm-decode: " + wrong, "", ""});
}

// A bf16 slice of a tensor (q, k and v inside the qkv projection's output at batch 1).
struct View {
  Tensor* tensor;
  size_t offset;
  uint16_t* ptr() const { return tensor->bf16() + offset; }
};

struct HeadViews {
  View q, k, v;
};

// What every layer reads: the shape, the step's ids and positions, the norm weights, and the
// transient tensors the layers share.
struct Decoder {
  LlmConfig config;
  Impl impl;
  int headDim;
  Tensor* ids;
  Tensor* pos;
  Tensor* normWeights;  // fp32 [2 layers + 1, hidden], all ones (LLaMA's init)
  Tensor* attentionWorkspace;
  Tensor *q, *k, *v;  // [batch, heads, headDim] when batch > 1 (batch 1 reads them inside qkv)
  Tensor* attention;  // [batch, hidden]
};

// y = rmsnorm(x + residual) with norm weights row `index`; returns y and the residual stream after
// the add (x itself when there is no residual). keepSum false: the stream is not needed afterwards.
std::pair<Tensor*, Tensor*> rmsNorm(Graph& graph, const Decoder& d, const std::string& layer, Tensor* x,
                                    Tensor* residual, int index, bool keepSum) {
  Tensor* y = graph.tensor(layer + ".out", x->dims, Dtype::Bf16);
  Tensor* sum = residual != nullptr && keepSum ? graph.tensor(layer + ".sum", x->dims, Dtype::Bf16) : nullptr;
  RmsNormArgs args{};
  args.rows = d.config.batch;
  args.cols = d.config.hidden;
  Tensor* weights = d.normWeights;
  const size_t offset = static_cast<size_t>(index) * d.config.hidden;
  addNnOp(
      graph, layer, Phase::Forward, residual ? "add + rmsnorm" : "rmsnorm", "own", args,
      [=](RmsNormArgs& a) {
        a.x = x->bf16();
        a.residual = residual ? residual->bf16() : nullptr;
        a.weight = weights->f32() + offset;
        a.y = y->bf16();
        a.sum = sum ? sum->bf16() : nullptr;
      },
      launchRmsNorm);
  return {y, residual ? sum : x};
}

Linear decoderLinear(Graph& graph, const std::string& name, int in, int out) {
  return makeLinear(graph, name, in, out, false, Init::KaimingUniform);
}

Tensor* project(Graph& graph, const Decoder& d, const std::string& layer, Tensor* x, int in, int out) {
  return linear(graph, layer, x, decoderLinear(graph, layer, in, out), Activation::None, d.impl, nullptr);
}

// The token embedding; its prepare hook also initialises what no Tensor::Fill covers: the norm
// weights (ones) and the positions (kvLength / 2: the caches start half full).
Tensor* embedTokens(Graph& graph, const Decoder& d) {
  const LlmConfig& c = d.config;
  Param* table = graph.param("embed_tokens.weight", {c.vocab, c.hidden}, Init::Normal002, c.hidden);
  Tensor* x = graph.tensor("embed_tokens.out", {c.batch, c.hidden}, Dtype::Bf16);
  auto args = std::make_shared<GatherRowsArgs>();
  args->rows = c.batch;
  args->cols = c.hidden;
  args->sourceRows = c.vocab;
  args->stride = 0;
  auto startPos = std::make_shared<std::vector<int32_t>>(c.batch, c.kvLength / 2);
  Tensor *ids = d.ids, *pos = d.pos, *weights = d.normWeights;
  Op op;
  op.layer = "embed_tokens";
  op.phase = Phase::Forward;
  op.what = "gather token rows";
  op.impl = "own";
  op.prepare = [args, table, ids, x, pos, weights, startPos](const Context& ctx, Op& self) {
    args->index = ids->i32();
    args->x = table->copy.bf16();
    args->y = x->bf16();
    self.traceRecords = nnCtas(*args);
    GSM_CUDA(fillFloat(weights->f32(), weights->count(), 1.0f, ctx.stream));
    GSM_CUDA(cudaMemcpyAsync(pos->data, startPos->data(), pos->bytes(), cudaMemcpyHostToDevice, ctx.stream));
    GSM_CUDA(cudaStreamSynchronize(ctx.stream));
  };
  op.run = [args](cudaStream_t stream, Interval* trace) { return launchGatherRows(*args, trace, stream); };
  graph.addOp(std::move(op));
  return x;
}

// q, k, v [batch, heads, headDim] of the qkv projection's output: at batch 1 its thirds already are;
// otherwise SplitHeads copies them out.
HeadViews headViews(Graph& graph, const Decoder& d, const std::string& core, Tensor* qkv) {
  const LlmConfig& c = d.config;
  const size_t hidden = static_cast<size_t>(c.hidden);
  if (c.batch == 1) return {{qkv, 0}, {qkv, hidden}, {qkv, 2 * hidden}};
  SplitHeadsArgs split{};
  split.batch = c.batch;
  split.seq = 1;
  split.heads = c.heads;
  split.headDim = d.headDim;
  Tensor *tq = d.q, *tk = d.k, *tv = d.v;
  addNnOp(
      graph, core, Phase::Forward, "split heads", "own", split,
      [=](SplitHeadsArgs& a) {
        a.qkv = qkv->bf16();
        a.bias = nullptr;
        a.q = tq->bf16();
        a.k = tk->bf16();
        a.v = tv->bf16();
      },
      launchSplitHeads);
  return {{tq, 0}, {tk, 0}, {tv, 0}};
}

// Rotary embedding, cache append and attention over the cache for layer `layer`; returns [batch, hidden].
Tensor* attentionCore(Graph& graph, const Decoder& d, const std::string& layer, Tensor* qkv) {
  const LlmConfig& c = d.config;
  const std::string core = layer + ".core";
  const std::vector<int64_t> cacheDims = {c.batch, c.heads, c.kvLength, d.headDim};
  Tensor* kCache = graph.tensor(layer + ".k_cache", cacheDims, Dtype::Bf16, Tensor::Fill::Random);
  Tensor* vCache = graph.tensor(layer + ".v_cache", cacheDims, Dtype::Bf16, Tensor::Fill::Random);

  const HeadViews views = headViews(graph, d, core, qkv);
  const View q = views.q, k = views.k, v = views.v;
  Tensor* pos = d.pos;
  RopeArgs rope{};
  rope.batch = c.batch;
  rope.heads = c.heads;
  rope.headDim = d.headDim;
  addNnOp(
      graph, core, Phase::Forward, "rope", "own", rope,
      [=](RopeArgs& a) {
        a.q = q.ptr();
        a.k = k.ptr();
        a.pos = pos->i32();
      },
      launchRope);
  KvAppendArgs append{};
  append.batch = c.batch;
  append.heads = c.heads;
  append.headDim = d.headDim;
  append.capacity = c.kvLength;
  addNnOp(
      graph, core, Phase::Forward, "kv-cache append", "own", append,
      [=](KvAppendArgs& a) {
        a.k = k.ptr();
        a.v = v.ptr();
        a.kCache = kCache->bf16();
        a.vCache = vCache->bf16();
        a.pos = pos->i32();
      },
      launchKvAppend);
  DecodeAttentionArgs attend{};
  attend.batch = c.batch;
  attend.heads = c.heads;
  attend.headDim = d.headDim;
  attend.capacity = c.kvLength;
  attend.maxLength = c.kvLength;  // the positions live on the device: the split is sized for a full cache
  attend.scale = 1.0f / std::sqrt(static_cast<float>(d.headDim));
  Tensor *out = d.attention, *workspace = d.attentionWorkspace;
  // q k^T and p v over the cache's average fill, 3/4 of kvLength (it grows from half to full).
  const double flops = 4.0 * c.batch * 0.75 * c.kvLength * c.hidden;
  addKernelOp(
      graph, core, Phase::Forward, "decode attention", flops, launchDecodeAttention,
      [=](DecodeAttentionArgs& a) {
        a.q = q.ptr();
        a.kCache = kCache->bf16();
        a.vCache = vCache->bf16();
        a.pos = pos->i32();
        a.o = out->bf16();
        a.workspace = workspace ? workspace->f32() : nullptr;
      },
      attend, d.impl == Impl::Own ? "own" : "own (no library equivalent)");
  return out;
}

// One decoder layer: returns the MLP's output (not yet added to the residual stream, which the next
// norm does) and moves `stream` to the stream after the attention's add.
Tensor* decoderLayer(Graph& graph, const Decoder& d, int i, Tensor* pending, Tensor** stream) {
  const LlmConfig& c = d.config;
  const std::string layer = "layers." + std::to_string(i);
  auto input = pending ? rmsNorm(graph, d, layer + ".input_norm", pending, *stream, 2 * i, true)
                       : rmsNorm(graph, d, layer + ".input_norm", *stream, nullptr, 2 * i, true);
  *stream = input.second;
  Tensor* qkv = project(graph, d, layer + ".attention.qkv", input.first, c.hidden, 3 * c.hidden);
  Tensor* attended = attentionCore(graph, d, layer + ".attention", qkv);
  Tensor* a = project(graph, d, layer + ".attention.output", attended, c.hidden, c.hidden);
  auto post = rmsNorm(graph, d, layer + ".post_attention_norm", a, *stream, 2 * i + 1, true);
  *stream = post.second;
  Tensor* gateUp = project(graph, d, layer + ".mlp.gate_up", post.first, c.hidden, 2 * c.ffn);
  Tensor* act = graph.tensor(layer + ".mlp.act.out", {c.batch, c.ffn}, Dtype::Bf16);
  SiluMulArgs silu{};
  silu.rows = c.batch;
  silu.f = c.ffn;
  addNnOp(
      graph, layer + ".mlp.act", Phase::Forward, "silu(gate) * up", "own", silu,
      [=](SiluMulArgs& a) {
        a.gateUp = gateUp->bf16();
        a.y = act->bf16();
      },
      launchSiluMul);
  return project(graph, d, layer + ".mlp.down", act, c.ffn, c.hidden);
}

}  // namespace

void buildLlmDecode(Graph& graph, const LlmConfig& c, Impl impl) {
  checkConfig(c);
  graph.setInference(true);  // before the first param(): bf16 copies only
  Decoder d{};
  d.config = c;
  d.impl = impl;
  d.headDim = c.hidden / c.heads;
  d.ids = graph.tensor("ids", {c.batch}, Dtype::I32, Tensor::Fill::Ids);
  d.ids->idRange = c.vocab;
  d.pos = graph.tensor("pos", {c.batch}, Dtype::I32, Tensor::Fill::Zero);  // kvLength / 2 at prepare
  d.normWeights = graph.tensor("norm_weights", {2 * c.layers + 1, c.hidden}, Dtype::F32, Tensor::Fill::Zero);
  DecodeAttentionArgs sizing{};
  sizing.batch = c.batch;
  sizing.heads = c.heads;
  sizing.headDim = d.headDim;
  sizing.capacity = c.kvLength;
  sizing.maxLength = c.kvLength;
  const size_t workspaceBytes = nnWorkspaceBytes(sizing);
  d.attentionWorkspace = workspaceBytes ? graph.scratch("attention.workspace", workspaceBytes) : nullptr;
  if (c.batch > 1) {
    d.q = graph.tensor("attention.q", {c.batch, c.heads, d.headDim}, Dtype::Bf16);
    d.k = graph.tensor("attention.k", {c.batch, c.heads, d.headDim}, Dtype::Bf16);
    d.v = graph.tensor("attention.v", {c.batch, c.heads, d.headDim}, Dtype::Bf16);
  }
  d.attention = graph.tensor("attention.out", {c.batch, c.hidden}, Dtype::Bf16);

  Tensor* stream = embedTokens(graph, d);
  Tensor* pending = nullptr;
  for (int i = 0; i < c.layers; ++i) pending = decoderLayer(graph, d, i, pending, &stream);
  Tensor* normed = rmsNorm(graph, d, "norm", pending, stream, 2 * c.layers, false).first;
  Backward none;
  Tensor* logits =
      linearLogits(graph, "lm_head", normed, decoderLinear(graph, "lm_head", c.hidden, c.vocab), impl, &none);

  ArgmaxNextArgs next{};
  next.rows = c.batch;
  next.cols = c.vocab;
  next.capacity = c.kvLength;
  next.restart = c.kvLength / 2;
  Tensor *ids = d.ids, *pos = d.pos;
  addNnOp(
      graph, "sample", Phase::Forward, "argmax next token", "own", next,
      [=](ArgmaxNextArgs& a) {
        a.logits = logits->f32();
        a.ids = ids->i32();
        a.pos = pos->i32();
      },
      launchArgmaxNext);
  graph.setOutput(ids);
}

}  // namespace model
}  // namespace gsm
