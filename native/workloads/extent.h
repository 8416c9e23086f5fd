// Overflow-checked element counts for workload shapes. The binding bounds each dimension of a shape
// (below 2^31), not their products: every count a workload allocates, copies or indexes with is
// computed here, in 64 bits with overflow checks, against a stated bound, and a shape past it is an
// argument error (ERR_ARGS) when the workload is made, before any CUDA call.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace gsm {

// The most elements one tensor of a workload may hold: 2^40 (2 TiB of bf16, more than any GPU has).
constexpr uint64_t kMaxTensorElements = 1ull << 40;
// Products a kernel indexes with 32-bit integers (rows of an implicit GEMM, pixels, grid sizes).
constexpr uint64_t kMaxIndex = 2147483647ull;

// The product of `dims` (each >= 0). Throws NativeFailure (ERR_ARGS) naming `what` when it exceeds
// `limit` (so it never wraps).
uint64_t boundedProduct(std::initializer_list<int64_t> dims, uint64_t limit, const std::string& what);

}  // namespace gsm
