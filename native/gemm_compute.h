// gemmCompute({m, n, k, a, b, device}): runs the project's gemm once on inputs given from
// JavaScript (bf16 bit patterns) and returns C as a Float32Array. The output buffer is poisoned
// with NaN first, so an element the kernel never wrote cannot pass a check. For correctness tests.
#pragma once

#include <napi.h>

namespace gsm {
void registerGemmCompute(Napi::Env env, Napi::Object exports);
}
