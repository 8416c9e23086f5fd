// The C++ launch API of the project's CUDA kernels. Host code (native/) includes only this header;
// the kernels themselves live in one .cu file per family. Every function returns the launch's
// cudaError_t (cudaGetLastError after the launch) and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda.h>  // CUtensorMap and friends (types only; driver functions are resolved at run time)
#include <cuda_runtime_api.h>

namespace gsm {

// One interval on the GPU's %globaltimer clock, on one SM. Used for a CTA's lifetime (start to end)
// and for a probe's observed gap (last reading before it, length of the gap). 16 bytes, no padding.
struct Interval {
  uint64_t startNs;
  uint32_t durationNs;  // saturates at UINT32_MAX (about 4.3 s)
  uint32_t smid;
};
static_assert(sizeof(Interval) == 16, "Interval is read from JavaScript as 16-byte records");

// ---- probe: CTAs that spin and record every gap in %globaltimer above a threshold ----
struct ProbeArgs {
  uint64_t activeNs;         // each CTA spins until it has run this long, gaps excluded
  uint32_t gapThresholdNs;   // a step of %globaltimer above this is a gap (the CTA was not running)
  uint32_t gapCapacity;      // records that fit in `gaps`
  Interval* gaps;            // one record per gap, from every CTA (thread 0 of each records)
  unsigned int* gapCount;    // incremented for every gap, also past capacity (so overflow is visible)
  uint32_t sharedWords;      // 32-bit words of dynamic shared memory each CTA fills
  uint32_t* sink;            // never written in practice: keeps the live registers' sum observable
};
// How a probe launch is shaped: CTAs, threads and dynamic shared memory per CTA, and the registers
// per thread asked for (0: the plain probe; otherwise the smallest compiled variant holding as many).
struct ProbeLaunch {
  int ctas = 0;
  int threads = 1;
  size_t sharedBytes = 0;
  int registers = 0;
};
// What the compiler gave a variant (cudaFuncGetAttributes).
struct ProbeKernelInfo {
  int registersPerThread = 0;
  int maxThreadsPerCta = 0;
  int localBytesPerThread = 0;  // spilled registers (0 expected)
};
// Dynamic shared memory that keeps a second probe CTA off an SM, so one CTA lands on each SM.
size_t probeSharedBytes(int device);
cudaError_t probeKernelInfo(int registers, ProbeKernelInfo* info);
cudaError_t configureProbe(int registers, size_t sharedBytes);
cudaError_t launchProbe(const ProbeArgs& args, const ProbeLaunch& launch, Interval* trace, cudaStream_t stream);

// ---- gemm: C = alpha op(A) op(B) (+ C), row-major, any m, n, k (GemmShape below) ----
// Operand types: bf16 and fp16 (fp32 accumulation), tf32 (fp32 inputs on the tensor cores) and fp32
// (fp32 inputs, fp32 arithmetic). Every path takes every transpose combination, batch, alpha and
// accumulate; C is fp32, or bf16 with bf16/fp16 operands. Paths (kernels/gemm_*.cu):
//   wgmma    Hopper (compute capability 9.0, sm_90a code in this build): TMA loads into an
//            mbarrier pipeline, one producer warpgroup and two consumer warpgroups issuing wgmma,
//            persistent CTAs (clusters of 2 sharing B by TMA multicast on request, unbatched with
//            untransposed 16-bit operands or tf32: correct, but slower on the H200, so not the
//            default). Tiles of 128x256 (4 stages), or for 16-bit operands 128x64 (8 stages) where
//            the wide tiles would leave most SMs idle (GemmPlan::tileN says which,
//            GemmOptions::tileN forces it). 16-bit operands are read as stored (wgmma's transpose
//            bits); batches through 3-D tensor maps. Needs rows as stored, and batch strides, whose
//            byte length is a multiple of 16 (bf16/fp16: the stored row lengths, k or m for A, n or
//            k for B, and the strides multiples of 8; tf32: k % 4 == 0); tf32 first transposes B
//            (unless transB) and A^T (transA) into the workspace (wgmma reads tf32 only K-major). A
//            and B 16-byte aligned. Split K: where the output tiles would leave most SMs idle (few
//            tiles, long K: BERT's down projection at batch 1 has 12 tiles of 128x64 for 132 SMs),
//            each tile's K is cut into GemmPlan::splitK slices computed by separate CTAs into fp32
//            partial tiles in the workspace, and a second kernel adds the slices in order
//            (deterministic) and stores C.
//   mma      mma.sync with ldmatrix and a cp.async multistage pipeline (sm_80 and newer), any shape.
//   skinny   bf16, m <= kSkinnyMaxM, 16-byte rows of B (n, or with transB k, a multiple of 8, B
//            16-byte aligned): B streamed once over every SM. Two kernels: with B^T [n, k] and a few
//            rows of A on, mma.sync computing C^T = B^T op(A)^T (W rows as mma's A operand, rows of
//            op(A) as its B operand; kernels/gemm_skinny_mma.cu), otherwise fp32 FFMA (any layout;
//            kernels/gemm_skinny.cu); GemmOptions::skinny forces either. Auto picks the path for
//            transB and m <= 16 (the decode step's y = x W^T); B as stored [k, n] only when asked.
//   simt     fp32 FFMA (every architecture of this build), any shape; the only fp32 path.
// Tracing: one Interval per output tile (GemmPlan::traceRecords per launch, batches included, indexed
// by (batch * tile rows + tile row) * tile columns + tile column); the skinny path one per CTA. On
// the non-persistent paths a tile is a CTA; the persistent wgmma kernel records each tile its CTAs
// work through (start: the consumers begin the tile; end: its last store), so a record always means
// "this tile of C was computed on this SM then". With split K a record is one slice of one tile
// (index tile * splitK + slice), followed by one record per CTA of the kernel that adds the slices.
enum class GemmDtype : int { Bf16 = 0, Fp16 = 1, Tf32 = 2, Fp32 = 3 };
// Skinny: few rows of A (m <= kSkinnyMaxM) against a large B read once, memory-bound (a decode
// step's y = x W^T): bf16 only, fp32 accumulation, streams B at close to DRAM bandwidth.
enum class GemmPath : int { Auto = 0, Wgmma = 1, Mma = 2, Simt = 3, Skinny = 4 };
// Element type of C: fp32 (the default) or bf16 (rounded from the fp32 accumulator; bf16/fp16 inputs).
enum class GemmOut : int { Fp32 = 0, Bf16 = 1 };
constexpr int kSkinnyMaxM = 64;
// An elementwise function after a bias: none, GELU (erf form, as BERT and PyTorch's default), tanh
// or ReLU. The gemm epilogue and the models' bias + activation kernels (kernels/nn.h) share it.
enum class Activation : int { None = 0, Gelu = 1, Tanh = 2, Relu = 3 };

// C = alpha * op(A) op(B) (+ C when accumulate), every matrix row-major and packed:
//   op(A) is [m, k]: A stored [m, k], or with transA stored [k, m] (A^T, as a weight gradient's x^T);
//   op(B) is [k, n]: B stored [k, n], or with transB stored [n, k] (a Linear weight W[out, in], so
//   y = x W^T, and the data gradient dY W without a copy);
//   C [m, n] fp32 or bf16. `batch` products back to back, the i-th at A + i strideA, B + i strideB,
//   C + i strideC (elements; 0 means packed: the matrix's size). Defaults are the original product.
// The epilogue may add a bias and apply an activation before C is stored or rounded (a Linear
// layer's forward in one kernel): C = act(alpha op(A) op(B) + bias[col]), bias fp32 [n], passed to
// launchGemm; not with accumulate. Every path applies it.
struct GemmShape {
  int m, n, k;
  GemmDtype dtype;
  bool transA = false;
  bool transB = false;
  GemmOut out = GemmOut::Fp32;
  int batch = 1;
  int64_t strideA = 0, strideB = 0, strideC = 0;
  float alpha = 1.0f;
  bool accumulate = false;  // C += alpha op(A) op(B); fp32 C only
  bool bias = false;        // C = act(alpha op(A) op(B) + bias[col]): launchGemm's bias (fp32 [n])
  Activation act = Activation::None;  // applied last (after the bias, if any)
};

// Which kernel the skinny path runs: Auto (mma.sync for B^T [n, k] from a few rows of A on, see
// kernels/gemm.cu; FFMA otherwise), Ffma (fp32 FFMA, any layout), Mma (tensor cores; needs transB,
// planGemm refuses other layouts). For measurement and tests; the path's name stays "skinny".
enum class SkinnyKernel : int { Auto = 0, Ffma = 1, Mma = 2 };

// Choices for tests and tuning; the defaults pick the fastest path the device and shape allow.
struct GemmOptions {
  GemmPath path = GemmPath::Auto;
  int clusterM = 0;   // wgmma: CTAs per cluster along M sharing B (2, or 0/1: none, the default)
  int groupRows = 0;  // wgmma: tile rows per group of the tile order, for L2 reuse (0: default)
  int sms = 0;        // wgmma: SMs the launches may use (a green context's); 0: the whole device's
  int splitK = 0;     // wgmma: slices of K per tile (0: planGemm decides; 1: none; more: at most that many)
  int tileN = 0;      // wgmma: tile width, 64 (16-bit operands, no clusters) or 256 (0: planGemm decides)
  SkinnyKernel skinny = SkinnyKernel::Auto;  // skinny: which kernel (whether the path is asked for or auto)
};

// cuTensorMapEncodeTiled, resolved by the caller from the driver (native/libraries/driver_api.h).
using TensorMapEncodeFn = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                       const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                       CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

// What planGemm decided: the path, the launch geometry and the TMA descriptors (which name the
// buffers, so a plan belongs to one set of A, B and workspace pointers).
struct GemmPlan {
  GemmShape shape{};
  GemmPath path = GemmPath::Auto;
  int clusterM = 1;
  int groupRows = 1;
  int sms = 0;                // SMs the persistent grid is sized for (0: the device's)
  int grid = 0;               // CTAs per launch
  int splitK = 1;             // wgmma: slices of K per tile (> 1: fp32 partials in the workspace)
  int tileN = 256;            // wgmma: columns of C per tile (64 or 256; rows: 128)
  int splitSumCtas = 0;       // wgmma with split K: CTAs of the kernel adding the slices
  bool skinnyMma = false;     // skinny: the tensor-core kernel (else FFMA)
  int traceRecords = 0;       // Interval records per launch (one per output tile, or tile slice and sum CTA)
  size_t workspaceBytes = 0;  // device memory the launch needs (wgmma: tf32's transposes, split K's partials)
  size_t sharedBytes = 0;
  CUtensorMap mapA{};  // 64-byte aligned by its type
  CUtensorMap mapB{};
  const char* reason = "";    // why this path (e.g. why not wgmma), for reports
};

// Which path a device and shape get, and how many trace records and workspace bytes a launch
// needs. Makes no allocation; may run one tiny kernel on `stream` (once per process and device)
// to learn whether this build carries sm_90a code. Pointers are bound later by bindGemm.
cudaError_t planGemm(const GemmShape& shape, const GemmOptions& options, int device, cudaStream_t stream,
                     GemmPlan* plan);
// Binds the operands (and the workspace of plan->workspaceBytes) to the plan: encodes the TMA
// descriptors on the wgmma path. `encode` may be null where the plan's path needs none.
cudaError_t bindGemm(GemmPlan* plan, const void* a, const void* b, void* workspace, TensorMapEncodeFn encode);
// `c` is float* or bf16 bit patterns (uint16_t*) as shape.out says; `bias` (fp32 [n]) is read when
// shape.bias (cudaErrorInvalidValue if it is null then).
cudaError_t launchGemm(const GemmPlan& plan, const void* a, const void* b, void* c, void* workspace, Interval* trace,
                       cudaStream_t stream, const float* bias = nullptr);
const char* gemmPathName(GemmPath path);

// ---- conv: forward convolution as an implicit GEMM, bf16 operands, fp32 accumulation, bf16 output ----
// x [n, h, w, c] (NHWC), w [k, r, s, c] (KRSC), y [n, p, q, k] with p = convOutputSize(h, r, stride, pad).
//
// What the convolution does to its fp32 sums before rounding them into y (the models' own inference
// path: an eval-mode batch norm, the residual add and the ReLU in the convolution's last step instead
// of a kernel of their own), each part optional, per output channel c:
//   y = act(gamma[c] (sum - mean[c]) / sqrt(var[c] + eps) + beta[c] + residual),
// the arithmetic of the batch-norm inference kernel (kernels/nn.h) applied to the unrounded sum.
struct ConvEpilogue {
  const float* gamma = nullptr;  // with beta, mean and var (fp32, k each): the norm; null: none
  const float* beta = nullptr;
  const float* mean = nullptr;
  const float* var = nullptr;
  float eps = 1e-5f;
  const uint16_t* residual = nullptr;  // bf16 [n, p, q, k] like y, added after the norm; null: none
  bool relu = false;
};
struct ConvArgs {
  int n, c, h, w, k, r, s, stride, pad;
  int p, q;
  const uint16_t* x;       // bf16 bit patterns
  const uint16_t* filter;  // w
  uint16_t* y;
  int variant = -1;        // tile shape (0..convVariantCount()-1; 5 on: Hopper wgmma); -1 chooses by shape
  bool sm90a = false;      // the device runs this build's sm_90a code (sm90aAvailable): Hopper variants allowed
  int sms = 0;             // SMs the launches may use (a green context's), for persistent grids; 0: the device's
  // Plans that need device memory (planConv sets them; the caller then binds `workspace`, of
  // convWorkspaceBytes, read and written only during the launch):
  // - Split K (the mma.sync 128x64 tile): where the output tiles would leave most SMs idle (a small
  //   batch's deep layers: ResNet-50's layer4 at batch 1 has 4 tiles of 256x128), slices of K = r s c
  //   are computed by separate CTAs into fp32 partials, which a second kernel adds in order
  //   (deterministic) into y. 1: no split.
  // - Gather (c % 8 != 0: ResNet-50's stem, c = 3): a first kernel writes the input patches of up to
  //   gatherRows output pixels (im2col, K padded to a multiple of 8) and the filter likewise padded,
  //   and the vector path runs them as a 1x1 convolution, chunk by chunk. 0: the kernel gathers
  //   element by element (correct, several times slower).
  int splits = 1;
  int sumCtas = 0;
  int gatherRows = 0;
  void* workspace = nullptr;
  ConvEpilogue epilogue{};  // default: y = the rounded sums
};
// Plans args for `sms` SMs: split K (splits, sumCtas) where the tiles fill less than half the SMs and
// K is deep enough, else with variant -1 the 128x64 tile where it has more CTAs than the default one;
// the gather (gatherRows) where c % 8 != 0.
void planConv(ConvArgs* args, int sms);
size_t convWorkspaceBytes(const ConvArgs& args);
int convOutputSize(int input, int filter, int stride, int pad);
int convVariantCount();
int convCtaCount(const ConvArgs& args);
// Raises the kernel's shared-memory limit; call in the context that launches, before the first launch.
cudaError_t configureConv(const ConvArgs& args);
cudaError_t launchConvBf16(const ConvArgs& args, Interval* trace, cudaStream_t stream);

// ---- attention: fused softmax(Q K^T scale) V, bf16 [batch, heads, seq, headDim], fp32 accumulation ----
struct AttentionArgs {
  int batch, heads, seq, headDim;
  bool causal;
  float scale;        // softmax scale, 1/sqrt(headDim) by convention
  const uint16_t* q;  // bf16 bit patterns
  const uint16_t* k;
  const uint16_t* v;
  uint16_t* o;
  bool oMerged = false;  // O as [batch, seq, heads, headDim] (the heads merged back: [tokens, hidden]) instead
  int variant = -1;   // tile shape (0..attentionVariantCount()-1, see attention.cu); -1 is the default
  bool sm90a = false; // the device runs this build's sm_90a code (sm90aAvailable): Hopper variants allowed
};
bool attentionSupportsHeadDim(int headDim);  // 64 and 128
int attentionVariantCount();
int attentionCtaCount(const AttentionArgs& args);
cudaError_t configureAttention(const AttentionArgs& args);
cudaError_t launchAttentionBf16(const AttentionArgs& args, Interval* trace, cudaStream_t stream);
// The softmax step of the unfused (library GEMM) attention: P[row, :] = softmax(S[row, :]) for
// rows of `cols` fp32 scores already scaled, keys after the row masked when causal; P is bf16.
// S and P hold `matrices` row-major [rows, cols] matrices back to back.
cudaError_t launchMaskedSoftmaxBf16(const float* s, uint16_t* p, int matrices, int rows, int cols, bool causal,
                                    cudaStream_t stream);

// ---- copy and triad: fp32 streams, 16-byte accesses, grid-stride over a fixed grid ----
struct CopyArgs {   // b = a
  const float* a;
  float* b;
  size_t count;
};
struct TriadArgs {  // a = b + scalar * c
  float* a;
  const float* b;
  const float* c;
  float scalar;
  size_t count;
};
int copyCtaCount(int smCount, size_t count);  // the grid copy and triad launch with
cudaError_t launchCopyF32(const CopyArgs& args, int ctas, Interval* trace, cudaStream_t stream);
cudaError_t launchTriadF32(const TriadArgs& args, int ctas, Interval* trace, cudaStream_t stream);

// ---- helpers ----
// True when this build carries sm_90a code and the device runs it (compute capability 9.0): the
// Hopper kernels (wgmma) can be chosen. Runs one tiny kernel on `stream` the first time per device.
cudaError_t sm90aAvailable(int device, cudaStream_t stream, bool* available);
// Uniform values in [-1, 1) from a counter-based hash of (seed, index), rounded to bf16, fp16, or
// kept at fp32 (24 random bits).
cudaError_t fillRandomBf16(uint16_t* out, size_t count, uint64_t seed, cudaStream_t stream);
cudaError_t fillRandomFp16(uint16_t* out, size_t count, uint64_t seed, cudaStream_t stream);
cudaError_t fillRandomFloat(float* out, size_t count, uint64_t seed, cudaStream_t stream);
cudaError_t fillFloat(float* out, size_t count, float value, cudaStream_t stream);
// Reads %globaltimer once on the device (for calibrating host and GPU clocks).
cudaError_t readGlobalTimer(uint64_t* deviceOut, cudaStream_t stream);

}  // namespace gsm
