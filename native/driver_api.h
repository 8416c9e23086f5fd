// The few CUDA driver-API functions the addon uses (green contexts, stream priorities, TMA tensor
// maps), resolved at run time through
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
  // cuTensorMapEncodeTiled (CUDA 12.0+) for the Hopper gemm's TMA loads; null when the driver lacks
  // it (then the gemm takes another path). Not counted in `missing`, which is about green contexts.
  CUresult (*tensorMapEncodeTiled)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                   const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                   CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill) = nullptr;
};

// Resolved once per process; never throws.
const DriverApi& driverApi();

// Throws NativeFailure (ERR_CUDA, with the driver's error name) when `status` is not CUDA_SUCCESS.
void checkDriver(CUresult status, const char* call);

}  // namespace gsm

#define GSM_CU(call) ::gsm::checkDriver((call), #call)
