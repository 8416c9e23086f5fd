// The activations of launch.h's Activation and their slopes, for the kernels that apply them: the
// gemm epilogue (gemm_internal.h) and the bias + activation kernels (nn_elementwise.cu).
#pragma once

#include "launch.h"

namespace gsm {

__device__ __forceinline__ float activate(float v, Activation act) {
  switch (act) {
    case Activation::Gelu: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case Activation::Tanh: return tanhf(v);
    case Activation::Relu: return fmaxf(v, 0.0f);
    default: return v;
  }
}

// d act / d v at v.
__device__ __forceinline__ float activationSlope(float v, Activation act) {
  switch (act) {
    case Activation::Gelu:  // Phi(v) + v phi(v)
      return 0.5f * (1.0f + erff(v * 0.70710678118654752f)) + v * 0.39894228040143268f * expf(-0.5f * v * v);
    case Activation::Tanh: {
      const float t = tanhf(v);
      return 1.0f - t * t;
    }
    case Activation::Relu: return v > 0.0f ? 1.0f : 0.0f;
    default: return 1.0f;
  }
}

}  // namespace gsm
