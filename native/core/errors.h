// One error type for everything that fails on the native side. C++ code throws NativeFailure; the
// N-API layer turns it into a JavaScript Error with `code`, `cudaError` (the CUDA error name, when
// CUDA failed) and `call` (the failing call as written). The codes (src/binding/contract.ts lists
// them as NATIVE_ERROR_CODES; test/addon-contract.test.ts checks that list against the code here):
//   ERR_ARGS         an argument the addon cannot use (a TypeError; see core/args.h)
//   ERR_NO_GPU       no driver, no device, or the device is unavailable (isNoGpuError decides)
//   ERR_CUDA         a CUDA runtime or driver call failed otherwise
//   ERR_STATE        a call out of order (run() before prepare(), release() while busy, ...)
//   ERR_LIBRARY      cuDNN, cuBLAS or cuBLASLt missing or refusing the problem
//   ERR_CUBLAS       cuBLASLt failed while running
//   ERR_UNSUPPORTED  this device (or driver) cannot run the workload as asked
//   ERR_NVML         NVML missing or failing
//   ERR_NATIVE       any other C++ exception (a bug)
#pragma once

// The N-API part (toJsError) exists where napi.h does: always in the addon; not in the standalone
// programs that link the CUDA-only code (test/native/model_check.cu), which may also say
// -DGSM_NO_NAPI outright.
#if !defined(GSM_NO_NAPI) && __has_include(<napi.h>)
#define GSM_HAS_NAPI 1
#include <napi.h>
#endif
#include <cuda_runtime.h>  // typed cudaMalloc overloads
#include <stdexcept>
#include <string>

namespace gsm {

struct FailureInfo {
  std::string code;       // ERR_CUDA, ERR_NO_GPU, ERR_NVML, ERR_STATE, ...
  std::string message;
  std::string cudaError;  // e.g. cudaErrorMemoryAllocation; empty when CUDA is not involved
  std::string call;       // the failing call, as written in the source
};

class NativeFailure : public std::runtime_error {
 public:
  explicit NativeFailure(FailureInfo info) : std::runtime_error(info.message), info_(std::move(info)) {}
  const FailureInfo& info() const { return info_; }

 private:
  FailureInfo info_;
};

// The one place that decides "there is no usable GPU here" (ERR_NO_GPU) rather than "something
// broke" (ERR_CUDA), for runtime and driver-API status codes alike.
bool isNoGpuError(cudaError_t status);
bool isNoGpuDriverError(int status);  // a CUresult
const char* cudaCode(cudaError_t status);  // ERR_NO_GPU or ERR_CUDA
const char* driverCode(int status);        // ERR_NO_GPU or ERR_CUDA, for a CUresult
FailureInfo cudaFailure(cudaError_t status, const char* call, const char* file, int line);

// A library call inside a launch (cuDNN, cuBLASLt) can fail without any CUDA error, and a launch
// returns only a cudaError_t: cudaErrorUnknown. What the library said is noted here, per thread, and
// cudaFailure() adds it to the message of the cudaErrorUnknown that follows, so the error names the
// layer, the call and the library's status instead of "unknown error".
void noteLaunchFailure(const std::string& what);
// Puts `where` (e.g. the model layer whose op failed) in front of the noted failure.
void prefixLaunchFailure(const std::string& where);
[[noreturn]] void throwCuda(cudaError_t status, const char* call, const char* file, int line);

#ifdef GSM_HAS_NAPI
// Builds the JavaScript Error for a failure: a TypeError for ERR_ARGS, an Error otherwise.
Napi::Error toJsError(Napi::Env env, const FailureInfo& info);
#endif

}  // namespace gsm

// Checks a CUDA runtime call; on failure throws NativeFailure naming the call, file and line.
#define GSM_CUDA(call)                                                                        \
  do {                                                                                        \
    const cudaError_t gsm_status_ = (call);                                                   \
    if (gsm_status_ != cudaSuccess) ::gsm::throwCuda(gsm_status_, #call, __FILE__, __LINE__); \
  } while (0)
