// The host clock shared by every process on the machine: CLOCK_MONOTONIC in nanoseconds, the same
// clock as Node's process.hrtime.bigint() on Linux, so a start time chosen by the orchestrator means
// the same instant in every client.
#pragma once

#include <cstdint>
#include <ctime>

namespace gsm {

inline uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace gsm
