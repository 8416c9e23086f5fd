// Workloads for JavaScript: the WorkloadSpec reader shared by every binding that takes one, and
// workloadCheck(spec, device): prepare, launch once, return the inputs and the output as floats;
// workloadAvailable(spec): whether this build has the workload (and why not).
#pragma once

#include <napi.h>
#include "workloads/workload.h"

namespace gsm {
// Throws a TypeError for a malformed spec or one this build has no workload for.
WorkloadSpec readWorkloadSpec(const Napi::Object& o);
void registerWorkloadCheck(Napi::Env env, Napi::Object exports);
}  // namespace gsm
