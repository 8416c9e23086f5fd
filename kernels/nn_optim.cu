// Optimizer steps and the classification loss of kernels/nn.h.
//   SGD (momentum, weight decay) and AdamW over one flat fp32 parameter buffer in one launch:
//   memory-bound, 16-byte accesses (float4) in a grid-stride loop when every buffer is aligned, the
//   bf16 copy of the parameters written in the same pass (4 values, 8 bytes).
//   Softmax cross-entropy: one CTA per row (maximum, sum of exponentials, then the gradient), each
//   row's loss into the workspace, and a one-CTA finish that adds them in a fixed order, so the mean
//   loss has the same bits on every run.
#include <cmath>
#include "nn.h"
#include "nn_common.cuh"

namespace gsm {
namespace {

using namespace nn;

__device__ __forceinline__ void storeBf16x4(uint16_t* p, float a, float b, float c, float d) {
  *reinterpret_cast<uint2*>(p) = make_uint2(packBf16x2(a, b), packBf16x2(c, d));
}

// g' = g + wd p; v = momentum v + g'; p -= lr v.
struct SgdStep {
  float lr, momentum, weightDecay;
  __device__ __forceinline__ void operator()(float& p, float g, float& v) const {
    v = fmaf(momentum, v, fmaf(weightDecay, p, g));
    p = fmaf(-lr, v, p);
  }
};

__global__ void __launch_bounds__(kThreads)
    sgdKernel(float* __restrict__ params, const float* __restrict__ grads, float* __restrict__ velocity,
              uint16_t* __restrict__ paramsBf16, size_t count, SgdStep step, bool vectorized, Interval* trace) {
  CtaTrace cta(trace);
  gridStride<4>(
      count, vectorized,
      [&](size_t e) {
        float4 p = *reinterpret_cast<const float4*>(params + e);
        const float4 g = *reinterpret_cast<const float4*>(grads + e);
        float4 v = *reinterpret_cast<const float4*>(velocity + e);
        step(p.x, g.x, v.x);
        step(p.y, g.y, v.y);
        step(p.z, g.z, v.z);
        step(p.w, g.w, v.w);
        *reinterpret_cast<float4*>(params + e) = p;
        *reinterpret_cast<float4*>(velocity + e) = v;
        if (paramsBf16 != nullptr) storeBf16x4(paramsBf16 + e, p.x, p.y, p.z, p.w);
      },
      [&](size_t e) {
        float p = params[e], v = velocity[e];
        step(p, grads[e], v);
        params[e] = p;
        velocity[e] = v;
        if (paramsBf16 != nullptr) paramsBf16[e] = floatToBf16(p);
      });
  cta.end();
}

// PyTorch's AdamW: p *= 1 - lr wd; m += (1 - b1)(g - m); v = b2 v + (1 - b2) g^2;
// p -= stepSize m / (sqrt(v) / sqrt(1 - b2^t) + eps), stepSize = lr / (1 - b1^t).
struct AdamWStep {
  float decay, beta1, beta2, eps, stepSize, correction2Sqrt;
  __device__ __forceinline__ void operator()(float& p, float g, float& m, float& v) const {
    p *= decay;
    m = fmaf(1.0f - beta1, g - m, m);
    v = fmaf(beta2, v, (1.0f - beta2) * g * g);
    const float denom = sqrtf(v) / correction2Sqrt + eps;
    p = fmaf(-stepSize, m / denom, p);
  }
};

__global__ void __launch_bounds__(kThreads)
    adamWKernel(float* __restrict__ params, const float* __restrict__ grads, float* __restrict__ m,
                float* __restrict__ v, uint16_t* __restrict__ paramsBf16, size_t count, AdamWStep step, bool vectorized,
                Interval* trace) {
  CtaTrace cta(trace);
  gridStride<4>(
      count, vectorized,
      [&](size_t e) {
        float4 p = *reinterpret_cast<const float4*>(params + e);
        const float4 g = *reinterpret_cast<const float4*>(grads + e);
        float4 m4 = *reinterpret_cast<const float4*>(m + e);
        float4 v4 = *reinterpret_cast<const float4*>(v + e);
        step(p.x, g.x, m4.x, v4.x);
        step(p.y, g.y, m4.y, v4.y);
        step(p.z, g.z, m4.z, v4.z);
        step(p.w, g.w, m4.w, v4.w);
        *reinterpret_cast<float4*>(params + e) = p;
        *reinterpret_cast<float4*>(m + e) = m4;
        *reinterpret_cast<float4*>(v + e) = v4;
        if (paramsBf16 != nullptr) storeBf16x4(paramsBf16 + e, p.x, p.y, p.z, p.w);
      },
      [&](size_t e) {
        float p = params[e], me = m[e], ve = v[e];
        step(p, grads[e], me, ve);
        params[e] = p;
        m[e] = me;
        v[e] = ve;
        if (paramsBf16 != nullptr) paramsBf16[e] = floatToBf16(p);
      });
  cta.end();
}

bool optimizerVectorized(const void* a, const void* b, const void* c, const void* d, const uint16_t* bf16) {
  return aligned16(a) && aligned16(b) && aligned16(c) && (d == nullptr || aligned16(d)) &&
         (reinterpret_cast<uintptr_t>(bf16) & 7u) == 0;
}

// One CTA per row: lossPerRow[row] = log(sum exp(x - max)) + max - x[label]; dlogits = (softmax - onehot) / rows.
// A label outside [0, classes) gives a NaN loss (visible, never silently ignored) and no one-hot term.
__global__ void __launch_bounds__(kThreads)
    softmaxCrossEntropyKernel(const float* __restrict__ logits, const int32_t* __restrict__ labels, int classes,
                              int rows, float* __restrict__ lossPerRow, uint16_t* __restrict__ dlogits,
                              Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[kThreads / 32];
  const size_t row = blockIdx.x;
  const float* in = logits + row * classes;
  float mx = -INFINITY;
  for (int c = threadIdx.x; c < classes; c += kThreads) mx = fmaxf(mx, in[c]);
  mx = blockMax(mx, scratch);
  float sum = 0.0f;
  for (int c = threadIdx.x; c < classes; c += kThreads) sum += expf(in[c] - mx);
  sum = blockSum(sum, scratch);
  const int label = labels[row];
  const bool valid = label >= 0 && label < classes;
  if (threadIdx.x == 0) lossPerRow[row] = valid ? logf(sum) + mx - in[label] : NAN;
  if (dlogits != nullptr) {
    const float inv = 1.0f / sum, perRow = 1.0f / static_cast<float>(rows);
    uint16_t* out = dlogits + row * classes;
    for (int c = threadIdx.x; c < classes; c += kThreads) {
      const float p = expf(in[c] - mx) * inv;
      out[c] = floatToBf16((c == label ? p - 1.0f : p) * perRow);
    }
  }
  cta.end();
}

__global__ void __launch_bounds__(kThreads)
    meanFinishKernel(const float* __restrict__ values, int count, float* __restrict__ out, Interval* trace) {
  CtaTrace cta(trace);
  __shared__ float scratch[kThreads / 32];
  float sum = 0.0f;
  for (int i = threadIdx.x; i < count; i += kThreads) sum += values[i];
  sum = blockSum(sum, scratch);
  if (threadIdx.x == 0) out[0] = sum / static_cast<float>(count);
  cta.end();
}

}  // namespace

int nnCtas(const SgdArgs& args) { return elementwiseCtas(args.count, 4); }

cudaError_t launchSgd(const SgdArgs& a, Interval* trace, cudaStream_t stream) {
  const SgdStep step{a.lr, a.momentum, a.weightDecay};
  const bool vectorized = optimizerVectorized(a.params, a.grads, a.velocity, nullptr, a.paramsBf16);
  sgdKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.params, a.grads, a.velocity, a.paramsBf16, a.count, step, vectorized,
                                                trace);
  return cudaGetLastError();
}

