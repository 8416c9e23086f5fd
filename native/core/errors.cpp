#include "core/errors.h"

#include <cuda.h>  // CUresult values only: nothing from libcuda is called here
#include <cstring>

namespace gsm {

bool isNoGpuError(cudaError_t status) {
  return status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver ||
         status == cudaErrorDevicesUnavailable || status == cudaErrorSystemDriverMismatch ||
         status == cudaErrorCompatNotSupportedOnDevice || status == cudaErrorNotSupported ||
         status == cudaErrorInvalidDevice;
}

bool isNoGpuDriverError(int status) {
  switch (static_cast<CUresult>(status)) {
    case CUDA_ERROR_NO_DEVICE:
    case CUDA_ERROR_INVALID_DEVICE:
    case CUDA_ERROR_DEVICE_UNAVAILABLE:
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    case CUDA_ERROR_STUB_LIBRARY: return true;
    default: return false;
  }
}

const char* cudaCode(cudaError_t status) { return isNoGpuError(status) ? "ERR_NO_GPU" : "ERR_CUDA"; }

const char* driverCode(int status) { return isNoGpuDriverError(status) ? "ERR_NO_GPU" : "ERR_CUDA"; }

namespace {
thread_local std::string launchFailure;
}

void noteLaunchFailure(const std::string& what) { launchFailure = what; }

void prefixLaunchFailure(const std::string& where) {
  launchFailure = launchFailure.empty() ? where : where + ": " + launchFailure;
}

FailureInfo cudaFailure(cudaError_t status, const char* call, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  std::string where = std::string(base ? base + 1 : file) + ":" + std::to_string(line);
  FailureInfo info;
  info.code = cudaCode(status);
  info.cudaError = cudaGetErrorName(status);
  info.call = call;
  info.message =
      std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ") at " + where;
  // The note belongs to this failure only when the launch returned cudaErrorUnknown; it is taken either way.
  if (status == cudaErrorUnknown && !launchFailure.empty()) info.message += "; " + launchFailure;
  launchFailure.clear();
  return info;
}

void throwCuda(cudaError_t status, const char* call, const char* file, int line) {
  FailureInfo info = cudaFailure(status, call, file, line);
  // The error is reported now: take it out of this thread's last-error slot too. A non-sticky error (a
  // failed allocation in one loop's prepare) left there would otherwise fail the next loop that this
  // worker thread runs at its own cudaGetLastError (seen on the H200: a gemm loop after the
  // out-of-memory test). A sticky error stays: the runtime reports it again to every call.
  cudaGetLastError();
  throw NativeFailure(std::move(info));
}

#ifdef GSM_HAS_NAPI
Napi::Error toJsError(Napi::Env env, const FailureInfo& info) {
  Napi::Error error =
      info.code == "ERR_ARGS" ? Napi::TypeError::New(env, info.message) : Napi::Error::New(env, info.message);
  error.Set("code", Napi::String::New(env, info.code));
  if (!info.cudaError.empty()) error.Set("cudaError", Napi::String::New(env, info.cudaError));
  if (!info.call.empty()) error.Set("call", Napi::String::New(env, info.call));
  return error;
}
#endif

}  // namespace gsm
