#include "libraries/cublaslt.h"

#include "libraries/shared_library.h"

#include <algorithm>
#include <iterator>
#include <cstdlib>
#include <mutex>
#include <vector>
#include <library_types.h>  // cudaDataType (part of the CUDA runtime headers)

namespace gsm {
namespace {

// The few cuBLASLt declarations this file needs (cublasLt.h is not on every build machine). Values
// from the cuBLAS documentation's cublasComputeType_t, cublasLtMatmulPreferenceAttributes_t and
// cublasLtMatmulHeuristicResult_t.
using Status = int;  // cublasStatus_t; 0 is CUBLAS_STATUS_SUCCESS
constexpr Status kSuccess = 0;
constexpr int kCompute32F = 68;          // CUBLAS_COMPUTE_32F
constexpr int kCompute32FFastTf32 = 77;  // CUBLAS_COMPUTE_32F_FAST_TF32
constexpr int kPrefMaxWorkspaceBytes = 1;  // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES (uint64_t)
constexpr int kDescTransA = 3;             // CUBLASLT_MATMUL_DESC_TRANSA (int32_t cublasOperation_t)
constexpr int kDescTransB = 4;             // CUBLASLT_MATMUL_DESC_TRANSB
constexpr int32_t kOpN = 0, kOpT = 1;      // CUBLAS_OP_N, CUBLAS_OP_T
constexpr int kLayoutBatchCount = 5;       // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT (int32_t)
constexpr int kLayoutBatchStride = 6;      // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET (int64_t, elements)

struct HeuristicResult {  // cublasLtMatmulHeuristicResult_t
  uint64_t algo[8];
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(HeuristicResult) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

struct Api : LoadedLibrary {  // `unavailable` is empty when loaded with every function
  Status (*create)(void**) = nullptr;
  Status (*destroy)(void*) = nullptr;
  Status (*descCreate)(void**, int, cudaDataType) = nullptr;
  Status (*descDestroy)(void*) = nullptr;
  Status (*descSetAttribute)(void*, int, const void*, size_t) = nullptr;
  Status (*layoutCreate)(void**, cudaDataType, uint64_t, uint64_t, int64_t) = nullptr;
  Status (*layoutDestroy)(void*) = nullptr;
  Status (*layoutSetAttribute)(void*, int, const void*, size_t) = nullptr;
  Status (*prefCreate)(void**) = nullptr;
  Status (*prefDestroy)(void*) = nullptr;
  Status (*prefSetAttribute)(void*, int, const void*, size_t) = nullptr;
  Status (*heuristic)(void*, void*, void*, void*, void*, void*, void*, int, HeuristicResult*, int*) = nullptr;
  Status (*matmul)(void*, void*, const void*, const void*, void*, const void*, void*, const void*, const void*, void*,
                   void*, void*, const void*, void*, size_t, cudaStream_t) = nullptr;
  const char* (*statusName)(Status) = nullptr;
};

template <typename F>
bool bind(Api& api, F& fn, const char* symbol) {
  const bool found = bindSymbol(api.handle, fn, symbol);
  if (!found && api.unavailable.empty()) api.unavailable = api.file + " lacks " + symbol + ": the library is too old";
  return found;
}

Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    const OpenedLibrary opened =
        openFirst(toolkitCandidates({"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"}));
    a.handle = opened.handle;
    a.file = opened.file;
    if (a.handle == nullptr) {
      a.unavailable = "cuBLASLt (libcublasLt.so) could not be loaded: tried " + opened.tried +
                      ". Install the CUDA toolkit's cuBLAS (e.g. the libcublas-13-0 or cuda-libraries-13-0 "
                      "package, or pip's nvidia-cublas) and put its lib directory on LD_LIBRARY_PATH";
      return;
    }
    bool ok = bind(a, a.create, "cublasLtCreate") && bind(a, a.destroy, "cublasLtDestroy") &&
              bind(a, a.descCreate, "cublasLtMatmulDescCreate") &&
              bind(a, a.descDestroy, "cublasLtMatmulDescDestroy") &&
              bind(a, a.descSetAttribute, "cublasLtMatmulDescSetAttribute") &&
              bind(a, a.layoutCreate, "cublasLtMatrixLayoutCreate") &&
              bind(a, a.layoutDestroy, "cublasLtMatrixLayoutDestroy") &&
              bind(a, a.layoutSetAttribute, "cublasLtMatrixLayoutSetAttribute") &&
              bind(a, a.prefCreate, "cublasLtMatmulPreferenceCreate") &&
              bind(a, a.prefDestroy, "cublasLtMatmulPreferenceDestroy") &&
              bind(a, a.prefSetAttribute, "cublasLtMatmulPreferenceSetAttribute") &&
              bind(a, a.heuristic, "cublasLtMatmulAlgoGetHeuristic") && bind(a, a.matmul, "cublasLtMatmul");
    bindSymbol(a.handle, a.statusName, "cublasLtGetStatusName");  // optional: names are nicer than numbers
    if (!ok) closeLibrary(a);
  });
  return a;
}

