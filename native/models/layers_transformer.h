// The transformer layers of the model builders (bert.cpp, llm_decode.cpp): BERT's embeddings, layer
// norm with the residual add fused in, self-attention and the GELU feed-forward, plus the helper that
// turns one of the project's nn kernels (kernels/nn.h) into an op. Like layers.h, each layer adds its
// forward ops now and, when `backward` is not null (training), sets it to a closure that adds the
// backward ops; a null `backward` builds the inference form (nothing kept for a backward pass).
//
// Op labels: every op carries its layer ("encoder.3.attention.qkv", "encoder.3.attention.core",
// "encoder.3.ffn.up", ...), its phase and what ran it ("own" for the project's nn kernels; the gemm
// ops say their path, see layers.h addGemm).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include "core/errors.h"
#include "kernels/nn.h"
#include "models/layers.h"

namespace gsm {
namespace model {

// addKernelOp (layers.h) with the build-time fields of the arguments and the impl label up front, in
// the order the transformer builders read best.
template <class Args, class Bind>
void addNnOp(Graph& graph, const std::string& layer, Phase phase, const std::string& what, const std::string& impl,
             const Args& args, Bind bind, cudaError_t (*launch)(const Args&, Interval*, cudaStream_t)) {
  addKernelOp(graph, layer, phase, what, 0, launch, bind, args, impl);
}

// The gradient a backward op reads: y's, which the backward pass of y's consumers wrote. Throws
// NativeFailure (ERR_NATIVE, a builder bug) when no gradient reaches y.
Tensor* gradientOf(Tensor* y, const std::string& layer);

// A linear layer as BERT declares it: weight [out, in] N(0, 0.02), bias [out] zeros (HuggingFace's
// init), named `name`.weight and `name`.bias.
Linear bertLinear(Graph& graph, const std::string& name, int in, int out, bool bias);

// y = LayerNorm(x + residual) over the last dim (residual null: LayerNorm(x)); gamma ones, beta zeros,
// named `layer`.weight and `layer`.bias. The backward pass writes the gradient of the sum into both
// x's and the residual's gradients.
Tensor* layerNorm(Graph& graph, const std::string& layer, Tensor* x, Tensor* residual, Backward* backward);

// BERT's embeddings: word [vocab, hidden] + position [positions, hidden] + token type (one row: every
// token of the synthetic input has type 0) tables, fp32, N(0, 0.02), then LayerNorm ("embeddings.norm").
// ids [batch, seq] int32; returns [batch seq, hidden] bf16.
struct EmbeddingShape {
  int batch, seq, hidden, vocab, positions;
};
Tensor* embeddings(Graph& graph, Tensor* ids, const EmbeddingShape& shape, Backward* backward);

// Self-attention without a mask (BERT's, on unpadded synthetic sequences): x [batch seq, hidden] ->
// the output projection's y [batch seq, hidden] (the residual add belongs to the following layerNorm).
//   `prefix`.qkv     one fused projection, weight [3 hidden, hidden]; its bias is added by SplitHeads
//   `prefix`.core    SplitHeads -> q, k, v [batch, heads, seq, headDim], attention, MergeHeads
//   `prefix`.output  the output projection
// Attention in training (either impl): S = scale Q K^T (batched gemm, fp32), P = softmax(S) (bf16,
// kept for the backward pass), O = P V; its backward is unfused too (dV = P^T dO, dP = dO V^T,
// dS = SoftmaxBackward, dQ = dS K, dK = dS^T Q). In inference the own impl runs the project's fused
// attention kernel; the library impl runs the same unfused gemm sequence through cuBLASLt (cuDNN's fused
// attention is a workload of its own, workload_attention_cudnn.cpp, but is not wired into model graphs).
struct AttentionShape {
  int batch, seq, heads;
};
// Transient tensors every attention layer of a graph shares (scores, the attention output before
// MergeHeads, the backward pass's per-head gradients): created by the first layer, reused by the rest,
// since one layer's are dead before the next layer's op runs. One per graph, owned by the builder.
struct AttentionBuffers {
  Tensor* scores = nullptr;    // fp32 [b, h, s, s]: S in the forward pass, dP in the backward pass
  Tensor* probs = nullptr;     // bf16 [b, h, s, s]: P in inference (training keeps one per layer)
  Tensor* context = nullptr;   // bf16 [b, h, s, d]: O
  Tensor* dContext = nullptr;  // bf16 [b, h, s, d]: dO
  Tensor* dScores = nullptr;   // bf16 [b, h, s, s]: dS
  Tensor* dq = nullptr;        // bf16 [b, h, s, d] each
  Tensor* dk = nullptr;
  Tensor* dv = nullptr;
};
Tensor* selfAttention(Graph& graph, const std::string& prefix, Tensor* x, const AttentionShape& shape, Impl impl,
                      AttentionBuffers* buffers, Backward* backward);

// BERT's feed-forward: `prefix`.up Linear(hidden, ffn) + GELU, then `prefix`.down Linear(ffn, hidden).
Tensor* feedForward(Graph& graph, const std::string& prefix, Tensor* x, int ffn, Impl impl, Backward* backward);

}  // namespace model
}  // namespace gsm
