// The tensors of one convolution problem, shared by the conv workloads (the project's kernel and
// cuDNN): shape [n, c, h, w, k, r, s, stride, pad], x [n, h, w, c] and w [k, r, s, c] bf16 filled
// with fresh uniform values in [-1, 1), y [n, p, q, k] bf16 poisoned with NaN before each run.
// The constructor checks the shape (workloads/extent.h): each tensor at most kMaxTensorElements, and
// what the kernel indexes with 32-bit integers (n h w input pixels, n p q output pixels, r s c, the
// padded input) below 2^31.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include "kernels/launch.h"
#include "core/errors.h"
#include "workloads/extent.h"
#include "workloads/workload.h"

namespace gsm {

class ConvProblem {
 public:
  explicit ConvProblem(const WorkloadSpec& spec) : seed_(spec.seed) {
    if (spec.shape.size() != 9)
      throw NativeFailure({"ERR_ARGS", "conv needs shape [n, c, h, w, k, r, s, stride, pad]", "", ""});
    if (spec.dtype != "bf16")
      throw NativeFailure({"ERR_ARGS", "conv supports dtype bf16 only, got " + spec.dtype, "", ""});
    const auto& d = spec.shape;  // each in [0, 2^31): the binding checked
    const int64_t n = d[0], c = d[1], h = d[2], w = d[3], k = d[4], r = d[5], s = d[6], stride = d[7], pad = d[8];
    if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1 || stride < 1 || pad < 0) {
      throw NativeFailure({"ERR_ARGS", "conv sizes must be positive (pad may be 0)", "", ""});
    }
    if (h + 2 * pad > static_cast<int64_t>(kMaxIndex) || w + 2 * pad > static_cast<int64_t>(kMaxIndex)) {
      throw NativeFailure({"ERR_ARGS", "conv: the padded input (h + 2 pad, w + 2 pad) must stay below 2^31", "", ""});
    }
    if (h + 2 * pad < r || w + 2 * pad < s)
      throw NativeFailure({"ERR_ARGS", "conv filter larger than the padded input", "", ""});
    const int64_t p = (h + 2 * pad - r) / stride + 1, q = (w + 2 * pad - s) / stride + 1;
    xCount_ = boundedProduct({n, h, w, c}, kMaxTensorElements, "conv input x [n, h, w, c]");
    wCount_ = boundedProduct({k, r, s, c}, kMaxTensorElements, "conv filter w [k, r, s, c]");
    yCount_ = boundedProduct({n, p, q, k}, kMaxTensorElements, "conv output y [n, p, q, k]");
    boundedProduct({n, h, w}, kMaxIndex, "conv input pixels n h w");
    boundedProduct({n, p, q}, kMaxIndex, "conv output pixels n p q");
    boundedProduct({r, s, c}, kMaxIndex, "conv reduction r s c");
    args_.n = static_cast<int>(n);
    args_.c = static_cast<int>(c);
    args_.h = static_cast<int>(h);
    args_.w = static_cast<int>(w);
    args_.k = static_cast<int>(k);
    args_.r = static_cast<int>(r);
    args_.s = static_cast<int>(s);
    args_.stride = static_cast<int>(stride);
    args_.pad = static_cast<int>(pad);
    args_.p = static_cast<int>(p);
    args_.q = static_cast<int>(q);
    args_.variant = spec.variant;  // makeWorkload checked it against convVariantCount()
  }

  void allocate(cudaStream_t stream) {
    GSM_CUDA(cudaMalloc(&x_, xCount() * 2));
    GSM_CUDA(cudaMalloc(&w_, wCount() * 2));
    GSM_CUDA(cudaMalloc(&y_, yCount() * 2));
    GSM_CUDA(fillRandomBf16(x_, xCount(), seed_, stream));
    GSM_CUDA(fillRandomBf16(w_, wCount(), seed_ ^ 0x5bd1e995ull, stream));
    GSM_CUDA(cudaMemsetAsync(y_, 0xff, yCount() * 2, stream));  // 0xffff is a bf16 NaN
    args_.x = x_;
    args_.filter = w_;
    args_.y = y_;
  }
  void release() noexcept {
    freeDevice(x_);
    freeDevice(w_);
    freeDevice(y_);
  }

  const ConvArgs& args() const { return args_; }
  void useSm90a(bool available) { args_.sm90a = available; }
  void limitSms(int sms) { args_.sms = sms; }
  size_t xCount() const { return xCount_; }
  size_t wCount() const { return wCount_; }
  size_t yCount() const { return yCount_; }
  double flops() const {
    return 2.0 * args_.n * args_.p * args_.q * static_cast<double>(args_.k) * args_.c * args_.r * args_.s;
  }
  double bytes() const { return 2.0 * (static_cast<double>(xCount()) + wCount() + yCount()); }

  std::vector<HostTensor> read(cudaStream_t stream) const {
    GSM_CUDA(cudaStreamSynchronize(stream));
    const ConvArgs& a = args_;
    return {bf16Tensor("x", x_, {a.n, a.h, a.w, a.c}), bf16Tensor("w", w_, {a.k, a.r, a.s, a.c}),
            bf16Tensor("y", y_, {a.n, a.p, a.q, a.k})};
  }

 private:
  uint64_t seed_;
  size_t xCount_ = 0, wCount_ = 0, yCount_ = 0;
  ConvArgs args_{};
  uint16_t* x_ = nullptr;
  uint16_t* w_ = nullptr;
  uint16_t* y_ = nullptr;
};

}  // namespace gsm
