// NVML, loaded with dlopen at run time (libnvidia-ml.so.1 comes with the driver, so the addon loads
// where no driver is installed). nvmlSnapshot() reads the driver and every device's state once;
// a field the device does not support is absent, never zero.
#pragma once

#include <napi.h>

namespace gsm {
void registerNvml(Napi::Env env, Napi::Object exports);
}
