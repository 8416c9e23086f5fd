// The tensors of one attention problem, shared by the attention workloads (the project's fused
// kernel, cuDNN's fused attention, cuBLAS GEMMs around a softmax): shape [batch, heads, seq,
// headDim, causal], Q, K, V bf16 [batch, heads, seq, headDim] with fresh uniform values in [-1, 1),
// O bf16 of the same shape poisoned with NaN; softmax scale 1/sqrt(headDim). The constructor
// checks the shape (workloads/extent.h): each tensor at most kMaxTensorElements, batch x heads (the
// kernels' grid) below 2^31.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>
#include "kernels/launch.h"
#include "core/errors.h"
#include "workloads/extent.h"
#include "workloads/workload.h"

namespace gsm {

class AttentionProblem {
 public:
  explicit AttentionProblem(const WorkloadSpec& spec) : seed_(spec.seed) {
    if (spec.shape.size() != 5) {
      throw NativeFailure({"ERR_ARGS", "attention needs shape [batch, heads, seq, headDim, causal]", "", ""});
    }
    if (spec.dtype != "bf16")
      throw NativeFailure({"ERR_ARGS", "attention supports dtype bf16 only, got " + spec.dtype, "", ""});
    const auto& d = spec.shape;  // each in [0, 2^31): the binding checked
    if (d[0] < 1 || d[1] < 1 || d[2] < 1 || d[3] < 1 || (d[4] != 0 && d[4] != 1)) {
      throw NativeFailure({"ERR_ARGS", "attention sizes must be positive and causal 0 or 1", "", ""});
    }
    count_ = boundedProduct({d[0], d[1], d[2], d[3]}, kMaxTensorElements,
                            "attention Q, K, V and O [batch, heads, seq, headDim]");
    boundedProduct({d[0], d[1]}, kMaxIndex, "attention batch x heads");
    args_.batch = static_cast<int>(d[0]);
    args_.heads = static_cast<int>(d[1]);
    args_.seq = static_cast<int>(d[2]);
    args_.headDim = static_cast<int>(d[3]);
    args_.causal = d[4] == 1;
    args_.scale = 1.0f / std::sqrt(static_cast<float>(args_.headDim));
    args_.variant = spec.variant;  // makeWorkload checked it against attentionVariantCount()
  }

  void allocate(cudaStream_t stream) {
    const size_t n = count();
    GSM_CUDA(cudaMalloc(&q_, n * 2));
    GSM_CUDA(cudaMalloc(&k_, n * 2));
    GSM_CUDA(cudaMalloc(&v_, n * 2));
    GSM_CUDA(cudaMalloc(&o_, n * 2));
    GSM_CUDA(fillRandomBf16(q_, n, seed_, stream));
    GSM_CUDA(fillRandomBf16(k_, n, seed_ ^ 0x5bd1e995ull, stream));
    GSM_CUDA(fillRandomBf16(v_, n, seed_ ^ 0x27d4eb2f165667c5ull, stream));
    poison(stream);
    args_.q = q_;
    args_.k = k_;
    args_.v = v_;
    args_.o = o_;
  }
  void poison(cudaStream_t stream) { GSM_CUDA(cudaMemsetAsync(o_, 0xff, count() * 2, stream)); }  // bf16 NaN
  void release() noexcept {
    freeDevice(q_);
    freeDevice(k_);
    freeDevice(v_);
    freeDevice(o_);
  }

  const AttentionArgs& args() const { return args_; }
  void useSm90a(bool available) { args_.sm90a = available; }
  size_t count() const { return count_; }
  // 4 b h s^2 d: two GEMMs of 2 b h s^2 d each; causal does half of it.
  double flops() const {
    const double full = 4.0 * args_.batch * args_.heads * static_cast<double>(args_.seq) * args_.seq * args_.headDim;
    return args_.causal ? full / 2 : full;
  }
  double bytes() const { return 4.0 * 2.0 * static_cast<double>(count()); }  // Q, K, V read, O written

  std::vector<HostTensor> read(cudaStream_t stream) const {
    GSM_CUDA(cudaStreamSynchronize(stream));
    const std::vector<int64_t> dims{args_.batch, args_.heads, args_.seq, args_.headDim};
    return {bf16Tensor("q", q_, dims), bf16Tensor("k", k_, dims), bf16Tensor("v", v_, dims), bf16Tensor("o", o_, dims)};
  }

 private:
  uint64_t seed_;
  size_t count_ = 0;
  AttentionArgs args_{};
  uint16_t* q_ = nullptr;
  uint16_t* k_ = nullptr;
  uint16_t* v_ = nullptr;
  uint16_t* o_ = nullptr;
};

}  // namespace gsm
