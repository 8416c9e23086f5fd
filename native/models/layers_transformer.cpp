// The transformer layers (layers_transformer.h): embeddings, layer norm with a fused residual,
// self-attention (unfused for training, fused or unfused for inference) and the feed-forward block.
#include "models/layers_transformer.h"

#include <cmath>

namespace gsm {
namespace model {
namespace {

int64_t lastDim(const Tensor* t) { return t->dims.back(); }
int64_t rowsOf(const Tensor* t) { return static_cast<int64_t>(t->count()) / lastDim(t); }

// The tensor in `slot`, created on first use (AttentionBuffers).
Tensor* sharedTensor(Graph& graph, Tensor*& slot, const std::string& name, std::vector<int64_t> dims, Dtype dtype) {
  if (slot == nullptr) slot = graph.tensor(name, std::move(dims), dtype);
  return slot;
}

// Scratch for a kernel's workspace; null when it needs none.
Tensor* workspaceOf(Graph& graph, const std::string& name, size_t bytes) {
  return bytes == 0 ? nullptr : graph.scratch(name, bytes);
}
float* f32Of(Tensor* t) { return t == nullptr ? nullptr : t->f32(); }

// dst = src (same size), a device-to-device copy on the step's stream.
void addCopy(Graph& graph, const std::string& layer, Phase phase, const std::string& what, const Tensor* src,
             Tensor* dst) {
  Op op;
  op.layer = layer;
  op.phase = phase;
  op.what = what;
  op.impl = "cudaMemcpy";
  op.run = [src, dst](cudaStream_t stream, Interval*) {
    return cudaMemcpyAsync(dst->data, src->data, dst->bytes(), cudaMemcpyDeviceToDevice, stream);
  };
  graph.addOp(std::move(op));
}

// One product of attention, batched over batch x heads: op(A) [m, k] times op(B) [k, n], every
// matrix of a head packed back to back.
void addHeadGemm(Graph& graph, const std::string& layer, Phase phase, const std::string& what, int m, int n, int k,
                 int matrices, bool transA, bool transB, float alpha, const Tensor* a, const Tensor* b, Tensor* c,
                 Impl impl) {
  GemmShape shape{};
  shape.m = m;
  shape.n = n;
  shape.k = k;
  shape.dtype = GemmDtype::Bf16;
  shape.transA = transA;
  shape.transB = transB;
  shape.out = c->dtype == Dtype::F32 ? GemmOut::Fp32 : GemmOut::Bf16;
  shape.batch = matrices;
  shape.strideA = static_cast<int64_t>(m) * k;
  shape.strideB = static_cast<int64_t>(k) * n;
  shape.strideC = static_cast<int64_t>(m) * n;
  shape.alpha = alpha;
  addGemm(graph, layer, phase, what, shape, a, b, c, impl);
}

[[noreturn]] void fail(const std::string& code, const std::string& message) {
  throw NativeFailure({code, message, "", ""});
}

}  // namespace

Tensor* gradientOf(Tensor* y, const std::string& layer) {
  if (y->grad == nullptr) fail("ERR_NATIVE", layer + ": no gradient reaches " + y->name + " (a model builder bug)");
  return y->grad;
}

Linear bertLinear(Graph& graph, const std::string& name, int in, int out, bool bias) {
  Linear lin;
  lin.in = in;
  lin.out = out;
  lin.weight = graph.param(name + ".weight", {out, in}, Init::Normal002, in);
  if (bias) lin.bias = graph.param(name + ".bias", {out}, Init::Zeros, in);
  return lin;
}

// ---------------------------------------------------------------- layer norm ----

Tensor* layerNorm(Graph& graph, const std::string& layer, Tensor* x, Tensor* residual, Backward* backward) {
  const int rows = static_cast<int>(rowsOf(x)), cols = static_cast<int>(lastDim(x));
  Param* gamma = graph.param(layer + ".weight", {cols}, Init::Ones, cols);
  Param* beta = graph.param(layer + ".bias", {cols}, Init::Zeros, cols);
  const bool train = backward != nullptr;
  Tensor* y = graph.tensor(layer + ".out", x->dims, Dtype::Bf16);
  // Training keeps x + residual and each row's statistics for the backward pass.
  Tensor* sum = train && residual != nullptr ? graph.tensor(layer + ".sum", x->dims, Dtype::Bf16) : nullptr;
  Tensor* mean = train ? graph.tensor(layer + ".mean", {rows}, Dtype::F32) : nullptr;
  Tensor* rstd = train ? graph.tensor(layer + ".rstd", {rows}, Dtype::F32) : nullptr;

  LayerNormForwardArgs fwd{};
  fwd.rows = rows;
  fwd.cols = cols;
  addNnOp(
      graph, layer, Phase::Forward, residual ? "add + layernorm fwd" : "layernorm fwd", "own", fwd,
      [=](LayerNormForwardArgs& a) {
        a.x = x->bf16();
        a.residual = residual ? residual->bf16() : nullptr;
        a.gamma = gamma->master.f32();
        a.beta = beta->master.f32();
        a.y = y->bf16();
        a.sum = sum ? sum->bf16() : nullptr;
        a.saveMean = f32Of(mean);
        a.saveRstd = f32Of(rstd);
      },
      launchLayerNormForward);
  if (!train) return y;

  *backward = [&graph, layer, x, residual, gamma, beta, y, sum, mean, rstd, rows, cols]() {
    Tensor* dy = gradientOf(y, layer);
    Tensor* s = sum ? sum : x;
    LayerNormBackwardArgs bwd{};
    bwd.rows = rows;
    bwd.cols = cols;
    Tensor* workspace = workspaceOf(graph, layer + ".ln_bwd_workspace", nnWorkspaceBytes(bwd));
    // ds is the gradient of x + residual, so of x and of the residual alike: the kernel writes x's;
    // the residual's gets a copy (its first writer) or ds added (it feeds a later layer too).
    bool fresh = false;
    Tensor* ds = graph.gradTarget(x, &fresh);
    addNnOp(
        graph, layer, Phase::Backward, "layernorm bwd", "own", bwd,
        [=](LayerNormBackwardArgs& a) {
          a.dy = dy->bf16();
          a.s = s->bf16();
          a.gamma = gamma->master.f32();
          a.saveMean = mean->f32();
          a.saveRstd = rstd->f32();
          a.ds = ds->bf16();
          a.dgamma = gamma->grad.f32();
          a.dbeta = beta->grad.f32();
          a.workspace = f32Of(workspace);
        },
        launchLayerNormBackward);
    if (fresh) graph.addGradient(x, ds, layer);
    if (residual == nullptr) return;
    if (residual->grad != nullptr || residual->gradWriters > 0) {
      graph.addGradient(residual, ds, layer);
    } else {
      bool later = false;
      Tensor* dr = graph.gradTarget(residual, &later);
      addCopy(graph, layer, Phase::Backward, "residual grad copy", ds, dr);
      if (later) graph.addGradient(residual, dr, layer);
    }
  };
  return y;
}

// ---------------------------------------------------------------- embeddings ----

Tensor* embeddings(Graph& graph, Tensor* ids, const EmbeddingShape& shape, Backward* backward) {
  const std::string layer = "embeddings";
  const int h = shape.hidden;
  Param* word = graph.param(layer + ".word", {shape.vocab, h}, Init::Normal002, h);
  Param* position = graph.param(layer + ".position", {shape.positions, h}, Init::Normal002, h);
  // Two segment rows, as BERT-base has; every synthetic sequence is segment 0 (row 1 is never read).
  Param* tokenType = graph.param(layer + ".token_type", {2, h}, Init::Normal002, h);
  Tensor* sum = graph.tensor(layer + ".sum", {static_cast<int64_t>(shape.batch) * shape.seq, h}, Dtype::Bf16);
  EmbeddingForwardArgs fwd{};
  fwd.batch = shape.batch;
  fwd.seq = shape.seq;
  fwd.hidden = h;
  addNnOp(
      graph, layer, Phase::Forward, "embedding gather fwd", "own", fwd,
      [=](EmbeddingForwardArgs& a) {
        a.ids = ids->i32();
        a.word = word->master.f32();
        a.position = position->master.f32();
        a.tokenType = tokenType->master.f32();
        a.y = sum->bf16();
      },
      launchEmbeddingForward);
  Backward normBackward;
  Tensor* y = layerNorm(graph, layer + ".norm", sum, nullptr, backward ? &normBackward : nullptr);
  if (backward == nullptr) return y;

  *backward = [&graph, layer, shape, ids, word, position, tokenType, sum, normBackward]() {
    normBackward();
    Tensor* dy = gradientOf(sum, layer);
    EmbeddingBackwardArgs bwd{};
    bwd.batch = shape.batch;
    bwd.seq = shape.seq;
    bwd.hidden = shape.hidden;
    bwd.vocab = shape.vocab;
    bwd.positions = shape.positions;
    addNnOp(
        graph, layer, Phase::Backward, "embedding bwd", "own", bwd,
        [=](EmbeddingBackwardArgs& a) {
          a.ids = ids->i32();
          a.dy = dy->bf16();
          a.dword = word->grad.f32();
          a.dposition = position->grad.f32();
          a.dtokenType = tokenType->grad.f32();
        },
        launchEmbeddingBackward);
  };
  return y;
}

// ---------------------------------------------------------------- attention ----

namespace {

// Everything one attention layer's build needs, shared by its forward and backward halves.
struct AttentionLayer {
  std::string prefix, core;
  int batch, seq, heads, headDim, hidden;
  float scale;
  Impl impl;
  Param* qkvBias;
  Tensor *qkv, *q, *k, *v, *probs, *merged;
  AttentionBuffers* buffers;
  std::vector<int64_t> headDims() const { return {batch, heads, seq, headDim}; }
  std::vector<int64_t> scoreDims() const { return {batch, heads, seq, seq}; }
  int matrices() const { return batch * heads; }
};

// The fused QKV projection without its bias (SplitHeads adds the bias while it rearranges into q, k, v).
void projectQkv(Graph& graph, Tensor* x, AttentionLayer* l, Backward* qkvBackward) {
  Linear qkvLinear = bertLinear(graph, l->prefix + ".qkv", l->hidden, 3 * l->hidden, false);
  l->qkvBias = graph.param(l->prefix + ".qkv.bias", {3 * l->hidden}, Init::Zeros, l->hidden);
  l->qkv = linear(graph, l->prefix + ".qkv", x, qkvLinear, Activation::None, l->impl, qkvBackward);
  l->q = graph.tensor(l->prefix + ".q", l->headDims(), Dtype::Bf16);
  l->k = graph.tensor(l->prefix + ".k", l->headDims(), Dtype::Bf16);
  l->v = graph.tensor(l->prefix + ".v", l->headDims(), Dtype::Bf16);
  SplitHeadsArgs split{};
  split.batch = l->batch;
  split.seq = l->seq;
  split.heads = l->heads;
  split.headDim = l->headDim;
  Tensor *qkv = l->qkv, *q = l->q, *k = l->k, *v = l->v;
  Param* bias = l->qkvBias;
  addNnOp(
      graph, l->core, Phase::Forward, "split heads (+qkv bias)", "own", split,
      [=](SplitHeadsArgs& a) {
        a.qkv = qkv->bf16();
        a.bias = bias->master.f32();
        a.q = q->bf16();
        a.k = k->bf16();
        a.v = v->bf16();
      },
      launchSplitHeads);
}

// O [b, h, s, d] -> merged [b s, h d], the output projection's input.
void mergeHeads(Graph& graph, const AttentionLayer& l) {
  MergeHeadsArgs merge{};
  merge.batch = l.batch;
  merge.seq = l.seq;
  merge.heads = l.heads;
  merge.headDim = l.headDim;
  Tensor *context = l.buffers->context, *merged = l.merged;
  addNnOp(
      graph, l.core, Phase::Forward, "merge heads", "own", merge,
      [=](MergeHeadsArgs& a) {
        a.x = context->bf16();
        a.y = merged->bf16();
      },
      launchMergeHeads);
}

// O = softmax(scale Q K^T) V with the score matrix in memory: two batched gemms around the softmax.
void unfusedAttentionForward(Graph& graph, const AttentionLayer& l) {
  Tensor* scores = sharedTensor(graph, l.buffers->scores, "attention.scores", l.scoreDims(), Dtype::F32);
  Tensor* context = sharedTensor(graph, l.buffers->context, "attention.context", l.headDims(), Dtype::Bf16);
  addHeadGemm(graph, l.core, Phase::Forward, "gemm S = scale Q K^T", l.seq, l.seq, l.headDim, l.matrices(), false, true,
              l.scale, l.q, l.k, scores, l.impl);
  Op softmax;
  softmax.layer = l.core;
  softmax.phase = Phase::Forward;
  softmax.what = "softmax";
  softmax.impl = "own";  // untraced: launchMaskedSoftmaxBf16 records no CTAs
  Tensor* probs = l.probs;
  const int matrices = l.matrices(), seq = l.seq;
  softmax.run = [scores, probs, matrices, seq](cudaStream_t stream, Interval*) {
    return launchMaskedSoftmaxBf16(scores->f32(), probs->bf16(), matrices, seq, seq, false, stream);
  };
  graph.addOp(std::move(softmax));
  addHeadGemm(graph, l.core, Phase::Forward, "gemm O = P V", l.seq, l.headDim, l.seq, l.matrices(), false, false, 1.0f,
              l.probs, l.v, context, l.impl);
}

// The project's fused attention kernel (inference, own impl): configured at prepare, traced per CTA.
// It stores O with the heads merged ([tokens, hidden]), the output projection's input: no merge op.
void fusedAttentionForward(Graph& graph, const AttentionLayer& l) {
  Tensor* merged = l.merged;
  auto args = std::make_shared<AttentionArgs>();
  args->batch = l.batch;
  args->heads = l.heads;
  args->seq = l.seq;
  args->headDim = l.headDim;
  args->causal = false;
  args->scale = l.scale;
  args->oMerged = true;
  Tensor *q = l.q, *k = l.k, *v = l.v;
  Op op;
  op.layer = l.core;
  op.phase = Phase::Forward;
  op.what = "fused attention fwd (+merge heads)";
  op.impl = "own";
  op.flops = 4.0 * l.batch * l.heads * static_cast<double>(l.seq) * l.seq * l.headDim;
  op.prepare = [args, q, k, v, merged](const Context& ctx, Op& self) {
    args->q = q->bf16();
    args->k = k->bf16();
    args->v = v->bf16();
    args->o = merged->bf16();
    args->sm90a = ctx.sm90a;
    GSM_CUDA(configureAttention(*args));
    self.traceRecords = attentionCtaCount(*args);
  };
  op.run = [args](cudaStream_t stream, Interval* trace) { return launchAttentionBf16(*args, trace, stream); };
  graph.addOp(std::move(op));
}

// The backward pass of the core (from dMerged to dqkv), unfused: batched gemms and the softmax backward.
void attentionCoreBackward(Graph& graph, const AttentionLayer& l) {
  AttentionBuffers* b = l.buffers;
  Tensor* dMerged = gradientOf(l.merged, l.core);
  Tensor* dContext = sharedTensor(graph, b->dContext, "attention.dcontext", l.headDims(), Dtype::Bf16);
  Tensor* dq = sharedTensor(graph, b->dq, "attention.dq", l.headDims(), Dtype::Bf16);
  Tensor* dk = sharedTensor(graph, b->dk, "attention.dk", l.headDims(), Dtype::Bf16);
  Tensor* dv = sharedTensor(graph, b->dv, "attention.dv", l.headDims(), Dtype::Bf16);
  Tensor* dScores = sharedTensor(graph, b->dScores, "attention.dscores", l.scoreDims(), Dtype::Bf16);
  Tensor* dProbs = b->scores;  // S is dead by now: its fp32 buffer holds dP

  MergeHeadsArgs merge{};
  merge.batch = l.batch;
  merge.seq = l.seq;
  merge.heads = l.heads;
  merge.headDim = l.headDim;
  merge.backward = true;
  addNnOp(
      graph, l.core, Phase::Backward, "merge heads bwd", "own", merge,
      [=](MergeHeadsArgs& a) {
        a.x = dMerged->bf16();
        a.y = dContext->bf16();
      },
      launchMergeHeads);
  const int s = l.seq, d = l.headDim, n = l.matrices();
  addHeadGemm(graph, l.core, Phase::Backward, "gemm dV = P^T dO", s, d, s, n, true, false, 1.0f, l.probs, dContext, dv,
              l.impl);
  addHeadGemm(graph, l.core, Phase::Backward, "gemm dP = dO V^T", s, s, d, n, false, true, 1.0f, dContext, l.v, dProbs,
              l.impl);
  SoftmaxBackwardArgs soft{};
  soft.rows = n * s;
  soft.cols = s;
  soft.scale = l.scale;  // dS is the gradient of Q K^T: the scale of S = scale Q K^T folded in
  Tensor* probs = l.probs;
  addNnOp(
      graph, l.core, Phase::Backward, "softmax bwd", "own", soft,
      [=](SoftmaxBackwardArgs& a) {
        a.p = probs->bf16();
        a.dp = dProbs->f32();
        a.ds = dScores->bf16();
      },
      launchSoftmaxBackward);
  addHeadGemm(graph, l.core, Phase::Backward, "gemm dQ = dS K", s, d, s, n, false, false, 1.0f, dScores, l.k, dq,
              l.impl);
  addHeadGemm(graph, l.core, Phase::Backward, "gemm dK = dS^T Q", s, d, s, n, true, false, 1.0f, dScores, l.q, dk,
              l.impl);

  SplitHeadsBackwardArgs split{};
  split.batch = l.batch;
  split.seq = l.seq;
  split.heads = l.heads;
  split.headDim = l.headDim;
  static float sizingOnly;  // the workspace depends on whether there is a dbias, not where (null until prepare)
  split.dbias = l.qkvBias != nullptr ? &sizingOnly : nullptr;
  Tensor* workspace = workspaceOf(graph, l.core + ".split_bwd_workspace", nnWorkspaceBytes(split));
  bool fresh = false;
  Tensor* dqkv = graph.gradTarget(l.qkv, &fresh);
  Param* bias = l.qkvBias;
  addNnOp(
      graph, l.core, Phase::Backward, "split heads bwd (+qkv dbias)", "own", split,
      [=](SplitHeadsBackwardArgs& a) {
        a.dq = dq->bf16();
        a.dk = dk->bf16();
        a.dv = dv->bf16();
        a.dqkv = dqkv->bf16();
        a.dbias = bias != nullptr ? bias->grad.f32() : nullptr;
        a.workspace = f32Of(workspace);
      },
      launchSplitHeadsBackward);
  if (fresh) graph.addGradient(l.qkv, dqkv, l.core);
}

}  // namespace

Tensor* selfAttention(Graph& graph, const std::string& prefix, Tensor* x, const AttentionShape& shape, Impl impl,
                      AttentionBuffers* buffers, Backward* backward) {
  const int hidden = static_cast<int>(lastDim(x));
  if (shape.heads <= 0 || hidden % shape.heads != 0) {
    fail("ERR_ARGS",
         prefix + ": hidden " + std::to_string(hidden) + " is not a multiple of heads " + std::to_string(shape.heads));
  }
  const bool train = backward != nullptr;
  AttentionLayer l{};
  l.prefix = prefix;
  l.core = prefix + ".core";
  l.batch = shape.batch;
  l.seq = shape.seq;
  l.heads = shape.heads;
  l.headDim = hidden / shape.heads;
  l.hidden = hidden;
  l.scale = 1.0f / std::sqrt(static_cast<float>(l.headDim));
  l.impl = impl;
  l.buffers = buffers;

  Backward qkvBackward;
  projectQkv(graph, x, &l, train ? &qkvBackward : nullptr);

  // Inference on the own impl: the fused kernel (head dims 64 and 128; other head dims take the
  // unfused path on the own gemm, as the op labels show). Training keeps P per layer (the backward
  // pass reads it); unfused inference shares one.
  const bool fused = !train && impl == Impl::Own && attentionSupportsHeadDim(l.headDim);
  l.merged = graph.tensor(prefix + ".merged", {static_cast<int64_t>(l.batch) * l.seq, hidden}, Dtype::Bf16);
  if (fused) {
    fusedAttentionForward(graph, l);
  } else {
    l.probs = train ? graph.tensor(prefix + ".probs", l.scoreDims(), Dtype::Bf16)
                    : sharedTensor(graph, buffers->probs, "attention.probs", l.scoreDims(), Dtype::Bf16);
    unfusedAttentionForward(graph, l);
    mergeHeads(graph, l);
  }

  Linear outLinear = bertLinear(graph, prefix + ".output", hidden, hidden, true);
  Backward outBackward;
  Tensor* y =
      linear(graph, prefix + ".output", l.merged, outLinear, Activation::None, impl, train ? &outBackward : nullptr);
  if (!train) return y;

  *backward = [&graph, l, outBackward, qkvBackward]() {
    outBackward();
    attentionCoreBackward(graph, l);
    qkvBackward();
  };
  return y;
}

// ---------------------------------------------------------------- feed-forward ----

Tensor* feedForward(Graph& graph, const std::string& prefix, Tensor* x, int ffn, Impl impl, Backward* backward) {
  const int hidden = static_cast<int>(lastDim(x));
  Backward upBackward, downBackward;
  const bool train = backward != nullptr;
  Tensor* up = linear(graph, prefix + ".up", x, bertLinear(graph, prefix + ".up", hidden, ffn, true), Activation::Gelu,
                      impl, train ? &upBackward : nullptr);
  Tensor* down = linear(graph, prefix + ".down", up, bertLinear(graph, prefix + ".down", ffn, hidden, true),
                        Activation::None, impl, train ? &downBackward : nullptr);
  if (backward != nullptr) {
    *backward = [upBackward, downBackward]() {
      downBackward();
      upBackward();
    };
  }
  return down;
}

}  // namespace model
}  // namespace gsm
