#include "workload.h"

#include "errors.h"

namespace gsm {

std::unique_ptr<Workload> makeGemmWorkload(const WorkloadSpec& spec);
std::unique_ptr<Workload> makeProbeWorkload(const WorkloadSpec& spec);

std::unique_ptr<Workload> makeWorkload(const WorkloadSpec& spec) {
  if (spec.kernel == "gemm" && spec.impl == "own") return makeGemmWorkload(spec);
  if (spec.kernel == "probe") return makeProbeWorkload(spec);
  throw NativeFailure({"ERR_ARGS", "this build has no workload '" + spec.kernel + "' with impl '" + spec.impl + "'", "", ""});
}

}  // namespace gsm
