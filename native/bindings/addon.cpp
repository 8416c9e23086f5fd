// Registers the addon's exports and nothing else. Loading the module makes no CUDA call: the CUDA
// driver is initialised by the first function that needs it, after a sharing mode's environment
// (CUDA_MPS_PIPE_DIRECTORY, CUDA_VISIBLE_DEVICES, ...) is in place.
#include <napi.h>
#include "bindings/device_info.h"
#include "bindings/green_binding.h"
#include "bindings/loop_binding.h"
#include "bindings/nvml_binding.h"
#include "bindings/workload_binding.h"
#include "bindings/cupti_binding.h"
#include "core/env_guard.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  gsm::watchEnvironment(env);
  gsm::registerDeviceInfo(env, exports);
  gsm::registerNvml(env, exports);
  gsm::registerLoop(env, exports);
  gsm::registerGreenContexts(env, exports);
  gsm::registerWorkloadCheck(env, exports);
  gsm::registerCupti(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(gpushare_micro, Init)