cudaDataType inputType(GemmDtype d) {
  switch (d) {
    case GemmDtype::Bf16: return CUDA_R_16BF;
    case GemmDtype::Fp16: return CUDA_R_16F;
    default: return CUDA_R_32F;
  }
}

}  // namespace

std::string CublasLtGemm::libraryFile() { return api().file; }

std::string CublasLtGemm::statusName(int status) {
  const Api& a = api();
  if (a.statusName != nullptr) {
    if (const char* name = a.statusName(status)) return name;
  }
  return "cublasStatus " + std::to_string(status);
}

bool CublasLtGemm::create(const GemmShape& shape, size_t workspaceLimit, std::string& error, bool& libraryMissing) {
  destroy();
  Api& a = api();
  libraryMissing = a.handle == nullptr;
  if (libraryMissing) {
    error = a.unavailable;
    return false;
  }
  const bool sixteenBit = shape.dtype == GemmDtype::Bf16 || shape.dtype == GemmDtype::Fp16;
  if (shape.m < 1 || shape.n < 1 || shape.k < 1 || shape.batch < 1 || shape.strideA < 0 || shape.strideB < 0 ||
      shape.strideC < 0) {
    error = "cuBLASLt gemm needs m, n, k, batch >= 1 and strides >= 0";
    return false;
  }
  if (shape.out == GemmOut::Bf16 && (!sixteenBit || shape.accumulate)) {
    error = "cuBLASLt gemm: bf16 C needs bf16 or fp16 operands and no accumulate (as the own gemm)";
    return false;
  }
  alpha_ = shape.alpha;
  beta_ = shape.accumulate ? 1.0f : 0.0f;
  auto fail = [&](const char* call, Status s) {
    error = std::string(call) + " failed: " + statusName(s);
    destroy();
    return false;
  };
  Status s = a.create(&handle_);
  if (s != kSuccess) return fail("cublasLtCreate", s);
  const int compute = shape.dtype == GemmDtype::Tf32 ? kCompute32FFastTf32 : kCompute32F;
  s = a.descCreate(&desc_, compute, CUDA_R_32F);
  if (s != kSuccess) return fail("cublasLtMatmulDescCreate", s);
  // cuBLASLt is column-major, and a row-major [r, c] matrix is the column-major [c, r] one (leading
  // dimension c). So row-major C = op(A) op(B) is column-major C^T [n, m] = op(B)^T op(A)^T, with
  // cuBLASLt's first operand our B and its second our A:
  //   B [k, n] read column-major is B^T [n, k] already (no transpose); B^T stored [n, k] read
  //   column-major is [k, n], transposed by cuBLASLt (op T). Likewise A [m, k] is A^T [k, m] as is,
  //   and A^T stored [k, m] is [m, k], op T.
  const int32_t opFirst = shape.transB ? kOpT : kOpN, opSecond = shape.transA ? kOpT : kOpN;
  s = a.descSetAttribute(desc_, kDescTransA, &opFirst, sizeof opFirst);
  if (s == kSuccess) s = a.descSetAttribute(desc_, kDescTransB, &opSecond, sizeof opSecond);
  if (s != kSuccess) return fail("cublasLtMatmulDescSetAttribute", s);
  const cudaDataType in = inputType(shape.dtype);
  const uint64_t m = shape.m, n = shape.n, k = shape.k;
  const uint64_t rowsFirst = shape.transB ? k : n, colsFirst = shape.transB ? n : k;
  const uint64_t rowsSecond = shape.transA ? m : k, colsSecond = shape.transA ? k : m;
  s = a.layoutCreate(&layoutA_, in, rowsFirst, colsFirst, static_cast<int64_t>(rowsFirst));
  if (s != kSuccess) return fail("cublasLtMatrixLayoutCreate", s);
  s = a.layoutCreate(&layoutB_, in, rowsSecond, colsSecond, static_cast<int64_t>(rowsSecond));
  if (s != kSuccess) return fail("cublasLtMatrixLayoutCreate", s);
  const cudaDataType out = shape.out == GemmOut::Bf16 ? CUDA_R_16BF : CUDA_R_32F;
  s = a.layoutCreate(&layoutC_, out, n, m, static_cast<int64_t>(n));
  if (s != kSuccess) return fail("cublasLtMatrixLayoutCreate", s);
  if (shape.batch > 1) {
    // Strides in elements, 0 meaning packed (as launch.h says); the first operand is our B.
    const int32_t count = shape.batch;
    const int64_t strides[3] = {shape.strideB > 0 ? shape.strideB : static_cast<int64_t>(k * n),
                                shape.strideA > 0 ? shape.strideA : static_cast<int64_t>(m * k),
                                shape.strideC > 0 ? shape.strideC : static_cast<int64_t>(m * n)};
    void* layouts[3] = {layoutA_, layoutB_, layoutC_};
    for (int i = 0; i < 3 && s == kSuccess; ++i) {
      s = a.layoutSetAttribute(layouts[i], kLayoutBatchCount, &count, sizeof count);
      if (s == kSuccess) s = a.layoutSetAttribute(layouts[i], kLayoutBatchStride, &strides[i], sizeof strides[i]);
    }
    if (s != kSuccess) return fail("cublasLtMatrixLayoutSetAttribute", s);
  }

  void* pref = nullptr;
  s = a.prefCreate(&pref);
  if (s != kSuccess) return fail("cublasLtMatmulPreferenceCreate", s);
  const uint64_t limit = workspaceLimit;
  s = a.prefSetAttribute(pref, kPrefMaxWorkspaceBytes, &limit, sizeof limit);
  HeuristicResult results[8] = {};
  int found = 0;
  if (s == kSuccess) {
    s = a.heuristic(handle_, desc_, layoutA_, layoutB_, layoutC_, layoutC_, pref, 8, results, &found);
  }
  a.prefDestroy(pref);
  if (s != kSuccess) return fail("cublasLtMatmulAlgoGetHeuristic", s);
  for (int i = 0; i < found; ++i) {
    if (results[i].state != kSuccess) continue;
    std::copy(std::begin(results[i].algo), std::end(results[i].algo), algo_);
    workspaceBytes_ = results[i].workspaceSize;
    return true;
  }
  error = "cuBLASLt has no algorithm for this problem (cublasLtMatmulAlgoGetHeuristic found none)";
  destroy();
  return false;
}

int CublasLtGemm::run(const void* a, const void* b, void* c, void* workspace, cudaStream_t stream) const {
  // Operand order per the column-major view above: first B, then A. C is both the input (beta) and
  // the output.
  return api().matmul(handle_, desc_, &alpha_, b, layoutA_, a, layoutB_, &beta_, c, layoutC_, c, layoutC_, algo_,
                      workspace, workspaceBytes_, stream);
}

void CublasLtGemm::destroy() noexcept {
  Api& a = api();
  if (a.handle == nullptr) return;
  if (layoutA_ != nullptr) a.layoutDestroy(layoutA_);
  if (layoutB_ != nullptr) a.layoutDestroy(layoutB_);
  if (layoutC_ != nullptr) a.layoutDestroy(layoutC_);
  if (desc_ != nullptr) a.descDestroy(desc_);
  if (handle_ != nullptr) a.destroy(handle_);
  layoutA_ = layoutB_ = layoutC_ = desc_ = handle_ = nullptr;
  workspaceBytes_ = 0;
}

}  // namespace gsm
