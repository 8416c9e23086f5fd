// The few CUDA driver-API functions the addon uses (green contexts, stream priorities, TMA tensor
// maps), resolved at run time through
// cudaGetDriverEntryPointByVersion: the build machines have no libcuda.so to link against, and a
// driver too old for a function is reported by name instead of failing to load the addon.
#pragma once

#include <cuda.h>
#include <cuda_runtime_api.h>
#include <string>

namespace gsm {

// Each member has the type of the function as cuda.h declares it (decltype: nothing is linked).
struct DriverApi {
  decltype(&::cuGetErrorName) getErrorName = nullptr;
  decltype(&::cuDeviceGet) deviceGet = nullptr;
  decltype(&::cuCtxSetCurrent) ctxSetCurrent = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) primaryCtxRetain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) primaryCtxRelease = nullptr;
  decltype(&::cuCtxPushCurrent) ctxPushCurrent = nullptr;
  decltype(&::cuCtxPopCurrent) ctxPopCurrent = nullptr;
  decltype(&::cuCtxGetStreamPriorityRange) ctxGetStreamPriorityRange = nullptr;
  decltype(&::cuDeviceGetDevResource) deviceGetDevResource = nullptr;
  decltype(&::cuDevSmResourceSplitByCount) devSmResourceSplitByCount = nullptr;
  decltype(&::cuDevResourceGenerateDesc) devResourceGenerateDesc = nullptr;
  decltype(&::cuGreenCtxCreate) greenCtxCreate = nullptr;
  decltype(&::cuGreenCtxDestroy) greenCtxDestroy = nullptr;
  decltype(&::cuCtxFromGreenCtx) ctxFromGreenCtx = nullptr;
  decltype(&::cuGreenCtxStreamCreate) greenCtxStreamCreate = nullptr;
  // Empty when every function was found; otherwise why not (missing symbols, no driver).
  std::string missing;
  // Why the driver could not be asked at all (e.g. cudaErrorInsufficientDriver: no driver installed);
  // cudaSuccess when it answered, even if it lacks some functions.
  cudaError_t unreachable = cudaSuccess;
  // cuTensorMapEncodeTiled (CUDA 12.0+) for the Hopper gemm's TMA loads; null when the driver lacks
  // it (then the gemm takes another path). Not counted in `missing`, which is about green contexts.
  CUresult (*tensorMapEncodeTiled)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                   const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                   CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill) = nullptr;
};

// Resolved once per process; never throws.
const DriverApi& driverApi();

// Throws NativeFailure (with the driver's error name; ERR_NO_GPU or ERR_CUDA, as core/errors.h
// decides) when `status` is not CUDA_SUCCESS.
void checkDriver(CUresult status, const char* call);

// Throws NativeFailure when the functions `what` needs are missing: ERR_NO_GPU (with the CUDA error)
// when the driver could not be reached, ERR_CUDA when it is too old.
void requireDriverApi(const char* what);

}  // namespace gsm

#define GSM_CU(call) ::gsm::checkDriver((call), #call)
