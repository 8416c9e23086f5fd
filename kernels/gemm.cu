// gemm: which path a device and shape get (see launch.h), and the dispatch to it.
#include "gemm_internal.h"

namespace gsm {

namespace {

using gemm::ceilDiv;

bool wgmmaShapeOk(const GemmShape& s) {
  switch (s.dtype) {
    case GemmDtype::Bf16:
    case GemmDtype::Fp16: return s.k % 8 == 0 && s.n % 8 == 0;  // TMA: 16-byte row strides
    case GemmDtype::Tf32: return s.k % 4 == 0;                  // A's rows; B is transposed into the workspace
    default: return false;
  }
}

}  // namespace

const char* gemmPathName(GemmPath path) {
  switch (path) {
    case GemmPath::Wgmma: return "wgmma";
    case GemmPath::Mma: return "mma";
    case GemmPath::Simt: return "simt";
    default: return "auto";
  }
}

cudaError_t planGemm(const GemmShape& shape, const GemmOptions& options, int device, cudaStream_t stream,
                     GemmPlan* plan) {
  *plan = GemmPlan{};
  plan->shape = shape;
  if (shape.m < 1 || shape.n < 1 || shape.k < 1) return cudaErrorInvalidValue;
  int major = 0, minor = 0;
  cudaError_t e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  if (e != cudaSuccess) return e;

  if (shape.dtype == GemmDtype::Fp32) {
    if (options.path != GemmPath::Auto && options.path != GemmPath::Simt) {
      plan->reason = "fp32 runs only on the SIMT path (fp32 arithmetic, no tensor cores)";
      return cudaErrorNotSupported;
    }
    plan->path = GemmPath::Simt;
    plan->reason = "fp32 arithmetic: SIMT";
  } else {
    bool hopper = false;
    if (options.path == GemmPath::Auto || options.path == GemmPath::Wgmma) {
      e = sm90aAvailable(device, stream, &hopper);
      if (e != cudaSuccess) return e;
    }
    if (hopper && wgmmaShapeOk(shape)) {
      plan->path = GemmPath::Wgmma;
      plan->reason = "Hopper: wgmma with TMA";
    } else if (options.path == GemmPath::Wgmma) {
      plan->reason = hopper ? "wgmma needs 16-byte rows: bf16/fp16 need k and n multiples of 8, tf32 k a multiple of 4"
                            : "wgmma needs compute capability 9.0 and sm_90a code in this build";
      return cudaErrorNotSupported;
    } else if (options.path == GemmPath::Simt) {
      plan->reason = "the SIMT path computes fp32 only";
      return cudaErrorNotSupported;
    } else if (major >= 8) {
      plan->path = GemmPath::Mma;
      plan->reason = hopper ? "mma.sync: rows not 16-byte multiples, so no TMA"
                            : (options.path == GemmPath::Mma ? "mma.sync (asked for)"
                                                             : "mma.sync: no wgmma on this device or build");
    } else {
      plan->reason = "bf16, fp16 and tf32 need tensor cores of compute capability 8.0 or newer";
      return cudaErrorNoKernelImageForDevice;
    }
  }

  switch (plan->path) {
    case GemmPath::Wgmma: {
      // Clusters of two sharing B by multicast are correct but measured slower on the H200 (about
      // 430 against 740 TFLOP/s, bf16 4096³, 2026-11-29; cause not established): one CTA by default.
      plan->clusterM = options.clusterM == 2 ? 2 : 1;
      plan->groupRows = options.groupRows > 0 ? options.groupRows : 8;
      plan->sms = options.sms > 0 ? options.sms : 0;
      const int tilesM = ceilDiv(shape.m, gemm::kWgmmaTileM), tilesN = ceilDiv(shape.n, gemm::kWgmmaTileN);
      if (plan->clusterM > 1 && tilesM < 2) plan->clusterM = 1;  // nothing to share
      plan->traceRecords = tilesM * tilesN;
      plan->sharedBytes = gemm::kWgmmaSharedBytes;
      plan->workspaceBytes =
          shape.dtype == GemmDtype::Tf32 ? static_cast<size_t>(shape.n) * shape.k * sizeof(float) : 0;
      e = gemm::wgmmaGrid(*plan, device, &plan->grid);
      if (e == cudaErrorNotSupported && plan->clusterM > 1) {  // no cluster of two fits: go alone
        cudaGetLastError();
        plan->clusterM = 1;
        e = gemm::wgmmaGrid(*plan, device, &plan->grid);
      }
      return e;
    }
    case GemmPath::Mma:
      plan->grid = ceilDiv(shape.m, gemm::kMmaTileM) * ceilDiv(shape.n, gemm::kMmaTileN);
      plan->traceRecords = plan->grid;
      return cudaSuccess;
    default:
      plan->grid = ceilDiv(shape.m, gemm::kSimtTileM) * ceilDiv(shape.n, gemm::kSimtTileN);
      plan->traceRecords = plan->grid;
      return cudaSuccess;
  }
}

cudaError_t bindGemm(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode) {
  if (plan->path != GemmPath::Wgmma) return cudaSuccess;
  return gemm::bindWgmma(plan, a, b, workspace, encode);
}

cudaError_t launchGemm(const GemmPlan& plan, const void* a, const void* b, float* c, void* workspace, Interval* trace,
                       cudaStream_t stream) {
  switch (plan.path) {
    case GemmPath::Wgmma: return gemm::launchWgmma(plan, b, c, workspace, trace, stream);
    case GemmPath::Mma: return gemm::launchMma(plan, a, b, c, trace, stream);
    case GemmPath::Simt:
      return gemm::launchSimt(plan, static_cast<const float*>(a), static_cast<const float*>(b), c, trace, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace gsm
