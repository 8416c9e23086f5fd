// NVML behind N-API: nvmlSnapshot() reads the driver and every device once (a field the device does
// not support is absent, never zero) and NvmlSampler samples one device in the background while a
// measurement runs (native/observers/nvml_sampler.h). NVML itself is loaded with dlopen (native/libraries/nvml_api.h).
#pragma once

#include <napi.h>

namespace gsm {
void registerNvml(Napi::Env env, Napi::Object exports);
}
