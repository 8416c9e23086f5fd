#include "libraries/cublas_attention.h"

#include "core/errors.h"
#include "libraries/shared_library.h"

namespace gsm {
namespace {

CublasApi load() {
  CublasApi api;
  const OpenedLibrary opened = openFirst(toolkitCandidates({"libcublas.so.13", "libcublas.so.12"}));
  void* lib = opened.handle;
  api.handle = lib;
  api.file = opened.file;
  if (lib == nullptr) {
    api.unavailable = "cuBLAS (libcublas.so.13 or .12) could not be loaded (" + opened.tried +
                      "): install the CUDA toolkit's cuBLAS or choose another --impl";
    return api;
  }
  std::string missing;
  bindSymbol(lib, api.create, "cublasCreate_v2", &missing);
  bindSymbol(lib, api.destroy, "cublasDestroy_v2", &missing);
  bindSymbol(lib, api.setStream, "cublasSetStream_v2", &missing);
  bindSymbol(lib, api.statusString, "cublasGetStatusString", &missing);
  bindSymbol(lib, api.gemmStridedBatchedEx, "cublasGemmStridedBatchedEx", &missing);
  if (!missing.empty()) api.unavailable = "libcublas lacks " + missing;
  return api;
}

}  // namespace

const CublasApi& cublasAttentionApi() {
  static const CublasApi api = load();
  if (!api.unavailable.empty()) throw NativeFailure({"ERR_LIBRARY", api.unavailable, "", "dlopen(libcublas)"});
  return api;
}

void checkCublas(cublas::Status status, const char* call) {
  if (status == cublas::kSuccess) return;
  const CublasApi& api = cublasAttentionApi();
  throw NativeFailure({"ERR_LIBRARY",
                       std::string(call) + " failed: " + api.statusString(status) + " (" + std::to_string(status) + ")",
                       "", call});
}

}  // namespace gsm
