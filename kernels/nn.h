// The C++ launch API of the project's neural-network kernels: what a training step or an inference
// pass needs besides gemm, conv and attention (kernels/launch.h). The model workloads
// (native/models/) chain them; test/native/nn_check.cu checks each against a float64 reference.
//
// Conventions, for every function here:
// - Activations are bf16 (uint16_t bit patterns), statistics, parameters, gradients of parameters and
//   the optimizer state fp32; arithmetic is fp32. CNN tensors are NHWC, seen as [rows = n h w, c];
//   transformer tensors are [rows = tokens, cols].
// - Every launch records one Interval per CTA into `trace` when it is not null (kernels/trace.cuh,
//   CtaTrace), and `nnCtas(args)` says how many: a grid that depends only on the arguments, so the
//   model can give each launch its slice of the trace buffer before the step runs.
// - Every function returns the launch's cudaError_t (cudaGetLastError after the last launch) and
//   never throws. A function that launches two kernels (a reduction and its finish) records the
//   CTAs of both, in launch order, and nnCtas counts both.
// - Parameter gradients are written, not accumulated (each step computes them afresh), unless the
//   field says otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_runtime_api.h>
#include "launch.h"

namespace gsm {

// ---------------------------------------------------------------- CNN (NHWC) ----

// Batch norm, training: per-channel mean and biased variance over the rows, then
// y = act(gamma (x - mean) invstd + beta + residual) with invstd = 1 / sqrt(var + eps), act = ReLU
// when relu, residual added when not null (the bottleneck's last norm). Saves mean and invstd for
// the backward pass and updates the running statistics as PyTorch does:
// running = (1 - momentum) running + momentum batch (the running variance takes the unbiased one).
struct BatchNormForwardArgs {
  int rows, channels;
  const uint16_t* x;
  const uint16_t* residual;  // null: none
  const float* gamma;
  const float* beta;
  uint16_t* y;
  float* saveMean;    // [channels]
  float* saveInvStd;  // [channels]
  float* runningMean;
  float* runningVar;
  float eps = 1e-5f, momentum = 0.1f;
  bool relu = false;
  float* workspace;  // nnWorkspaceBytes(args) bytes (partial sums)
};
// Inference: the running statistics instead of the batch's; nothing saved.
struct BatchNormInferenceArgs {
  int rows, channels;
  const uint16_t* x;
  const uint16_t* residual;  // null: none
  const float* gamma;
  const float* beta;
  const float* runningMean;
  const float* runningVar;
  uint16_t* y;
  float eps = 1e-5f;
  bool relu = false;
};
// Backward of the normalisation only (ReLU and residual are undone by reluBackward and add):
// dgamma = sum(dy xhat), dbeta = sum(dy), dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)).
struct BatchNormBackwardArgs {
  int rows, channels;
  const uint16_t* dy;
  const uint16_t* x;
  const float* gamma;
  const float* saveMean;
  const float* saveInvStd;
  uint16_t* dx;
  float* dgamma;
  float* dbeta;
  float* workspace;  // nnWorkspaceBytes(args) bytes
};
// dx = dy where y > 0, else 0 (y: the ReLU's output). count elements. dx may alias dy.
struct ReluBackwardArgs {
  size_t count;
  const uint16_t* dy;
  const uint16_t* y;
  uint16_t* dx;
};
// Max pooling, window r x s, stride, pad (padding never wins): y [n, p, q, c]; argmax [n, p, q, c]
// holds the winning window position (0 .. r s - 1) for the backward pass (null in inference).
struct MaxPoolForwardArgs {
  int n, h, w, c, r, s, stride, pad, p, q;
  const uint16_t* x;
  uint16_t* y;
  uint8_t* argmax;
};
// dx [n, h, w, c] = the sum of dy over the windows whose maximum the element was (written, not added).
struct MaxPoolBackwardArgs {
  int n, h, w, c, r, s, stride, pad, p, q;
  const uint16_t* dy;
  const uint8_t* argmax;
  uint16_t* dx;
};
// Global average pooling: y [n, c] = mean over h w of x [n, h w, c]; backward dx = dy / (h w) broadcast.
struct AvgPoolForwardArgs {
  int n, pixels, c;
  const uint16_t* x;
  uint16_t* y;
};
struct AvgPoolBackwardArgs {
  int n, pixels, c;
  const uint16_t* dy;
  uint16_t* dx;
};

// ------------------------------------------------------------ elementwise ----

// c = a + b (bf16), count elements; c may alias a or b.
struct AddArgs {
  size_t count;
  const uint16_t* a;
  const uint16_t* b;
  uint16_t* c;
};
// y[row, col] = x[row, col] + bias[col] (in place allowed), then act (launch.h's Activation).
// preact, when not null, receives x + bias (what the backward needs).
struct BiasActivationArgs {
  int rows, cols;
  const uint16_t* x;
  const float* bias;  // null: no bias
  uint16_t* y;
  uint16_t* preact;   // null: not kept
  Activation act = Activation::None;
};
// dx = dy act'(preact) (bf16), and dbias[col] = sum over rows of dx (written) when dbias is not null.
struct BiasActivationBackwardArgs {
  int rows, cols;
  const uint16_t* dy;
  const uint16_t* preact;  // act None: unused (may be null)
  uint16_t* dx;            // may alias dy
  float* dbias;            // null: none
  Activation act = Activation::None;
  float* workspace;        // nnWorkspaceBytes(args) bytes
};
// fp32 -> bf16 (round to nearest even), count elements.
struct CastArgs {
  size_t count;
  const float* x;
  uint16_t* y;
};

// ------------------------------------------------------------ losses ----

// Softmax cross-entropy over `classes` logits per row (fp32 logits, e.g. a gemm's fp32 output):
// loss[0] = mean over rows of -log softmax(logits)[label]; dlogits = (softmax - onehot) / rows, bf16.
struct SoftmaxCrossEntropyArgs {
  int rows, classes;
  const float* logits;
  const int32_t* labels;
  float* loss;         // one fp32 (written)
  uint16_t* dlogits;   // null: forward only
  float* workspace;    // nnWorkspaceBytes(args) bytes
};

// ------------------------------------------------------------ optimizers ----
// Over one flat fp32 parameter buffer (every tensor of the model back to back), in one launch:
// params, grads and state are `count` floats; paramsBf16, when not null, receives the updated
// parameters rounded to bf16 (the copies the gemm and conv kernels read).

// SGD with momentum and weight decay (PyTorch's): g' = g + wd p; v = momentum v + g'; p -= lr v.
struct SgdArgs {
  size_t count;
  float* params;
  const float* grads;
  float* velocity;
  uint16_t* paramsBf16;
  float lr, momentum, weightDecay;
};
// AdamW (PyTorch's): p -= lr wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), with t the 1-based step.
struct AdamWArgs {
  size_t count;
  float* params;
  const float* grads;
  float* m;
  float* v;
  uint16_t* paramsBf16;
  float lr, beta1, beta2, eps, weightDecay;
  int step;
};

// ------------------------------------------------------------ transformer ----

// Layer norm over cols per row, with the residual add fused in: s = x + residual (when residual is
// not null; s may alias x), y = gamma (s - mean) rstd + beta. Saves mean and rstd per row (null in
// inference) and s (when sum is not null and residual is given: the backward pass needs it).
struct LayerNormForwardArgs {
  int rows, cols;
  const uint16_t* x;
  const uint16_t* residual;
  const float* gamma;
  const float* beta;
  uint16_t* y;
  uint16_t* sum;   // s, when a residual is added (null: not kept)
  float* saveMean;
  float* saveRstd;
  float eps = 1e-12f;  // BERT's
};
// ds = rstd (gamma dy - mean(gamma dy) - shat mean(gamma dy shat)); dgamma, dbeta over rows (written).
struct LayerNormBackwardArgs {
  int rows, cols;
  const uint16_t* dy;
  const uint16_t* s;  // the normalised input (x + residual)
  const float* gamma;
  const float* saveMean;
  const float* saveRstd;
  uint16_t* ds;
  float* dgamma;
  float* dbeta;
  float* workspace;  // nnWorkspaceBytes(args) bytes
};
// RMS norm (LLaMA-style decoders, inference): y = weight x / sqrt(mean(x^2) + eps), with the residual add
// fused as in LayerNorm (sum receives x + residual when both are given).
struct RmsNormArgs {
  int rows, cols;
  const uint16_t* x;
  const uint16_t* residual;
  const float* weight;
  uint16_t* y;
  uint16_t* sum;
  float eps = 1e-5f;
};
// BERT embeddings: y[b s, :] = word[ids[b s]] + position[s] + tokenType[0] (fp32 tables, bf16 out).
struct EmbeddingForwardArgs {
  int batch, seq, hidden;
  const int32_t* ids;
  const float* word;
  const float* position;
  const float* tokenType;  // null: none
  uint16_t* y;
};
// Gradients of the three tables (written: zeroed then accumulated, atomically for the word table).
struct EmbeddingBackwardArgs {
  int batch, seq, hidden, vocab, positions;
  const int32_t* ids;
  const uint16_t* dy;
  float* dword;       // [vocab, hidden]
  float* dposition;   // [positions, hidden]
  float* dtokenType;  // [1, hidden] or null
};
// [tokens = b s, 3 heads d] (one fused QKV projection, bias added here when not null) to q, k, v each
// [b, heads, s, d]; the backward maps dq, dk, dv back to [b s, 3 heads d] and sums dbias (written).
struct SplitHeadsArgs {
  int batch, seq, heads, headDim;
  const uint16_t* qkv;
  const float* bias;  // [3 heads d] or null
  uint16_t* q;
  uint16_t* k;
  uint16_t* v;
};
struct SplitHeadsBackwardArgs {
  int batch, seq, heads, headDim;
  const uint16_t* dq;
  const uint16_t* dk;
  const uint16_t* dv;
  uint16_t* dqkv;
  float* dbias;      // [3 heads d] or null
  float* workspace;  // nnWorkspaceBytes(args) bytes
};
// [b, heads, s, d] <-> [b s, heads d] (attention output before the output projection, and its gradient).
struct MergeHeadsArgs {
  int batch, seq, heads, headDim;
  const uint16_t* x;
  uint16_t* y;
  bool backward = false;  // false: [b, h, s, d] -> [b s, h d]; true: the reverse
};
// Softmax backward of attention probabilities, rows of `cols`: dS = scale P (dP - sum(dP P)), with
// P bf16 (the forward's launchMaskedSoftmaxBf16 output), dP fp32 (a gemm's output), dS bf16.
struct SoftmaxBackwardArgs {
  int rows, cols;
  const uint16_t* p;
  const float* dp;
  uint16_t* ds;
  float scale;
};
// Rows of x [rows, cols] gathered by index (the [CLS] token of each sequence: index b seq), and the
// scatter of their gradient back (dx zeroed, then the rows written).
struct GatherRowsArgs {
  int rows, cols, sourceRows;
  const int32_t* index;  // null: row i is source row i * stride
  int stride;
  const uint16_t* x;
  uint16_t* y;
  bool backward = false;  // true: x is dy [rows, cols], y is dx [sourceRows, cols]
};

// ------------------------------------------------------------ decoding ----

// Rotary position embedding (LLaMA's rotate-half form, base 10000) in place on q and k [b, heads, d]
// at each sequence's position pos[b].
struct RopeArgs {
  int batch, heads, headDim;
  uint16_t* q;
  uint16_t* k;
  const int32_t* pos;
  float base = 10000.0f;
};
// Appends k, v [b, heads, d] to the caches [b, heads, capacity, d] at position pos[b].
struct KvAppendArgs {
  int batch, heads, headDim, capacity;
  const uint16_t* k;
  const uint16_t* v;
  uint16_t* kCache;
  uint16_t* vCache;
  const int32_t* pos;
};
// One query per sequence and head against the first pos[b] + 1 cached positions (the new token
// included): o = softmax(q K^T scale) V, split over the cache in chunks (flash-decoding) and combined.
struct DecodeAttentionArgs {
  int batch, heads, headDim, capacity;
  const uint16_t* q;  // [b, heads, d]
  const uint16_t* kCache;
  const uint16_t* vCache;
  const int32_t* pos;
  int maxLength;  // the longest pos[b] + 1 of the launch (sizes the split)
  uint16_t* o;    // [b, heads, d]
  float scale;
  float* workspace;  // nnWorkspaceBytes(args) bytes
};
// y [rows, f] = silu(gateUp[:, :f]) * gateUp[:, f:] (the SwiGLU MLP's gate and up projections fused).
struct SiluMulArgs {
  int rows, f;
  const uint16_t* gateUp;
  uint16_t* y;
};
// Greedy next token: ids[row] = argmax over cols of logits[row] (fp32), and pos[row] advanced by one,
// wrapping to `restart` once it reaches `capacity` (a decode loop that runs forever at bounded length).
struct ArgmaxNextArgs {
  int rows, cols;
  const float* logits;
  int32_t* ids;
  int32_t* pos;
  int capacity, restart;
};

// ------------------------------------------------------------ launches ----

#define GSM_NN_KERNEL(Args, name) \
  int nnCtas(const Args& args);   \
  cudaError_t name(const Args& args, Interval* trace, cudaStream_t stream);

GSM_NN_KERNEL(BatchNormForwardArgs, launchBatchNormForward)
GSM_NN_KERNEL(BatchNormInferenceArgs, launchBatchNormInference)
GSM_NN_KERNEL(BatchNormBackwardArgs, launchBatchNormBackward)
GSM_NN_KERNEL(ReluBackwardArgs, launchReluBackward)
GSM_NN_KERNEL(MaxPoolForwardArgs, launchMaxPoolForward)
GSM_NN_KERNEL(MaxPoolBackwardArgs, launchMaxPoolBackward)
GSM_NN_KERNEL(AvgPoolForwardArgs, launchAvgPoolForward)
GSM_NN_KERNEL(AvgPoolBackwardArgs, launchAvgPoolBackward)
GSM_NN_KERNEL(AddArgs, launchAdd)
GSM_NN_KERNEL(BiasActivationArgs, launchBiasActivation)
GSM_NN_KERNEL(BiasActivationBackwardArgs, launchBiasActivationBackward)
GSM_NN_KERNEL(CastArgs, launchCast)
GSM_NN_KERNEL(SoftmaxCrossEntropyArgs, launchSoftmaxCrossEntropy)
GSM_NN_KERNEL(SgdArgs, launchSgd)
GSM_NN_KERNEL(AdamWArgs, launchAdamW)
GSM_NN_KERNEL(LayerNormForwardArgs, launchLayerNormForward)
GSM_NN_KERNEL(LayerNormBackwardArgs, launchLayerNormBackward)
GSM_NN_KERNEL(RmsNormArgs, launchRmsNorm)
GSM_NN_KERNEL(EmbeddingForwardArgs, launchEmbeddingForward)
GSM_NN_KERNEL(EmbeddingBackwardArgs, launchEmbeddingBackward)
GSM_NN_KERNEL(SplitHeadsArgs, launchSplitHeads)
GSM_NN_KERNEL(SplitHeadsBackwardArgs, launchSplitHeadsBackward)
GSM_NN_KERNEL(MergeHeadsArgs, launchMergeHeads)
GSM_NN_KERNEL(SoftmaxBackwardArgs, launchSoftmaxBackward)
GSM_NN_KERNEL(GatherRowsArgs, launchGatherRows)
GSM_NN_KERNEL(RopeArgs, launchRope)
GSM_NN_KERNEL(KvAppendArgs, launchKvAppend)
GSM_NN_KERNEL(DecodeAttentionArgs, launchDecodeAttention)
GSM_NN_KERNEL(SiluMulArgs, launchSiluMul)
GSM_NN_KERNEL(ArgmaxNextArgs, launchArgmaxNext)

#undef GSM_NN_KERNEL

// Scratch bytes a launch needs (0 when none): reductions across CTAs keep their partial sums there.
size_t nnWorkspaceBytes(const BatchNormForwardArgs& args);
size_t nnWorkspaceBytes(const BatchNormBackwardArgs& args);
size_t nnWorkspaceBytes(const BiasActivationBackwardArgs& args);
size_t nnWorkspaceBytes(const SoftmaxCrossEntropyArgs& args);
size_t nnWorkspaceBytes(const LayerNormBackwardArgs& args);
size_t nnWorkspaceBytes(const SplitHeadsBackwardArgs& args);
size_t nnWorkspaceBytes(const DecodeAttentionArgs& args);

}  // namespace gsm
