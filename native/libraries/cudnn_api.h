// cuDNN 9, loaded at run time (dlopen of libcudnn.so.9): the build machines have no cudnn.h, so the
// few declarations the conv and attention workloads need are written here, with their values from
// cuDNN 9's public headers (cudnn_graph.h, cudnn_cnn.h). libcudnn.so.9 is cuDNN's front library:
// it exports the whole API and loads the sub-libraries (graph, ops, cnn, engines) itself.
//
// Two APIs are used: the legacy convolution API (descriptors, cudnnFindConvolutionForwardAlgorithm,
// cudnnConvolutionForward: the reference path of cudnn_conv_check), kept by cuDNN 9 in its cnn
// sub-library, and the backend (graph) API for the fused attention and every convolution the
// workloads run, forward and backward (cudnn_conv_graph.h). Failures throw NativeFailure with code
// ERR_LIBRARY, naming the call, the status and cuDNN's own last error message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "libraries/shared_library.h"

namespace gsm {

namespace cudnn {
using Status = int;
using Handle = struct cudnnContext*;
using Descriptor = void*;  // any legacy (tensor, filter, convolution) or backend descriptor

constexpr Status kSuccess = 0;

// cudnnDataType_t
constexpr int kFloat = 0, kInt32 = 4, kBfloat16 = 9, kBoolean = 11;
// cudnnTensorFormat_t, cudnnConvolutionMode_t (also the backend's CONVOLUTION_MODE), cudnnMathType_t
constexpr int kNhwc = 1, kCrossCorrelation = 1, kTensorOpMath = 1;
// cudnnBackendDescriptorType_t
constexpr int kPointwiseDescriptor = 0, kConvolutionDescriptor = 1, kEngineDescriptor = 2, kEngineCfgDescriptor = 3,
              kEngineHeurDescriptor = 4, kExecutionPlanDescriptor = 5, kKnobChoiceDescriptor = 7,
              kOperationConvolutionForwardDescriptor = 10, kOperationConvolutionBackwardFilterDescriptor = 11,
              kOperationConvolutionBackwardDataDescriptor = 12, kOperationPointwiseDescriptor = 13,
              kOperationGraphDescriptor = 15, kVariantPackDescriptor = 16, kTensorDescriptor = 17,
              kMatmulDescriptor = 18, kOperationMatmulDescriptor = 19, kReductionDescriptor = 21,
              kOperationReductionDescriptor = 22,
              kOperationSdpaFwdDescriptor = 41;  // since 9.13
// cudnnBackendAttributeType_t
constexpr int kTypeHandle = 0, kTypeDataType = 1, kTypeBoolean = 2, kTypeInt64 = 3, kTypeFloat = 4, kTypeVoidPtr = 6,
              kTypeConvolutionMode = 7, kTypeHeurMode = 8, kTypeKnobType = 9, kTypePointwiseMode = 14,
              kTypeNumericalNote = 11, kTypeBackendDescriptor = 15, kTypeReductionOperator = 18, kTypeBehaviorNote = 19;
// cudnnBackendAttributeName_t
constexpr int kPointwiseMode = 0, kPointwiseMathPrec = 1, kPointwiseAxis = 9;
constexpr int kConvolutionCompType = 100, kConvolutionConvMode = 101, kConvolutionDilations = 102,
              kConvolutionFilterStrides = 103, kConvolutionPostPaddings = 104, kConvolutionPrePaddings = 105,
              kConvolutionSpatialDims = 106;
constexpr int kEngineHeurMode = 200, kEngineHeurOperationGraph = 201, kEngineHeurResults = 202;
constexpr int kEngineCfgEngine = 300, kEngineCfgKnobChoices = 302;
constexpr int kExecutionPlanHandle = 400, kExecutionPlanEngineConfig = 401, kExecutionPlanWorkspaceSize = 402;
constexpr int kKnobChoiceKnobType = 600, kKnobChoiceKnobValue = 601;
constexpr int kOperationConvolutionForwardAlpha = 700, kOperationConvolutionForwardBeta = 701,
              kOperationConvolutionForwardConvDesc = 702, kOperationConvolutionForwardW = 703,
              kOperationConvolutionForwardX = 704, kOperationConvolutionForwardY = 705,
              kOperationConvolutionBwdDataAlpha = 706, kOperationConvolutionBwdDataBeta = 707,
              kOperationConvolutionBwdDataConvDesc = 708, kOperationConvolutionBwdDataW = 709,
              kOperationConvolutionBwdDataDx = 710, kOperationConvolutionBwdDataDy = 711,
              kOperationConvolutionBwdFilterAlpha = 712, kOperationConvolutionBwdFilterBeta = 713,
              kOperationConvolutionBwdFilterConvDesc = 714, kOperationConvolutionBwdFilterDw = 715,
              kOperationConvolutionBwdFilterX = 716, kOperationConvolutionBwdFilterDy = 717;
constexpr int kOperationPointwisePwDescriptor = 750, kOperationPointwiseX = 751, kOperationPointwiseB = 752,
              kOperationPointwiseY = 753, kOperationPointwiseT = 758;
constexpr int kOperationGraphHandle = 800, kOperationGraphOps = 801;
constexpr int kTensorByteAlignment = 900, kTensorDataType = 901, kTensorDimensions = 902, kTensorStrides = 903,
              kTensorUniqueId = 906, kTensorIsVirtual = 907, kTensorIsByValue = 908;
constexpr int kVariantPackUniqueIds = 1000, kVariantPackDataPointers = 1001, kVariantPackWorkspace = 1003;
constexpr int kEngineGlobalIndex = 1301, kEngineNumericalNote = 1303, kEngineBehaviorNote = 1305;
constexpr int kMatmulCompType = 1500, kOperationMatmulA = 1520, kOperationMatmulB = 1521, kOperationMatmulC = 1522,
              kOperationMatmulDesc = 1523;
constexpr int kReductionOperator = 1600, kReductionCompType = 1601, kOperationReductionX = 1610,
              kOperationReductionY = 1611, kOperationReductionDesc = 1612;
constexpr int kSdpaFwdQ = 2800, kSdpaFwdK = 2801, kSdpaFwdV = 2802, kSdpaFwdO = 2803, kSdpaFwdScale = 2805;
// cudnnPointwiseMode_t, cudnnReduceTensorOp_t, cudnnBackendHeurMode_t
constexpr int kPointwiseMul = 1, kPointwiseDiv = 6, kPointwiseSub = 9, kPointwiseExp = 13, kPointwiseCmpGe = 303,
              kPointwiseGenIndex = 501, kPointwiseBinarySelect = 601;
constexpr int kReduceAdd = 0, kReduceMax = 3;
constexpr int kHeurModeInstant = 0, kHeurModeB = 1, kHeurModeFallback = 2, kHeurModeA = 3;
// cudnnBackendBehaviorNote_t
constexpr int kBehaviorNoteRuntimeCompilation = 0;
constexpr int kNumericalNoteReducedPrecisionReduction = 2;

// cudnnConvolutionFwdAlgoPerf_t
struct ConvFwdAlgoPerf {
  int algo;
  Status status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
};
}  // namespace cudnn

struct CudnnApi : LoadedLibrary {  // `unavailable` is empty when loaded
  size_t version = 0;  // cudnnGetVersion(), e.g. 91400
  cudnn::Status (*create)(cudnn::Handle*) = nullptr;
  cudnn::Status (*destroy)(cudnn::Handle) = nullptr;
  cudnn::Status (*setStream)(cudnn::Handle, cudaStream_t) = nullptr;
  const char* (*getErrorString)(cudnn::Status) = nullptr;
  void (*getLastErrorString)(char*, size_t) = nullptr;
  size_t (*getVersion)() = nullptr;
  // legacy convolution API
  cudnn::Status (*createTensorDescriptor)(cudnn::Descriptor*) = nullptr;
  cudnn::Status (*setTensor4dDescriptor)(cudnn::Descriptor, int format, int dataType, int n, int c, int h,
                                         int w) = nullptr;
  cudnn::Status (*destroyTensorDescriptor)(cudnn::Descriptor) = nullptr;
  cudnn::Status (*createFilterDescriptor)(cudnn::Descriptor*) = nullptr;
  cudnn::Status (*setFilter4dDescriptor)(cudnn::Descriptor, int dataType, int format, int k, int c, int h,
                                         int w) = nullptr;
  cudnn::Status (*destroyFilterDescriptor)(cudnn::Descriptor) = nullptr;
  cudnn::Status (*createConvolutionDescriptor)(cudnn::Descriptor*) = nullptr;
  cudnn::Status (*setConvolution2dDescriptor)(cudnn::Descriptor, int padH, int padW, int strideH, int strideW,
                                              int dilationH, int dilationW, int mode, int computeType) = nullptr;
  cudnn::Status (*setConvolutionMathType)(cudnn::Descriptor, int mathType) = nullptr;
  cudnn::Status (*destroyConvolutionDescriptor)(cudnn::Descriptor) = nullptr;
  cudnn::Status (*getConvolution2dForwardOutputDim)(cudnn::Descriptor conv, cudnn::Descriptor x, cudnn::Descriptor w,
                                                    int* n, int* c, int* h, int* width) = nullptr;
  cudnn::Status (*findConvolutionForwardAlgorithm)(cudnn::Handle, cudnn::Descriptor x, cudnn::Descriptor w,
                                                   cudnn::Descriptor conv, cudnn::Descriptor y, int requested,
                                                   int* returned, cudnn::ConvFwdAlgoPerf* results) = nullptr;
  cudnn::Status (*convolutionForward)(cudnn::Handle, const void* alpha, cudnn::Descriptor xDesc, const void* x,
                                      cudnn::Descriptor wDesc, const void* w, cudnn::Descriptor conv, int algo,
                                      void* workspace, size_t workspaceBytes, const void* beta, cudnn::Descriptor yDesc,
                                      void* y) = nullptr;
  // backend (graph) API
  cudnn::Status (*backendCreateDescriptor)(int type, cudnn::Descriptor*) = nullptr;
  cudnn::Status (*backendDestroyDescriptor)(cudnn::Descriptor) = nullptr;
  cudnn::Status (*backendSetAttribute)(cudnn::Descriptor, int name, int type, int64_t count,
                                       const void* values) = nullptr;
  cudnn::Status (*backendGetAttribute)(cudnn::Descriptor, int name, int type, int64_t requested, int64_t* returned,
                                       void* values) = nullptr;
  cudnn::Status (*backendFinalize)(cudnn::Descriptor) = nullptr;
  cudnn::Status (*backendExecute)(cudnn::Handle, cudnn::Descriptor plan, cudnn::Descriptor variantPack) = nullptr;
};

// Loads libcudnn.so.9 once per process; throws NativeFailure (ERR_LIBRARY) naming the library when
// it cannot be loaded or lacks a function.
const CudnnApi& cudnnApi();

// "CALL failed: CUDNN_STATUS_... (n): cuDNN's last error message".
std::string describeCudnn(cudnn::Status status, const char* call);
// Throws NativeFailure (ERR_LIBRARY) when `status` is not success: the call, cuDNN's status string
// and its last error message.
void checkCudnn(cudnn::Status status, const char* call);
// What a workload's launch() returns for a cuDNN call: the CUDA error behind a failure if there is
// one, else cudaErrorUnknown, with what cuDNN said noted for its message (noteLaunchFailure).
cudaError_t cudnnLaunchResult(cudnn::Status status, const char* call);

// One backend descriptor, destroyed with its owner.
class BackendDescriptor {
 public:
  explicit BackendDescriptor(int type);
  ~BackendDescriptor();
  BackendDescriptor(const BackendDescriptor&) = delete;
  BackendDescriptor& operator=(const BackendDescriptor&) = delete;
  BackendDescriptor(BackendDescriptor&& other) noexcept : d_(other.d_) { other.d_ = nullptr; }

