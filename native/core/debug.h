// The one debug switch of the native side: GSM_VERBOSE set (to anything) makes workloads print what
// a library chose (cuDNN's convolution algorithm, the attention graph) to stderr. It changes no
// result and tunes nothing; the knobs that do are WorkloadSpec fields (src/binding/contract.ts).
#pragma once

#include <cstdlib>

namespace gsm {

// Read at each use: a caller may set it for one call (scripts/kernel-bench.mjs does).
inline bool verbose() { return std::getenv("GSM_VERBOSE") != nullptr; }

}  // namespace gsm
