#include "libraries/cudnn_api.h"

#include <algorithm>

#include "core/errors.h"
#include "libraries/shared_library.h"

namespace gsm {
namespace {

CudnnApi load() {
  CudnnApi api;
  std::vector<std::string> candidates = toolkitCandidates({"libcudnn.so.9"});
  candidates.insert(candidates.begin() + 1, "/usr/lib/x86_64-linux-gnu/libcudnn.so.9");  // the Debian/Ubuntu package's
  const OpenedLibrary opened = openFirst(candidates);
  void* lib = opened.handle;
  api.handle = lib;
  api.file = opened.file;
  if (lib == nullptr) {
    api.unavailable = "cuDNN 9 (libcudnn.so.9) could not be loaded (" + opened.tried +
                      "): install cuDNN 9 for CUDA 12/13 or choose another --impl";
    return api;
  }
  std::string missing;
  bindSymbol(lib, api.create, "cudnnCreate", &missing);
  bindSymbol(lib, api.destroy, "cudnnDestroy", &missing);
  bindSymbol(lib, api.setStream, "cudnnSetStream", &missing);
  bindSymbol(lib, api.getErrorString, "cudnnGetErrorString", &missing);
  bindSymbol(lib, api.getVersion, "cudnnGetVersion", &missing);
  bindSymbol(lib, api.createTensorDescriptor, "cudnnCreateTensorDescriptor", &missing);
  bindSymbol(lib, api.setTensor4dDescriptor, "cudnnSetTensor4dDescriptor", &missing);
  bindSymbol(lib, api.destroyTensorDescriptor, "cudnnDestroyTensorDescriptor", &missing);
  bindSymbol(lib, api.createFilterDescriptor, "cudnnCreateFilterDescriptor", &missing);
  bindSymbol(lib, api.setFilter4dDescriptor, "cudnnSetFilter4dDescriptor", &missing);
  bindSymbol(lib, api.destroyFilterDescriptor, "cudnnDestroyFilterDescriptor", &missing);
  bindSymbol(lib, api.createConvolutionDescriptor, "cudnnCreateConvolutionDescriptor", &missing);
  bindSymbol(lib, api.setConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor", &missing);
  bindSymbol(lib, api.setConvolutionMathType, "cudnnSetConvolutionMathType", &missing);
  bindSymbol(lib, api.destroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor", &missing);
  bindSymbol(lib, api.getConvolution2dForwardOutputDim, "cudnnGetConvolution2dForwardOutputDim", &missing);
  bindSymbol(lib, api.findConvolutionForwardAlgorithm, "cudnnFindConvolutionForwardAlgorithm", &missing);
  bindSymbol(lib, api.convolutionForward, "cudnnConvolutionForward", &missing);
  bindSymbol(lib, api.backendCreateDescriptor, "cudnnBackendCreateDescriptor", &missing);
  bindSymbol(lib, api.backendDestroyDescriptor, "cudnnBackendDestroyDescriptor", &missing);
  bindSymbol(lib, api.backendSetAttribute, "cudnnBackendSetAttribute", &missing);
  bindSymbol(lib, api.backendGetAttribute, "cudnnBackendGetAttribute", &missing);
  bindSymbol(lib, api.backendFinalize, "cudnnBackendFinalize", &missing);
  bindSymbol(lib, api.backendExecute, "cudnnBackendExecute", &missing);
  if (!missing.empty()) {
    api.unavailable = "libcudnn.so.9 lacks " + missing + ": cuDNN 9 is required";
    return api;
  }
  // Optional: cuDNN's own explanation of the last failure.
  bindSymbol(lib, api.getLastErrorString, "cudnnGetLastErrorString");
  api.version = api.getVersion();
  return api;
}

}  // namespace

const CudnnApi& cudnnApi() {
  static const CudnnApi api = load();
  if (!api.unavailable.empty()) throw NativeFailure({"ERR_LIBRARY", api.unavailable, "", "dlopen(libcudnn.so.9)"});
  return api;
}

std::string describeCudnn(cudnn::Status status, const char* call) {
  const CudnnApi& api = cudnnApi();
  char last[1024] = {0};
  if (api.getLastErrorString != nullptr) api.getLastErrorString(last, sizeof last);
  std::string message =
      std::string(call) + " failed: " + api.getErrorString(status) + " (" + std::to_string(status) + ")";
  if (last[0] != '\0') message += ": " + std::string(last);
  return message;
}

void checkCudnn(cudnn::Status status, const char* call) {
  if (status == cudnn::kSuccess) return;
  throw NativeFailure({"ERR_LIBRARY", describeCudnn(status, call), "", call});
}

cudaError_t cudnnLaunchResult(cudnn::Status status, const char* call) {
  if (status == cudnn::kSuccess) return cudaSuccess;
  noteLaunchFailure(describeCudnn(status, call));
  const cudaError_t cuda = cudaGetLastError();
  return cuda != cudaSuccess ? cuda : cudaErrorUnknown;
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

BackendDescriptor backendTensor(int64_t uid, int dataType, const std::vector<int64_t>& dims,
                                const std::vector<int64_t>& strides, bool isVirtual, bool byValue) {
  BackendDescriptor t(cudnn::kTensorDescriptor);
  t.set(cudnn::kTensorDataType, cudnn::kTypeDataType, 1, &dataType, "tensor data type");
  t.set(cudnn::kTensorDimensions, cudnn::kTypeInt64, static_cast<int64_t>(dims.size()), dims.data(),
        "tensor dimensions");
  t.set(cudnn::kTensorStrides, cudnn::kTypeInt64, static_cast<int64_t>(strides.size()), strides.data(),
        "tensor strides");
  t.setInt64(cudnn::kTensorUniqueId, uid, "tensor uid");
  t.setInt64(cudnn::kTensorByteAlignment, 16, "tensor alignment");
  const bool v = isVirtual;
  t.set(cudnn::kTensorIsVirtual, cudnn::kTypeBoolean, 1, &v, "tensor virtual");
  if (byValue) {
    const bool b = true;
    t.set(cudnn::kTensorIsByValue, cudnn::kTypeBoolean, 1, &b, "tensor by value");
  }
  t.finalize("cudnnBackendFinalize(tensor)");
  return t;
}

BackendDescriptor operationGraph(cudnn::Handle handle, const std::vector<const BackendDescriptor*>& ops) {
  BackendDescriptor graph(cudnn::kOperationGraphDescriptor);
  graph.set(cudnn::kOperationGraphHandle, cudnn::kTypeHandle, 1, &handle, "graph handle");
  std::vector<cudnn::Descriptor> raw;
  for (const BackendDescriptor* op : ops) raw.push_back(op->get());
  graph.set(cudnn::kOperationGraphOps, cudnn::kTypeBackendDescriptor, static_cast<int64_t>(raw.size()), raw.data(),
            "graph operations");
  graph.finalize("cudnnBackendFinalize(operation graph)");
  return graph;
}

HeuristicConfigs heuristicConfigs(const BackendDescriptor& graph, int mode) {
  HeuristicConfigs h;
  h.heuristics.setDescriptor(cudnn::kEngineHeurOperationGraph, graph, "heuristics graph");
  h.heuristics.set(cudnn::kEngineHeurMode, cudnn::kTypeHeurMode, 1, &mode, "heuristics mode");
  h.heuristics.finalize("cudnnBackendFinalize(engine heuristics)");
  checkCudnn(cudnnApi().backendGetAttribute(h.heuristics.get(), cudnn::kEngineHeurResults,
                                            cudnn::kTypeBackendDescriptor, 0, &h.offered, nullptr),
             "cudnnBackendGetAttribute(engine heuristics results, count)");
  std::vector<cudnn::Descriptor> raw;
  for (int64_t i = 0; i < h.offered; ++i) {
    h.configs.emplace_back(cudnn::kEngineCfgDescriptor);
    raw.push_back(h.configs.back().get());
  }
  int64_t returned = 0;
  if (h.offered > 0) {
    checkCudnn(cudnnApi().backendGetAttribute(h.heuristics.get(), cudnn::kEngineHeurResults,
                                              cudnn::kTypeBackendDescriptor, h.offered, &returned, raw.data()),
               "cudnnBackendGetAttribute(engine heuristics results)");
  }
  while (static_cast<int64_t>(h.configs.size()) > std::min(returned, h.offered)) h.configs.pop_back();
  return h;
}

const char* heurModeName(int mode) {
  switch (mode) {
    case cudnn::kHeurModeInstant: return "mode instant";
    case cudnn::kHeurModeB: return "mode B";
    case cudnn::kHeurModeFallback: return "fallback mode";
    case cudnn::kHeurModeA: return "mode A";
    default: return "mode ?";
  }
}

}  // namespace gsm