  void set(int name, int type, int64_t count, const void* values, const char* what);
  void setInt64(int name, int64_t v, const char* what) { set(name, cudnn::kTypeInt64, 1, &v, what); }
  void setDescriptor(int name, const BackendDescriptor& other, const char* what) {
    cudnn::Descriptor d = other.get();
    set(name, cudnn::kTypeBackendDescriptor, 1, &d, what);
  }
  void finalize(const char* what);
  cudnn::Descriptor get() const { return d_; }

 private:
  cudnn::Descriptor d_ = nullptr;
};

// ---- the graph API's common steps (the attention graphs and the convolution graph) ----

// A finalized tensor descriptor: `dims` and `strides` (elements) in cuDNN's order, 16-byte aligned base.
BackendDescriptor backendTensor(int64_t uid, int dataType, const std::vector<int64_t>& dims,
                                const std::vector<int64_t>& strides, bool isVirtual, bool byValue = false);
// A finalized operation graph of `ops` (finalized operations) on `handle`.
BackendDescriptor operationGraph(cudnn::Handle handle, const std::vector<const BackendDescriptor*>& ops);
// What engine heuristics `mode` (cudnn::kHeurMode*) returns for a finalized graph: its descriptor,
// the engine configurations in its order of preference, and how many it offered.
struct HeuristicConfigs {
  BackendDescriptor heuristics{cudnn::kEngineHeurDescriptor};
  std::vector<BackendDescriptor> configs;
  int64_t offered = 0;
};
HeuristicConfigs heuristicConfigs(const BackendDescriptor& graph, int mode);
// "mode A" and the like, for messages.
const char* heurModeName(int mode);

}  // namespace gsm

#define GSM_CUDNN(call) ::gsm::checkCudnn((call), #call)
