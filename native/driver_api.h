// The few CUDA driver-API functions the addon uses (green contexts, stream priorities), resolved at run time through
// cudaGetDriverEntryPointByVersion: the build machines have no libcuda.so to link against, and a
// driver too old for a function is reported by name instead of failing to load the addon.
#pragma once

#include <cuda.h>
#include <string>

namespace gsm {

struct DriverApi {
  CUresult (*getErrorName)(CUresult, const char**) = nullptr;
  CUresult (*deviceGet)(CUdevice*, int) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxPushCurrent)(CUcontext) = nullptr;
  CUresult (*ctxPopCurrent)(CUcontext*) = nullptr;
  CUresult (*ctxGetStreamPriorityRange)(int*, int*) = nullptr;
  CUresult (*deviceGetDevResource)(CUdevice, CUdevResource*, CUdevResourceType) = nullptr;
  CUresult (*devSmResourceSplitByCount)(CUdevResource*, unsigned int*, const CUdevResource*, CUdevResource*,
                                        unsigned int, unsigned int) = nullptr;
  CUresult (*devResourceGenerateDesc)(CUdevResourceDesc*, CUdevResource*, unsigned int) = nullptr;
  CUresult (*greenCtxCreate)(CUgreenCtx*, CUdevResourceDesc, CUdevice, unsigned int) = nullptr;
  CUresult (*greenCtxDestroy)(CUgreenCtx) = nullptr;
  CUresult (*ctxFromGreenCtx)(CUcontext*, CUgreenCtx) = nullptr;
  CUresult (*greenCtxStreamCreate)(CUstream*, CUgreenCtx, unsigned int, int) = nullptr;
  // Empty when every function was found; otherwise why not (missing symbols, no driver).
  std::string missing;
};

// Resolved once per process; never throws.
const DriverApi& driverApi();

// Throws NativeFailure (ERR_CUDA, with the driver's error name) when `status` is not CUDA_SUCCESS.
void checkDriver(CUresult status, const char* call);

}  // namespace gsm

#define GSM_CU(call) ::gsm::checkDriver((call), #call)
