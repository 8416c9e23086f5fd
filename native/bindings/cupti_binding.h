// CUPTI behind N-API: cuptiActivityStart()/cuptiActivityStop() collect this process's kernel
// activity (native/observers/cupti_kernel_activity.h), and PmSampler samples the GPU's performance monitors
// (native/observers/cupti_pm_sampler.h). Both report available:false with the CUPTI error and a plain reason
// where CUPTI is missing or not permitted.
#pragma once

#include <napi.h>

namespace gsm {
void registerCupti(Napi::Env env, Napi::Object exports);
}
