#include "libraries/driver_api.h"

#include <cuda_runtime_api.h>
#include "core/errors.h"

namespace gsm {
namespace {

// The ABI of the cuda.h this file was compiled against: each symbol resolves to the variant whose
// signature is declared above (asking for an older version would miss functions added since, such
// as cuGreenCtxStreamCreate in 12.5).
constexpr unsigned int kAbiVersion = CUDA_VERSION;

template <typename Fn>
void resolve(Fn& fn, const char* symbol, std::string& missing, cudaError_t* unreachable = nullptr) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult found = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t status = cudaGetDriverEntryPointByVersion(symbol, &p, kAbiVersion, cudaEnableDefault, &found);
  if (status != cudaSuccess || found != cudaDriverEntryPointSuccess || p == nullptr) {
    if (status != cudaSuccess && missing.empty()) {
      missing = std::string("the CUDA driver is not usable (") + cudaGetErrorName(status) + ")";
      if (unreachable != nullptr) *unreachable = status;
      cudaGetLastError();
      return;
    }
    if (status == cudaSuccess) missing += (missing.empty() ? "the CUDA driver lacks " : ", ") + std::string(symbol);
    return;
  }
  fn = reinterpret_cast<Fn>(p);
}

DriverApi load() {
  DriverApi api;
  std::string& m = api.missing;
  resolve(api.getErrorName, "cuGetErrorName", m, &api.unreachable);
  resolve(api.deviceGet, "cuDeviceGet", m, &api.unreachable);
  resolve(api.ctxSetCurrent, "cuCtxSetCurrent", m, &api.unreachable);
  resolve(api.primaryCtxRetain, "cuDevicePrimaryCtxRetain", m, &api.unreachable);
  resolve(api.primaryCtxRelease, "cuDevicePrimaryCtxRelease", m, &api.unreachable);
  resolve(api.ctxPushCurrent, "cuCtxPushCurrent", m, &api.unreachable);
  resolve(api.ctxPopCurrent, "cuCtxPopCurrent", m, &api.unreachable);
  resolve(api.ctxGetStreamPriorityRange, "cuCtxGetStreamPriorityRange", m, &api.unreachable);
  resolve(api.deviceGetDevResource, "cuDeviceGetDevResource", m, &api.unreachable);
  resolve(api.devSmResourceSplitByCount, "cuDevSmResourceSplitByCount", m, &api.unreachable);
  resolve(api.devResourceGenerateDesc, "cuDevResourceGenerateDesc", m, &api.unreachable);
  resolve(api.greenCtxCreate, "cuGreenCtxCreate", m, &api.unreachable);
  resolve(api.greenCtxDestroy, "cuGreenCtxDestroy", m, &api.unreachable);
  resolve(api.ctxFromGreenCtx, "cuCtxFromGreenCtx", m, &api.unreachable);
  resolve(api.greenCtxStreamCreate, "cuGreenCtxStreamCreate", m, &api.unreachable);
  std::string tensorMapMissing;
  resolve(api.tensorMapEncodeTiled, "cuTensorMapEncodeTiled", tensorMapMissing);
  return api;
}

}  // namespace

const DriverApi& driverApi() {
  static const DriverApi api = load();
  return api;
}

void checkDriver(CUresult status, const char* call) {
  if (status == CUDA_SUCCESS) return;
  const char* name = nullptr;
  if (driverApi().getErrorName != nullptr) driverApi().getErrorName(status, &name);
  const std::string error = name != nullptr ? name : "CUresult " + std::to_string(static_cast<int>(status));
  throw NativeFailure({driverCode(status), std::string(call) + " failed: " + error, error, call});
}

void requireDriverApi(const char* what) {
  const DriverApi& cu = driverApi();
  if (cu.missing.empty()) return;
  const std::string message = std::string(what) + " unavailable: " + cu.missing;
  if (cu.unreachable != cudaSuccess)
    throw NativeFailure({cudaCode(cu.unreachable), message, cudaGetErrorName(cu.unreachable), ""});
  throw NativeFailure({"ERR_CUDA", message, "", ""});
}

}  // namespace gsm
