// gemm: which path a device and shape get (see launch.h), and the dispatch to it.
#include "gemm_internal.h"

namespace gsm {

namespace {

using gemm::ceilDiv;

bool sixteenBit(GemmDtype d) { return d == GemmDtype::Bf16 || d == GemmDtype::Fp16; }

// TMA needs every row it reads to be a multiple of 16 bytes long, and (batched) every batch's start.
// 16-bit operands are read as stored (wgmma transposes them); tf32 ones K-major only, so A^T and B
// are first transposed into the packed workspace and only A and B^T are read in place.
bool wgmmaShapeOk(const GemmShape& s) {
  const gemm::Strides st = gemm::batchStrides(s);
  const bool batched = s.batch > 1;
  switch (s.dtype) {
    case GemmDtype::Bf16:
    case GemmDtype::Fp16: {
      const int rowA = s.transA ? s.m : s.k, rowB = s.transB ? s.k : s.n;
      return rowA % 8 == 0 && rowB % 8 == 0 && (!batched || (st.a % 8 == 0 && st.b % 8 == 0));
    }
    case GemmDtype::Tf32:
      return s.k % 4 == 0 && (!batched || ((s.transA || st.a % 4 == 0) && (!s.transB || st.b % 4 == 0)));
    default: return false;
  }
}

// The skinny kernel reads rows of B (B^T's rows of k, or B's rows of n) in 16-byte pieces.
bool skinnyShapeOk(const GemmShape& s) {
  const gemm::Strides st = gemm::batchStrides(s);
  const int rowB = s.transB ? s.k : s.n;
  return s.dtype == GemmDtype::Bf16 && s.m <= kSkinnyMaxM && rowB % 8 == 0 && (s.batch == 1 || st.b % 8 == 0);
}

// Where the skinny path beats the tile kernels (kernels/gemm_skinny*.cu): with B^T (y = x W^T, the
// decode step's product) and few rows, a 128-row tile wastes most of its tensor-core work and, with
// few tiles along n, most SMs (n = 4096: 16 wgmma tiles), while the skinny kernels spread n over
// every SM and stream B once. With B as stored [k, n] its CTAs cover 256 columns each (n / 256 of
// them, fewer loads in flight than the wgmma pipeline), so it runs there only when asked.
// kSkinnyAutoMaxM: the most rows auto sends there. The tensor-core skinny kernel may well beat the
// tile path up to kSkinnyMaxM (its work per byte of B is tiny), but that is not measured yet: 16
// (where the FFMA kernel was chosen) until the decode bench says otherwise.
constexpr int kSkinnyAutoMaxM = 16;
bool skinnyPreferred(const GemmShape& s) { return skinnyShapeOk(s) && s.transB && s.m <= kSkinnyAutoMaxM; }

// Which skinny kernel: the FFMA kernel does m FMA per bf16 of B (plus unpacking), which from about
// 8 rows takes the FP32 pipes longer than DRAM takes to deliver B (H200: twice the 1-row time at 8
// rows); the tensor-core kernel takes B^T only. kSkinnyMmaMinM: the fewest rows of A auto gives to
// the tensor-core kernel (at 1 row FFMA was measured near DRAM speed, and the mma kernel would use
// 1 or 2 of each n8 tile's 8 columns); change it after measuring `gemm_check decode`.
constexpr int kSkinnyMmaMinM = 3;
cudaError_t chooseSkinnyKernel(const GemmShape& s, SkinnyKernel asked, GemmPlan* plan) {
  switch (asked) {
    case SkinnyKernel::Ffma: plan->skinnyMma = false; return cudaSuccess;
    case SkinnyKernel::Mma:
      if (!gemm::skinnyMmaFits(s)) {
        plan->reason = "the tensor-core skinny kernel needs B^T [n, k] (transB)";
        return cudaErrorNotSupported;
      }
      plan->skinnyMma = true;
      return cudaSuccess;
    default: plan->skinnyMma = gemm::skinnyMmaFits(s) && !s.transA && s.m >= kSkinnyMmaMinM; return cudaSuccess;
  }
}

// The wgmma tile's width. A 128x256 tile does 4 MFLOP per 64-deep block of K, about half a
// microsecond of one SM's tensor cores, so a product of few wide tiles runs on few SMs for as many
// blocks as K has (BERT-base at batch 1: 3 to 12 wide tiles for 132 SMs, K = 768 or 3072). Where
// the wide tiles would keep at most half the SMs busy, 16-bit products of at least 128 rows take
// 128x64 tiles: four times the CTAs, each streaming a quarter of the B columns. With fewer rows a
// narrow tile spends most of its loads on A's padding (TMA's zero rows): a decode step's 32 rows ran
// slower on it than on the wide tile split K (gemm_check splits on the H200, 2026-12-02:
// 32x12288x4096 57.8 us against 43.5, 32x4096x11008 48.0 against 38.4; BERT's products at batch 1
// and 4, 128 and 512 rows, 1.2 to 1.8 times faster narrow). Clusters keep the wide tile (they
// share B's boxes between two CTAs); tf32 has only the wide one.
cudaError_t chooseTileN(const GemmShape& s, const GemmOptions& options, int wideUnits, int sms, GemmPlan* plan) {
  const bool narrowFits = sixteenBit(s.dtype) && plan->clusterM == 1;
  const bool narrowPays = wideUnits * 2 <= sms && s.m >= gemm::kWgmmaTileM;
  switch (options.tileN) {
    case 0: plan->tileN = narrowFits && narrowPays ? gemm::kWgmmaNarrowN : gemm::kWgmmaWideN; break;
    case gemm::kWgmmaWideN: plan->tileN = gemm::kWgmmaWideN; break;
    case gemm::kWgmmaNarrowN:
      if (!narrowFits) {
        plan->reason = "the 128x64 wgmma tile needs bf16 or fp16 operands and no clusters";
        return cudaErrorNotSupported;
      }
      plan->tileN = gemm::kWgmmaNarrowN;
      break;
    default: plan->reason = "the wgmma tile is 64 or 256 columns wide"; return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}

// Rejects what no path computes; sets the reason.
cudaError_t validate(const GemmShape& s, GemmPlan* plan) {
  if (s.m < 1 || s.n < 1 || s.k < 1 || s.batch < 1 || s.batch > 65535 || s.strideA < 0 || s.strideB < 0 ||
      s.strideC < 0) {
    plan->reason = "gemm needs m, n, k >= 1, 1 <= batch <= 65535 and strides >= 0";
    return cudaErrorInvalidValue;
  }
  if (s.out == GemmOut::Bf16 && !sixteenBit(s.dtype)) {
    plan->reason = "bf16 C needs bf16 or fp16 operands";
    return cudaErrorNotSupported;
  }
  if (s.out == GemmOut::Bf16 && s.accumulate) {
    plan->reason = "accumulate needs fp32 C";
    return cudaErrorNotSupported;
  }
  if (s.accumulate && (s.bias || s.act != Activation::None)) {
    plan->reason = "a bias or activation in the epilogue does not combine with accumulate";
    return cudaErrorNotSupported;
  }
  if (static_cast<int>(s.act) < 0 || static_cast<int>(s.act) > static_cast<int>(Activation::Relu)) {
    plan->reason = "unknown activation";
    return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}

// Chooses the path of a tensor-core dtype (bf16, fp16, tf32); sets plan->path and plan->reason.
cudaError_t choosePath(const GemmShape& shape, const GemmOptions& options, int device, cudaStream_t stream, int major,
                       GemmPlan* plan) {
  if (options.path == GemmPath::Simt) {
    plan->reason = "the SIMT path computes fp32 only";
    return cudaErrorNotSupported;
  }
  if (major < 8) {
    plan->reason = "bf16, fp16 and tf32 need tensor cores of compute capability 8.0 or newer";
    return cudaErrorNoKernelImageForDevice;
  }
  if (options.path == GemmPath::Skinny) {
    if (!skinnyShapeOk(shape)) {
      plan->reason = "the skinny path needs bf16, m <= 64 and 16-byte rows of B (n, or with transB k, a multiple of 8)";
      return cudaErrorNotSupported;
    }
    plan->path = GemmPath::Skinny;
    const cudaError_t e = chooseSkinnyKernel(shape, options.skinny, plan);
    if (e == cudaSuccess)
      plan->reason = plan->skinnyMma ? "skinny, tensor cores (asked for)" : "skinny, FFMA (asked for)";
    return e;
  }
  if (options.path == GemmPath::Auto && skinnyPreferred(shape)) {
    plan->path = GemmPath::Skinny;
    const cudaError_t e = chooseSkinnyKernel(shape, options.skinny, plan);
    if (e == cudaSuccess) {
      plan->reason = plan->skinnyMma ? "few rows: skinny on tensor cores (B streamed once over every SM)"
                                     : "few rows: skinny FFMA (B streamed once over every SM)";
    }
    return e;
  }
  bool hopper = false;
  if (options.path == GemmPath::Auto || options.path == GemmPath::Wgmma) {
    const cudaError_t e = sm90aAvailable(device, stream, &hopper);
    if (e != cudaSuccess) return e;
  }
  if (hopper && wgmmaShapeOk(shape)) {
    plan->path = GemmPath::Wgmma;
    plan->reason = "Hopper: wgmma with TMA";
  } else if (options.path == GemmPath::Wgmma) {
    plan->reason = hopper ? "wgmma needs 16-byte rows as stored (bf16/fp16: row lengths and batch strides multiples "
                            "of 8; tf32: k and the in-place operands' batch strides multiples of 4)"
                          : "wgmma needs compute capability 9.0 and sm_90a code in this build";
    return cudaErrorNotSupported;
  } else {
    plan->path = GemmPath::Mma;
    plan->reason = hopper ? "mma.sync: rows not 16-byte multiples, so no TMA"
                          : (options.path == GemmPath::Mma ? "mma.sync (asked for)"
                                                           : "mma.sync: no wgmma on this device or build");
  }
  return cudaSuccess;
}

}  // namespace

const char* gemmPathName(GemmPath path) {
  switch (path) {
    case GemmPath::Wgmma: return "wgmma";
    case GemmPath::Mma: return "mma";
    case GemmPath::Simt: return "simt";
    case GemmPath::Skinny: return "skinny";
    default: return "auto";
  }
}

cudaError_t planGemm(const GemmShape& shape, const GemmOptions& options, int device, cudaStream_t stream,
                     GemmPlan* plan) {
  *plan = GemmPlan{};
  plan->shape = shape;
  cudaError_t e = validate(shape, plan);
  if (e != cudaSuccess) return e;
  int major = 0;
  e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (e != cudaSuccess) return e;

  if (shape.dtype == GemmDtype::Fp32) {
    if (options.path != GemmPath::Auto && options.path != GemmPath::Simt) {
      plan->reason = "fp32 runs only on the SIMT path (fp32 arithmetic, no tensor cores)";
      return cudaErrorNotSupported;
    }
    plan->path = GemmPath::Simt;
    plan->reason = "fp32 arithmetic: SIMT";
  } else {
    e = choosePath(shape, options, device, stream, major, plan);
    if (e != cudaSuccess) return e;
  }

  const int batch = shape.batch;
  switch (plan->path) {
    case GemmPath::Wgmma: {
      // Clusters of two sharing B by multicast are correct but measured slower on the H200 (about
      // 430 against 740 TFLOP/s, bf16 4096³, 2026-11-29; cause not established): one CTA by default.
      // They exist for unbatched products with the operands' original layouts (tf32: any, as its
      // kernel reads K-major copies); other layouts run without clusters.
      const bool clusterLayout = shape.dtype == GemmDtype::Tf32 || (!shape.transA && !shape.transB);
      plan->clusterM = options.clusterM == 2 && batch == 1 && clusterLayout ? 2 : 1;
      plan->groupRows = options.groupRows > 0 ? options.groupRows : 8;
      plan->sms = options.sms > 0 ? options.sms : 0;
      const int tilesM = ceilDiv(shape.m, gemm::kWgmmaTileM);
      if (plan->clusterM > 1 && tilesM < 2) plan->clusterM = 1;  // nothing to share
      int sms = plan->sms;
      if (sms <= 0) {
        e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
        if (e != cudaSuccess) return e;
      }
      e = chooseTileN(shape, options, tilesM * ceilDiv(shape.n, gemm::kWgmmaWideN) * batch, sms, plan);
      if (e != cudaSuccess) return e;
      const int tilesN = ceilDiv(shape.n, plan->tileN);
      // Split K (gemm_wgmma.cu) only without clusters: few tiles for the SMs the launch may use.
      plan->splitK = plan->clusterM == 1 ? gemm::wgmmaSplits(shape, tilesM * tilesN * batch, sms, options.splitK) : 1;
      plan->traceRecords = tilesM * tilesN * batch * plan->splitK;
      if (plan->splitK > 1) {
        plan->splitSumCtas = gemm::splitSumCtas(shape, sms);
        plan->traceRecords += plan->splitSumCtas;
      }
      plan->sharedBytes = gemm::wgmmaSharedBytes(plan->tileN);
      plan->workspaceBytes = gemm::wgmmaWorkspaceBytes(shape, plan->splitK);
      e = gemm::wgmmaGrid(*plan, device, &plan->grid);
      if (e == cudaErrorNotSupported && plan->clusterM > 1) {  // no cluster of two fits: go alone
        cudaGetLastError();
        plan->clusterM = 1;
        e = gemm::wgmmaGrid(*plan, device, &plan->grid);
      }
      return e;
    }
    case GemmPath::Skinny:
      plan->grid = gemm::skinnyCtas(shape, plan->skinnyMma) * batch;
      plan->traceRecords = plan->grid;
      return cudaSuccess;
    case GemmPath::Mma:
      plan->grid = ceilDiv(shape.m, gemm::kMmaTileM) * ceilDiv(shape.n, gemm::kMmaTileN) * batch;
      plan->traceRecords = plan->grid;
      return cudaSuccess;
    default:
      plan->grid = ceilDiv(shape.m, gemm::kSimtTileM) * ceilDiv(shape.n, gemm::kSimtTileN) * batch;
      plan->traceRecords = plan->grid;
      return cudaSuccess;
  }
}

cudaError_t bindGemm(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode) {
  if (plan->path != GemmPath::Wgmma) return cudaSuccess;
  return gemm::bindWgmma(plan, a, b, workspace, encode);
}

cudaError_t launchGemm(const GemmPlan& plan, const void* a, const void* b, void* c, void* workspace, Interval* trace,
                       cudaStream_t stream, const float* bias) {
  if (plan.shape.bias && bias == nullptr) return cudaErrorInvalidValue;
  const gemm::Epilogue out = gemm::makeEpilogue(plan.shape, c, bias);
  cudaError_t e = cudaErrorInvalidValue;
  switch (plan.path) {
    case GemmPath::Wgmma: e = gemm::launchWgmma(plan, a, b, out, workspace, trace, stream); break;
    case GemmPath::Mma: e = gemm::launchMma(plan, a, b, out, trace, stream); break;
    case GemmPath::Skinny: e = gemm::launchSkinny(plan, a, b, out, trace, stream); break;
    case GemmPath::Simt:
      e = gemm::launchSimt(plan, static_cast<const float*>(a), static_cast<const float*>(b), out, trace, stream);
      break;
    default: break;
  }
  if (e != cudaSuccess || !gemm::finishing(plan.shape) || gemm::finishesInKernel(plan)) return e;
  return gemm::finishGemm(plan.shape, out, stream);
}

}  // namespace gsm