int nnCtas(const AdamWArgs& args) { return elementwiseCtas(args.count, 4); }

cudaError_t launchAdamW(const AdamWArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.step < 1) return cudaErrorInvalidValue;  // bias corrections need t >= 1
  const double correction1 = 1.0 - std::pow(static_cast<double>(a.beta1), a.step);
  const double correction2 = 1.0 - std::pow(static_cast<double>(a.beta2), a.step);
  const AdamWStep step{static_cast<float>(1.0 - static_cast<double>(a.lr) * a.weightDecay),
                       a.beta1,
                       a.beta2,
                       a.eps,
                       static_cast<float>(a.lr / correction1),
                       static_cast<float>(std::sqrt(correction2))};
  const bool vectorized = optimizerVectorized(a.params, a.grads, a.m, a.v, a.paramsBf16);
  adamWKernel<<<nnCtas(a), kThreads, 0, stream>>>(a.params, a.grads, a.m, a.v, a.paramsBf16, a.count, step, vectorized,
                                                  trace);
  return cudaGetLastError();
}

int nnCtas(const SoftmaxCrossEntropyArgs& args) { return (args.rows > 0 ? args.rows : 0) + 1; }
size_t nnWorkspaceBytes(const SoftmaxCrossEntropyArgs& args) {
  return static_cast<size_t>(args.rows > 0 ? args.rows : 0) * sizeof(float);
}

cudaError_t launchSoftmaxCrossEntropy(const SoftmaxCrossEntropyArgs& a, Interval* trace, cudaStream_t stream) {
  if (a.rows < 1 || a.classes < 1) return cudaErrorInvalidValue;
  softmaxCrossEntropyKernel<<<a.rows, kThreads, 0, stream>>>(a.logits, a.labels, a.classes, a.rows, a.workspace,
                                                             a.dlogits, trace);
  meanFinishKernel<<<1, kThreads, 0, stream>>>(a.workspace, a.rows, a.loss, traceAt(trace, a.rows));
  return cudaGetLastError();
}

}  // namespace gsm
