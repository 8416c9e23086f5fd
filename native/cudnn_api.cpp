#include "cudnn_api.h"

#include <dlfcn.h>
#include "errors.h"

namespace gsm {
namespace {

constexpr const char* kLibraries[] = {"libcudnn.so.9", "/usr/lib/x86_64-linux-gnu/libcudnn.so.9",
                                      "/usr/local/cuda/lib64/libcudnn.so.9"};

template <typename F>
void bind(void* lib, F& fn, const char* symbol, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (fn == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(symbol);
}

CudnnApi load() {
  CudnnApi api;
  void* lib = nullptr;
  std::string tried;
  for (const char* name : kLibraries) {
    lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) break;
    const char* e = dlerror();
    tried += std::string(tried.empty() ? "" : "; ") + name + ": " + (e ? e : "not found");
  }
  if (lib == nullptr) {
    api.loadError = "cuDNN 9 (libcudnn.so.9) could not be loaded (" + tried +
                    "): install cuDNN 9 for CUDA 12/13 or choose another --impl";
    return api;
  }
  std::string missing;
  bind(lib, api.create, "cudnnCreate", missing);
  bind(lib, api.destroy, "cudnnDestroy", missing);
  bind(lib, api.setStream, "cudnnSetStream", missing);
  bind(lib, api.getErrorString, "cudnnGetErrorString", missing);
  bind(lib, api.getVersion, "cudnnGetVersion", missing);
  bind(lib, api.createTensorDescriptor, "cudnnCreateTensorDescriptor", missing);
  bind(lib, api.setTensor4dDescriptor, "cudnnSetTensor4dDescriptor", missing);
  bind(lib, api.destroyTensorDescriptor, "cudnnDestroyTensorDescriptor", missing);
  bind(lib, api.createFilterDescriptor, "cudnnCreateFilterDescriptor", missing);
  bind(lib, api.setFilter4dDescriptor, "cudnnSetFilter4dDescriptor", missing);
  bind(lib, api.destroyFilterDescriptor, "cudnnDestroyFilterDescriptor", missing);
  bind(lib, api.createConvolutionDescriptor, "cudnnCreateConvolutionDescriptor", missing);
  bind(lib, api.setConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor", missing);
  bind(lib, api.setConvolutionMathType, "cudnnSetConvolutionMathType", missing);
  bind(lib, api.destroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor", missing);
  bind(lib, api.getConvolution2dForwardOutputDim, "cudnnGetConvolution2dForwardOutputDim", missing);
  bind(lib, api.findConvolutionForwardAlgorithm, "cudnnFindConvolutionForwardAlgorithm", missing);
  bind(lib, api.convolutionForward, "cudnnConvolutionForward", missing);
  bind(lib, api.backendCreateDescriptor, "cudnnBackendCreateDescriptor", missing);
  bind(lib, api.backendDestroyDescriptor, "cudnnBackendDestroyDescriptor", missing);
  bind(lib, api.backendSetAttribute, "cudnnBackendSetAttribute", missing);
  bind(lib, api.backendGetAttribute, "cudnnBackendGetAttribute", missing);
  bind(lib, api.backendFinalize, "cudnnBackendFinalize", missing);
  bind(lib, api.backendExecute, "cudnnBackendExecute", missing);
  if (!missing.empty()) {
    api.loadError = "libcudnn.so.9 lacks " + missing + ": cuDNN 9 is required";
    return api;
  }
  // Optional: cuDNN's own explanation of the last failure.
  api.getLastErrorString = reinterpret_cast<decltype(api.getLastErrorString)>(dlsym(lib, "cudnnGetLastErrorString"));
  api.version = api.getVersion();
  return api;
}

}  // namespace

const CudnnApi& cudnnApi() {
  static const CudnnApi api = load();
  if (!api.loadError.empty()) throw NativeFailure({"ERR_LIBRARY", api.loadError, "", "dlopen(libcudnn.so.9)"});
  return api;
}

void checkCudnn(cudnn::Status status, const char* call) {
  if (status == cudnn::kSuccess) return;
  const CudnnApi& api = cudnnApi();
  char last[1024] = {0};
  if (api.getLastErrorString != nullptr) api.getLastErrorString(last, sizeof last);
  std::string message = std::string(call) + " failed: " + api.getErrorString(status) + " (" + std::to_string(status) + ")";
  if (last[0] != '\0') message += ": " + std::string(last);
  throw NativeFailure({"ERR_LIBRARY", message, "", call});
}

BackendDescriptor::BackendDescriptor(int type) {
  checkCudnn(cudnnApi().backendCreateDescriptor(type, &d_), "cudnnBackendCreateDescriptor");
}

BackendDescriptor::~BackendDescriptor() {
  if (d_ != nullptr) cudnnApi().backendDestroyDescriptor(d_);
}

void BackendDescriptor::set(int name, int type, int64_t count, const void* values, const char* what) {
  checkCudnn(cudnnApi().backendSetAttribute(d_, name, type, count, values), what);
}

void BackendDescriptor::finalize(const char* what) { checkCudnn(cudnnApi().backendFinalize(d_), what); }

}  // namespace gsm
