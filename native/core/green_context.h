// Green contexts: the device's SMs split into disjoint groups, one context per group, all in this
// process. Kernels launched on a green context's stream run only on its SMs. The groups live until
// releaseGreenContexts() or the end of the process; timed loops refer to them by index.
#pragma once

#include <cuda.h>
#include <string>
#include <vector>

namespace gsm {

struct SmPartitioning {
  bool supported = false;
  std::string reason;              // why not, when not supported
  unsigned int smCount = 0;        // SMs of the whole device
  unsigned int minPartition = 0;   // smallest group the device grants
  unsigned int alignment = 0;      // group sizes are multiples of this
  unsigned int unitGroups = 0;  // groups of the smallest size the driver grants (may cover fewer SMs than smCount)
};

struct GreenGroup {
  CUgreenCtx green = nullptr;
  CUcontext context = nullptr;  // the green context as a CUcontext, for making it current
  unsigned int requestedSms = 0;
  unsigned int grantedSms = 0;
};

SmPartitioning smPartitioning(int device);
// Splits the device's SMs into groups of (at least) the given sizes, in order; throws NativeFailure
// (ERR_ARGS) when they do not fit, ERR_CUDA when the driver refuses. Returns the new groups' indices.
std::vector<int> createGreenContexts(int device, const std::vector<unsigned int>& smCounts);
GreenGroup greenGroup(int index);  // throws NativeFailure (ERR_ARGS) for an unknown index
void releaseGreenContexts() noexcept;

}  // namespace gsm
