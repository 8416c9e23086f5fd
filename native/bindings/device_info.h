// What CUDA says about this machine: cudaDevices() (async; initialises the CUDA driver in the calling
// process, never at load) and addonInfo() (sync; build facts only, no CUDA call).
#pragma once

#include <napi.h>

namespace gsm {
void registerDeviceInfo(Napi::Env env, Napi::Object exports);
}
