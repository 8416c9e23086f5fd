#include "cublas_attention.h"

#include <dlfcn.h>
#include "errors.h"

namespace gsm {
namespace {

constexpr const char* kLibraries[] = {"libcublas.so.13", "libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so.13",
                                      "/usr/local/cuda/lib64/libcublas.so.12"};

template <typename F>
void bind(void* lib, F& fn, const char* symbol, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (fn == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
}

CublasApi load() {
  CublasApi api;
  void* lib = nullptr;
  std::string tried;
  for (const char* name : kLibraries) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
    const char* e = dlerror();
    tried += std::string(tried.empty() ? "" : "; ") + name + ": " + (e ? e : "not found");
  }
  if (lib == nullptr) {
    api.loadError = "cuBLAS (libcublas.so.13 or .12) could not be loaded (" + tried +
                    "): install the CUDA toolkit's cuBLAS or choose another --impl";
    return api;
  }
  std::string missing;
  bind(lib, api.create, "cublasCreate_v2", missing);
  bind(lib, api.destroy, "cublasDestroy_v2", missing);
  bind(lib, api.setStream, "cublasSetStream_v2", missing);
  bind(lib, api.statusString, "cublasGetStatusString", missing);
  bind(lib, api.gemmStridedBatchedEx, "cublasGemmStridedBatchedEx", missing);
  if (!missing.empty()) api.loadError = "libcublas lacks " + missing;
  return api;
}

}  // namespace

const CublasApi& cublasAttentionApi() {
  static const CublasApi api = load();
  if (!api.loadError.empty()) throw NativeFailure({"ERR_LIBRARY", api.loadError, "", "dlopen(libcublas)"});
  return api;
}

void checkCublas(cublas::Status status, const char* call) {
  if (status == cublas::kSuccess) return;
  const CublasApi& api = cublasAttentionApi();
  throw NativeFailure({"ERR_LIBRARY", std::string(call) + " failed: " + api.statusString(status) + " (" +
                                          std::to_string(status) + ")", "", call});
}

}  // namespace gsm
