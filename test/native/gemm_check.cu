// A standalone check and benchmark of the gemm kernels (kernels/gemm*.cu) against a float64
// reference and cuBLASLt, without Node: what the GPU host runs for tuning and under
// compute-sanitizer. Built and run by `scripts/gpu/run.sh gemm-check`; run `gemm_check verify|bench|sanitize`.
//
//   verify    every path x dtype on ragged and large shapes: relative error ||C - ref|| / ||ref||
//             against a float64 reference computed on the GPU (all rows, or a sample of rows for
//             the largest shapes), and every element of C written (C is NaN-poisoned first); then
//             layouts.
//   layouts   every transpose combination x C type (fp32, bf16) x alpha x accumulate x batch
//             (packed and padded strides) on ragged shapes, on each own path that takes the shape
//             (auto, wgmma with the tile planGemm picks and with each tile width forced, mma,
//             skinny) and cuBLASLt; accumulating launches start from a random C that the reference
//             adds.
//   epilogue  the bias + activation epilogue (GemmShape::bias, act) on every own path, split K and
//             both wgmma tiles included, against float64; and its refusal with accumulate.
//   skinny    both skinny kernels (FFMA and tensor cores, forced) on ragged decode shapes, batches,
//             C types, alpha, accumulate and A^T, against float64, with their trace records checked
//             (part of verify too).
//   bench     median GPU time (CUDA events around each launch, after warm-up) of each variant of
//             the own kernel and of cuBLASLt on fresh random inputs, and the cost of tracing; then
//             the models' shapes (transposed, bf16 C, the decode step's skinny products), then decode.
//   decode    a 7B decoder's decode products (qkv, o, gate_up, down, lm_head) at m = 1..64: FFMA
//             skinny, tensor-core skinny and cuBLASLt side by side, GB/s of the weight streamed.
//   splits    the wgmma path with K split 1..16 ways, for each tile width, beside cuBLASLt, on the
//             products with few tiles (BERT-base at batch 1 and 4), and what planGemm picks; each
//             time is the median over launches back to back (events around every launch) and the
//             mean of a burst of launches (two events around all: the spacing a model's step sees).
//   tracecost the cost of tracing, from plain and traced launches interleaved launch by launch.
//   sanitize  one small launch of each path and dtype, checked: for compute-sanitizer.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "../../kernels/launch.h"
#include "../../native/libraries/cublaslt.h"
#include "check.h"

using namespace gsm;

namespace {

const char* dtypeName(GemmDtype d) {
  switch (d) {
    case GemmDtype::Bf16: return "bf16";
    case GemmDtype::Fp16: return "fp16";
    case GemmDtype::Tf32: return "tf32";
    default: return "fp32";
  }
}
size_t elementBytes(GemmDtype d) { return d == GemmDtype::Bf16 || d == GemmDtype::Fp16 ? 2 : 4; }

TensorMapEncodeFn encoder() {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q{};
  if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) != cudaSuccess ||
      q != cudaDriverEntryPointSuccess) {
    return nullptr;
  }
  return reinterpret_cast<TensorMapEncodeFn>(p);
}

template <class T>
__device__ __forceinline__ double widen(T x);
template <>
__device__ __forceinline__ double widen<__nv_bfloat16>(__nv_bfloat16 x) {
  return __bfloat162float(x);
}
template <>
__device__ __forceinline__ double widen<__half>(__half x) {
  return __half2float(x);
}
template <>
__device__ __forceinline__ double widen<float>(float x) {
  return x;
}

// The product a reference kernel checks: GemmShape with the strides resolved.
struct RefShape {
  int m, n, k;
  bool transA, transB, bf16Out, accumulate;
  int64_t strideA, strideB, strideC;
  double alpha;
  const float* bias;  // device, n values; null: none
  Activation act;
};
RefShape refShape(const GemmShape& s, const float* bias = nullptr) {
  const int64_t m = s.m, n = s.n, k = s.k;
  return RefShape{s.m,
                  s.n,
                  s.k,
                  s.transA,
                  s.transB,
                  s.out == GemmOut::Bf16,
                  s.accumulate,
                  s.strideA > 0 ? s.strideA : m * k,
                  s.strideB > 0 ? s.strideB : k * n,
                  s.strideC > 0 ? s.strideC : m * n,
                  s.alpha,
                  s.bias ? bias : nullptr,
                  s.act};
}

// The activations of launch.h in float64.
__device__ double activateRef(double v, Activation act) {
  switch (act) {
    case Activation::Gelu: return 0.5 * v * (1.0 + erf(v * 0.70710678118654752440));
    case Activation::Tanh: return tanh(v);
    case Activation::Relu: return v > 0 ? v : 0.0;
    default: return v;
  }
}
// Elements a buffer spans: `batch` matrices of `one` elements, `stride` apart.
size_t extent(int batch, int64_t stride, size_t one) { return static_cast<size_t>(batch - 1) * stride + one; }

__device__ __forceinline__ double readC(const void* c, size_t i, bool bf16) {
  return bf16 ? static_cast<double>(__bfloat162float(static_cast<const __nv_bfloat16*>(c)[i]))
              : static_cast<double>(static_cast<const float*>(c)[i]);
}

// ref[z][rows[i]][col] = act(alpha sum_p op(A)[row][p] op(B)[p][col] + bias[col]) (+ C0 when
// accumulating) in float64, for batch z = blockIdx.z; accumulates ||C - ref||^2 and ||ref||^2.
template <class T>
__global__ void referenceKernel(const T* a, const T* b, const void* c, const float* c0, const int* rows, int count,
                                RefShape s, double* sums) {
  const int col = blockIdx.x * blockDim.x + threadIdx.x;
  const int i = blockIdx.y, z = blockIdx.z;
  double diff2 = 0, ref2 = 0;
  if (col < s.n && i < count) {
    const int r = rows[i];
    const T* az = a + z * s.strideA;
    const T* bz = b + z * s.strideB;
    double acc = 0;
    for (int p = 0; p < s.k; ++p) {
      const double x = widen(s.transA ? az[static_cast<size_t>(p) * s.m + r] : az[static_cast<size_t>(r) * s.k + p]);
      const double y =
          widen(s.transB ? bz[static_cast<size_t>(col) * s.k + p] : bz[static_cast<size_t>(p) * s.n + col]);
      acc += x * y;
    }
    const size_t index = z * s.strideC + static_cast<size_t>(r) * s.n + col;
    acc *= s.alpha;
    if (s.bias != nullptr) acc += s.bias[col];
    acc = activateRef(acc, s.act);
    if (s.accumulate) acc += c0[index];
    const double got = readC(c, index, s.bf16Out);
    diff2 = (got - acc) * (got - acc);
    ref2 = acc * acc;
    if (!(got == got)) diff2 = INFINITY;  // NaN never passes
  }
  for (int o = 16; o > 0; o /= 2) {
    diff2 += __shfl_down_sync(0xffffffffu, diff2, o);
    ref2 += __shfl_down_sync(0xffffffffu, ref2, o);
  }
  if (threadIdx.x % 32 == 0) {
    atomicAdd(&sums[0], diff2);
    atomicAdd(&sums[1], ref2);
  }
}

// Non-finite elements of every batch's C [m, n] (not the gaps between batches).
__global__ void countNonFinite(const void* c, RefShape s, int batch, unsigned long long* out) {
  unsigned long long bad = 0;
  const size_t perBatch = static_cast<size_t>(s.m) * s.n, count = perBatch * batch;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t z = i / perBatch;
    if (!isfinite(readC(c, z * s.strideC + i % perBatch, s.bf16Out))) ++bad;
  }
  atomicAdd(out, bad);
}

struct Buffers {
  void* a = nullptr;
  void* b = nullptr;
  void* c = nullptr;
  float* c0 = nullptr;    // C before the launch when accumulating (the reference adds it)
  float* bias = nullptr;  // the epilogue's bias (GemmShape::bias), n values
  size_t cBytes = 0;
  void* ws = nullptr;
  size_t wsBytes = 0;
  ~Buffers() {
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
    cudaFree(c0);
    cudaFree(bias);
    cudaFree(ws);
  }
  void workspace(size_t bytes) {
    if (bytes <= wsBytes) return;
    cudaFree(ws);
    CHECK(cudaMalloc(&ws, bytes));
    wsBytes = bytes;
  }
};

void fill(GemmDtype d, void* p, size_t count, uint64_t seed) {
  if (d == GemmDtype::Bf16)
    CHECK(fillRandomBf16(static_cast<uint16_t*>(p), count, seed, nullptr));
  else if (d == GemmDtype::Fp16)
    CHECK(fillRandomFp16(static_cast<uint16_t*>(p), count, seed, nullptr));
  else
    CHECK(fillRandomFloat(static_cast<float*>(p), count, seed, nullptr));
}

// A, B random; C allocated (and, when accumulating, random in C0 too).
void allocate(Buffers& buf, const GemmShape& s, uint64_t seed) {
  const size_t e = elementBytes(s.dtype);
  const RefShape r = refShape(s);
  const size_t countA = extent(s.batch, r.strideA, static_cast<size_t>(s.m) * s.k);
  const size_t countB = extent(s.batch, r.strideB, static_cast<size_t>(s.k) * s.n);
  const size_t countC = extent(s.batch, r.strideC, static_cast<size_t>(s.m) * s.n);
  CHECK(cudaMalloc(&buf.a, countA * e));
  CHECK(cudaMalloc(&buf.b, countB * e));
  buf.cBytes = countC * (s.out == GemmOut::Bf16 ? 2 : 4);
  CHECK(cudaMalloc(&buf.c, buf.cBytes));
  fill(s.dtype, buf.a, countA, seed);
  fill(s.dtype, buf.b, countB, seed ^ 0x5bd1e995ull);
  if (s.accumulate) {
    CHECK(cudaMalloc(&buf.c0, countC * sizeof(float)));
    CHECK(fillRandomFloat(buf.c0, countC, seed ^ 0x2545f491ull, nullptr));
  }
  if (s.bias) {
    CHECK(cudaMalloc(&buf.bias, static_cast<size_t>(s.n) * sizeof(float)));
    CHECK(fillRandomFloat(buf.bias, s.n, seed ^ 0x68e31da4ull, nullptr));
  }
}

// C before a launch: NaN everywhere (all-ones bytes are NaN in fp32 and bf16), so an element no
// launch wrote cannot pass; when accumulating, the random C0.
void poison(Buffers& buf, const GemmShape& s) {
  if (s.accumulate) {
    CHECK(cudaMemcpy(buf.c, buf.c0, buf.cBytes, cudaMemcpyDeviceToDevice));
  } else {
    CHECK(cudaMemset(buf.c, 0xff, buf.cBytes));
  }
}

// Relative error over the checked rows (all rows when maxRows >= m) and the count of non-finite C.
struct Check {
  double relative = 0;
  unsigned long long nonFinite = 0;
  int rows = 0;
};

Check verifyAgainstReference(const Buffers& buf, const GemmShape& s, int maxRows) {
  std::vector<int> rows;
  if (s.m <= maxRows) {
    for (int r = 0; r < s.m; ++r) rows.push_back(r);
  } else {
    for (int i = 0; i < maxRows; ++i) rows.push_back(static_cast<int>((static_cast<long long>(i) * 7919 + 13) % s.m));
    rows.push_back(s.m - 1);
  }
  int* dRows = nullptr;
  double* sums = nullptr;
  unsigned long long* bad = nullptr;
  CHECK(cudaMalloc(&dRows, rows.size() * sizeof(int)));
  CHECK(cudaMalloc(&sums, 2 * sizeof(double)));
  CHECK(cudaMalloc(&bad, sizeof(unsigned long long)));
  CHECK(cudaMemcpy(dRows, rows.data(), rows.size() * sizeof(int), cudaMemcpyHostToDevice));
  CHECK(cudaMemset(sums, 0, 2 * sizeof(double)));
  CHECK(cudaMemset(bad, 0, sizeof(unsigned long long)));
  const dim3 grid((s.n + 255) / 256, static_cast<unsigned>(rows.size()), s.batch);
  const int count = static_cast<int>(rows.size());
  const RefShape r = refShape(s, buf.bias);
  switch (s.dtype) {
    case GemmDtype::Bf16:
      referenceKernel<<<grid, 256>>>(static_cast<const __nv_bfloat16*>(buf.a), static_cast<const __nv_bfloat16*>(buf.b),
                                     buf.c, buf.c0, dRows, count, r, sums);
      break;
    case GemmDtype::Fp16:
      referenceKernel<<<grid, 256>>>(static_cast<const __half*>(buf.a), static_cast<const __half*>(buf.b), buf.c,
                                     buf.c0, dRows, count, r, sums);
      break;
    default:
      referenceKernel<<<grid, 256>>>(static_cast<const float*>(buf.a), static_cast<const float*>(buf.b), buf.c, buf.c0,
                                     dRows, count, r, sums);
      break;
  }
  CHECK(cudaGetLastError());
  countNonFinite<<<1024, 256>>>(buf.c, r, s.batch, bad);
  CHECK(cudaGetLastError());
  double host[2] = {0, 0};
  Check out;
  CHECK(cudaMemcpy(host, sums, sizeof host, cudaMemcpyDeviceToHost));
  CHECK(cudaMemcpy(&out.nonFinite, bad, sizeof out.nonFinite, cudaMemcpyDeviceToHost));
  cudaFree(dRows);
  cudaFree(sums);
  cudaFree(bad);
  out.relative = host[1] > 0 ? std::sqrt(host[0] / host[1]) : (host[0] == 0 ? 0 : INFINITY);
  out.rows = count;
  return out;
}

double bound(GemmDtype d) {
  switch (d) {
    case GemmDtype::Fp32: return 1e-5;
    case GemmDtype::Tf32: return 1e-3;
    default: return 1e-2;
  }
}

// One implementation of the product on one set of buffers.
struct Impl {
  std::string name;
  GemmPlan plan;
  CublasLtGemm* lt = nullptr;  // cuBLASLt instead of the own kernel
};

bool makeOwn(Impl& impl, Buffers& buf, const GemmShape& s, const GemmOptions& o, TensorMapEncodeFn enc) {
  const cudaError_t e = planGemm(s, o, 0, nullptr, &impl.plan);
  if (e != cudaSuccess) {
    std::printf("  %-34s unavailable: %s (%s)\n", impl.name.c_str(), impl.plan.reason, cudaGetErrorName(e));
    cudaGetLastError();
    return false;
  }
  buf.workspace(impl.plan.workspaceBytes);
  CHECK(bindGemm(&impl.plan, buf.a, buf.b, buf.ws, enc));
  return true;
}

cudaError_t launch(const Impl& impl, Buffers& buf, Interval* trace, cudaStream_t stream) {
  if (impl.lt != nullptr) {
    const int st = impl.lt->run(buf.a, buf.b, buf.c, buf.ws, stream);
    return st == 0 ? cudaGetLastError() : cudaErrorUnknown;
  }
  return launchGemm(impl.plan, buf.a, buf.b, buf.c, buf.ws, trace, stream, buf.bias);
}

std::string describe(const Impl& impl) {
  if (impl.lt != nullptr) return "cuBLASLt";
  std::string d = gemmPathName(impl.plan.path);
  if (impl.plan.path == GemmPath::Wgmma) {
    d += " n" + std::to_string(impl.plan.tileN) + " c" + std::to_string(impl.plan.clusterM) + " g" +
         std::to_string(impl.plan.groupRows);
    if (impl.plan.splitK > 1) d += " k" + std::to_string(impl.plan.splitK);
  }
  if (impl.plan.path == GemmPath::Skinny) d += impl.plan.skinnyMma ? " mma" : " ffma";
  return d + " grid " + std::to_string(impl.plan.grid);
}

int layouts(int* runOut, int* failuresOut);
int epilogues(int* runOut, int* failuresOut);
int skinnyChecks(int* runOut, int* failuresOut);

// ---- verify ----
int verify(bool quick) {
  const TensorMapEncodeFn enc = encoder();
  struct Case {
    GemmDtype dtype;
    GemmPath path;
    int cluster;
    int m, n, k;
  };
  std::vector<Case> cases;
  const GemmDtype tensorTypes[] = {GemmDtype::Bf16, GemmDtype::Fp16, GemmDtype::Tf32};
  const int ragged[][3] = {{1, 1, 1}, {127, 255, 33}, {1000, 999, 1001}, {513, 77, 300}, {256, 384, 512}};
  const int tmaShapes[][3] = {{128, 256, 64},  {1, 8, 8},        {1000, 1000, 1000}, {264, 520, 72},
                              {129, 264, 200}, {4096, 64, 8192}, {300, 1000, 4104}};
  for (GemmDtype d : tensorTypes) {
    for (auto& s : tmaShapes) {
      for (int cl : {1, 2}) cases.push_back({d, GemmPath::Wgmma, cl, s[0], s[1], s[2]});
    }
    for (auto& s : ragged) cases.push_back({d, GemmPath::Mma, 0, s[0], s[1], s[2]});
    for (auto& s : ragged) cases.push_back({d, GemmPath::Auto, 0, s[0], s[1], s[2]});
    if (!quick) {
      cases.push_back({d, GemmPath::Auto, 0, 4096, 4096, 4096});
      cases.push_back({d, GemmPath::Wgmma, 2, 4096, 4096, 4096});
      cases.push_back({d, GemmPath::Mma, 0, 4096, 4096, 4096});
    }
  }
  if (!quick) {
    cases.push_back({GemmDtype::Bf16, GemmPath::Auto, 0, 8192, 8192, 8192});
    cases.push_back({GemmDtype::Fp16, GemmPath::Auto, 0, 8192, 8192, 8192});
  }
  for (auto& s : ragged) cases.push_back({GemmDtype::Fp32, GemmPath::Simt, 0, s[0], s[1], s[2]});
  cases.push_back({GemmDtype::Fp32, GemmPath::Auto, 0, 1000, 1000, 1000});
  if (!quick) cases.push_back({GemmDtype::Fp32, GemmPath::Auto, 0, 4096, 4096, 4096});

  int failures = 0, run = 0;
  std::printf(
      "verify: own kernels and cuBLASLt against a float64 reference (bound: fp32 1e-5, tf32 1e-3, bf16/fp16 1e-2)\n");
  std::printf("%-5s %-24s %-20s %-28s %12s %8s %6s %s\n", "dtype", "shape", "asked", "ran", "rel. error", "nonfin",
              "rows", "result");
  uint64_t seed = 0x1234567ull;
  for (const Case& c : cases) {
    const GemmShape s{c.m, c.n, c.k, c.dtype};
    Buffers buf;
    allocate(buf, s, ++seed * 0x9e3779b97f4a7c15ull);
    GemmOptions o;
    o.path = c.path;
    o.clusterM = c.cluster;
    Impl impl;
    impl.name = std::string(gemmPathName(c.path)) + (c.cluster ? " c" + std::to_string(c.cluster) : "");
    char shape[64];
    std::snprintf(shape, sizeof shape, "%dx%dx%d", c.m, c.n, c.k);
    const cudaError_t pe = planGemm(s, o, 0, nullptr, &impl.plan);
    if (pe != cudaSuccess) {
      cudaGetLastError();
      std::printf("%-5s %-24s %-20s %-28s %12s %8s %6s SKIP (%s)\n", dtypeName(c.dtype), shape, impl.name.c_str(), "-",
                  "-", "-", "-", impl.plan.reason);
      continue;
    }
    buf.workspace(impl.plan.workspaceBytes);
    CHECK(bindGemm(&impl.plan, buf.a, buf.b, buf.ws, enc));
    poison(buf, s);
    CHECK(launch(impl, buf, nullptr, nullptr));
    CHECK(cudaDeviceSynchronize());
    const Check r = verifyAgainstReference(buf, s, c.m * static_cast<double>(c.n) * c.k > 6e10 ? 96 : 1 << 30);
    const bool ok = r.nonFinite == 0 && r.relative < bound(c.dtype);
    ++run;
    failures += ok ? 0 : 1;
    std::printf("%-5s %-24s %-20s %-28s %12.3e %8llu %6d %s\n", dtypeName(c.dtype), shape, impl.name.c_str(),
                describe(impl).c_str(), r.relative, r.nonFinite, r.rows, ok ? "ok" : "FAIL");
    std::fflush(stdout);
  }
  // cuBLASLt on the same kind of data.
  std::printf("cuBLASLt (%s):\n",
              CublasLtGemm::libraryFile().empty() ? "loading" : CublasLtGemm::libraryFile().c_str());
  for (GemmDtype d : {GemmDtype::Bf16, GemmDtype::Fp16, GemmDtype::Tf32, GemmDtype::Fp32}) {
    for (auto& sh : {std::array<int, 3>{127, 255, 33}, std::array<int, 3>{1000, 1000, 1000},
                     std::array<int, 3>{4096, 4096, 4096}}) {
      if (quick && sh[0] == 4096) continue;
      const GemmShape s{sh[0], sh[1], sh[2], d};
      Buffers buf;
      allocate(buf, s, ++seed * 0x9e3779b97f4a7c15ull);
      CublasLtGemm lt;
      std::string error;
      bool missing = false;
      char shape[64];
      std::snprintf(shape, sizeof shape, "%dx%dx%d", sh[0], sh[1], sh[2]);
      if (!lt.create(s, 32u << 20, error, missing)) {
        std::printf("%-5s %-24s cuBLASLt unavailable: %s\n", dtypeName(d), shape, error.c_str());
        continue;
      }
      buf.workspace(lt.workspaceBytes());
      Impl impl;
      impl.lt = &lt;
      poison(buf, s);
      CHECK(launch(impl, buf, nullptr, nullptr));
      CHECK(cudaDeviceSynchronize());
      const Check r = verifyAgainstReference(buf, s, s.m * static_cast<double>(s.n) * s.k > 6e10 ? 96 : 1 << 30);
      const bool ok = r.nonFinite == 0 && r.relative < bound(d);
      ++run;
      failures += ok ? 0 : 1;
      std::printf("%-5s %-24s %-20s %-28s %12.3e %8llu %6d %s\n", dtypeName(d), shape, "cublas",
                  lt.libraryFile().c_str(), r.relative, r.nonFinite, r.rows, ok ? "ok" : "FAIL");
    }
  }
  layouts(&run, &failures);
  epilogues(&run, &failures);
  skinnyChecks(&run, &failures);
  std::printf("verify: %d checks, %d failed\n", run, failures);
  return failures == 0 ? 0 : 1;
}

// ---- layouts ----
// "NT bf16>bf16 a0.125 +=C x3s": transposes (A then B), operand and C types, alpha, accumulate,
// batch (s: explicit, padded strides).
std::string layoutName(const GemmShape& s) {
  std::string d = std::string(s.transA ? "T" : "N") + (s.transB ? "T" : "N") + " " + dtypeName(s.dtype) +
                  (s.out == GemmOut::Bf16 ? ">bf16" : ">fp32");
  if (s.alpha != 1.0f) {
    char a[16];
    std::snprintf(a, sizeof a, " a%g", s.alpha);
    d += a;
  }
  if (s.accumulate) d += " +=C";
  if (s.bias) d += " +b";
  if (s.act != Activation::None) {
    d += s.act == Activation::Gelu ? " gelu" : s.act == Activation::Tanh ? " tanh" : " relu";
  }
  if (s.batch > 1) d += " x" + std::to_string(s.batch) + (s.strideA > 0 ? "s" : "");
  return d;
}

// The implementations a layout check runs: own paths (Auto is whatever planGemm picks) and cuBLASLt.
// Wgmma: the tile planGemm picks; Narrow and Wide: 64 or 256 columns forced.
enum class Who { Auto, Wgmma, Narrow, Wide, Mma, Skinny, Simt, Library };
const char* whoName(Who w) {
  switch (w) {
    case Who::Auto: return "auto";
    case Who::Wgmma: return "wgmma";
    case Who::Narrow: return "wg n64";
    case Who::Wide: return "wg n256";
    case Who::Mma: return "mma";
    case Who::Skinny: return "skinny";
    case Who::Simt: return "simt";
    default: return "cublas";
  }
}

// One implementation of `s` on `buf`: C poisoned (or C0 when accumulating), one launch, the float64
// reference. Prints a line; counts it in run/failures unless the implementation does not take `s`.
void checkLayout(const GemmShape& s, Who who, Buffers& buf, TensorMapEncodeFn enc, int* run, int* failures) {
  char dims[48];
  std::snprintf(dims, sizeof dims, "%dx%dx%d", s.m, s.n, s.k);
  const std::string name = layoutName(s);
  Impl impl;
  CublasLtGemm lt;
  std::string ran;
  if (who == Who::Library) {
    std::string error;
    bool missing = false;
    if (!lt.create(s, 32u << 20, error, missing)) {
      std::printf("%-16s %-26s %-7s %-22s SKIP (%s)\n", dims, name.c_str(), whoName(who), "-", error.c_str());
      if (!missing) {  // cuBLASLt present but refusing a layout the models need is a failure
        ++*run;
        ++*failures;
      }
      return;
    }
    buf.workspace(lt.workspaceBytes());
    impl.lt = &lt;
    ran = "cuBLASLt";
  } else {
    GemmOptions o;
    const bool wgmma = who == Who::Wgmma || who == Who::Narrow || who == Who::Wide;
    o.tileN = who == Who::Narrow ? 64 : who == Who::Wide ? 256 : 0;
    o.path = wgmma                ? GemmPath::Wgmma
             : who == Who::Mma    ? GemmPath::Mma
             : who == Who::Skinny ? GemmPath::Skinny
             : who == Who::Simt   ? GemmPath::Simt
                                  : GemmPath::Auto;
    const cudaError_t pe = planGemm(s, o, 0, nullptr, &impl.plan);
    if (pe != cudaSuccess) {
      cudaGetLastError();
      std::printf("%-16s %-26s %-7s %-22s SKIP (%s)\n", dims, name.c_str(), whoName(who), "-", impl.plan.reason);
      if (who == Who::Auto) {  // every layout has a path
        ++*run;
        ++*failures;
      }
      return;
    }
    buf.workspace(impl.plan.workspaceBytes);
    CHECK(bindGemm(&impl.plan, buf.a, buf.b, buf.ws, enc));
    ran = describe(impl);
  }
  poison(buf, s);
  CHECK(launch(impl, buf, nullptr, nullptr));
  CHECK(cudaDeviceSynchronize());
  const Check r = verifyAgainstReference(buf, s, 1 << 30);
  const bool ok = r.nonFinite == 0 && r.relative < bound(s.dtype);
  ++*run;
  *failures += ok ? 0 : 1;
  std::printf("%-16s %-26s %-7s %-22s %12.3e %8llu %s\n", dims, name.c_str(), whoName(who), ran.c_str(), r.relative,
              r.nonFinite, ok ? "ok" : "FAIL");
  std::fflush(stdout);
}

// Every transpose combination, C type, alpha, accumulate and batching on ragged shapes, on the own
// paths (auto, and each path forced where it takes the shape) and cuBLASLt.
int layouts(int* runOut, int* failuresOut) {
  const TensorMapEncodeFn enc = encoder();
  struct Dims {
    int m, n, k, batch;
    bool strided;  // explicit strides, padded by 64 elements (batch only)
    bool all;      // every dtype (else bf16 only)
  };
  const Dims dims[] = {
      {127, 255, 33, 1, false, true},
      {1, 4096, 4096, 1, false, false},
      {33, 1000, 72, 1, false, false},
      {264, 520, 72, 1, false, true},
      {72, 136, 80, 3, true, true},
      {128, 128, 64, 12, false, false},
      {128, 64, 128, 12, false, false},
      {8, 520, 264, 1, false, false},
      // split K on the wgmma path: few tiles, long K (batched with padded strides; BERT's down projection)
      {200, 520, 2048, 3, true, true},
      {128, 768, 3072, 1, false, false},
  };
  int run = 0, failures = 0;
  std::printf("layouts: op(A) op(B) for every transpose, C type, alpha, accumulate and batch, against float64\n");
  std::printf("%-16s %-26s %-7s %-22s %12s %8s %s\n", "m x n x k", "layout", "asked", "ran", "rel. error", "nonfin",
              "result");
  uint64_t seed = 0xfeedull;
  for (const Dims& d : dims) {
    for (GemmDtype dtype : {GemmDtype::Bf16, GemmDtype::Fp16, GemmDtype::Tf32, GemmDtype::Fp32}) {
      if (dtype != GemmDtype::Bf16 && !d.all) continue;
      for (int t = 0; t < 4; ++t) {
        // Variants: fp32 C; bf16 C (16-bit operands) with alpha; fp32 C accumulated with alpha.
        for (int variant = 0; variant < 3; ++variant) {
          const bool sixteen = dtype == GemmDtype::Bf16 || dtype == GemmDtype::Fp16;
          if (variant == 1 && dtype != GemmDtype::Bf16) continue;
          GemmShape s{d.m, d.n, d.k, dtype};
          s.transA = (t & 2) != 0;
          s.transB = (t & 1) != 0;
          s.batch = d.batch;
          if (d.strided) {
            s.strideA = static_cast<int64_t>(d.m) * d.k + 64;
            s.strideB = static_cast<int64_t>(d.k) * d.n + 64;
            s.strideC = static_cast<int64_t>(d.m) * d.n + 64;
          }
          if (variant == 1) {
            s.out = GemmOut::Bf16;
            s.alpha = d.batch > 1 ? 0.125f : 1.0f;
          } else if (variant == 2) {
            s.accumulate = true;
            s.alpha = 0.75f;
          }
          Buffers buf;
          allocate(buf, s, ++seed * 0x9e3779b97f4a7c15ull);
          std::vector<Who> who;
          if (sixteen) {
            who = {Who::Auto, Who::Narrow, Who::Wide, Who::Mma};
            if (dtype == GemmDtype::Bf16 && d.m <= kSkinnyMaxM) who.push_back(Who::Skinny);
          } else if (dtype == GemmDtype::Tf32) {
            who = {Who::Auto, Who::Wgmma, Who::Mma};
          } else {
            who = {Who::Auto};
          }
          who.push_back(Who::Library);
          for (Who w : who) checkLayout(s, w, buf, enc, &run, &failures);
        }
      }
    }
  }
  std::printf("layouts: %d checks, %d failed\n", run, failures);
  *runOut += run;
  *failuresOut += failures;
  return failures == 0 ? 0 : 1;
}

// ---- epilogue ----
// The bias + activation epilogue on every own path: ragged shapes, BERT-base's batch-1 products (the
// 128x64 tile, which finishes in its stores; the down projection split K, where the adding kernel
// does), skinny decode rows (both kernels), batches with padded strides, bf16 and fp32 C, alpha;
// tf32 on wgmma and mma, fp32 on simt; A^T on the ragged shape. Every path but those two stores
// alpha op(A) op(B) and finishes in a pass of its own. Then accumulate with a bias, which planGemm
// must refuse.
int epilogues(int* runOut, int* failuresOut) {
  const TensorMapEncodeFn enc = encoder();
  struct Dims {
    int m, n, k, batch;
  };
  const Dims dims[] = {{127, 255, 33, 1}, {128, 768, 768, 1}, {128, 768, 3072, 1}, {1, 768, 768, 1},
                       {8, 520, 264, 1},  {72, 136, 80, 3},   {264, 520, 72, 1}};
  struct Form {
    bool bias;
    Activation act;
    bool bf16Out;
    float alpha;
  };
  const Form forms[] = {{true, Activation::Gelu, true, 1.0f},
                        {true, Activation::None, true, 1.0f},
                        {true, Activation::Tanh, false, 0.5f},
                        {false, Activation::Relu, true, 1.0f}};
  int run = 0, failures = 0;
  std::printf("epilogue: C = act(alpha op(A) op(B) + bias) on every own path, against float64\n");
  std::printf("%-16s %-26s %-7s %-22s %12s %8s %s\n", "m x n x k", "layout", "asked", "ran", "rel. error", "nonfin",
              "result");
  uint64_t seed = 0xb1a5ull;
  for (const Dims& d : dims) {
    for (GemmDtype dtype : {GemmDtype::Bf16, GemmDtype::Fp16, GemmDtype::Tf32, GemmDtype::Fp32}) {
      const bool sixteen = dtype == GemmDtype::Bf16 || dtype == GemmDtype::Fp16;
      if (dtype != GemmDtype::Bf16 && d.m != 127) continue;  // other types on the ragged shape only
      for (const Form& f : forms) {
        for (bool transA : {false, true}) {
          if (f.bf16Out && !sixteen) continue;
          if (transA && d.m != 127) continue;  // A^T (the finishing pass on every path) on the ragged shape only
          GemmShape s{d.m, d.n, d.k, dtype};
          s.transA = transA;
          s.transB = true;  // a Linear layer's y = x W^T (the layouts check covers the other transposes)
          s.batch = d.batch;
          if (d.batch > 1) {
            s.strideA = static_cast<int64_t>(d.m) * d.k + 64;
            s.strideB = static_cast<int64_t>(d.k) * d.n + 64;
            s.strideC = static_cast<int64_t>(d.m) * d.n + 64;
          }
          s.out = f.bf16Out ? GemmOut::Bf16 : GemmOut::Fp32;
          s.alpha = f.alpha;
          s.bias = f.bias;
          s.act = f.act;
          Buffers buf;
          allocate(buf, s, ++seed * 0x9e3779b97f4a7c15ull);
          std::vector<Who> who;
          if (sixteen) {
            who = {Who::Auto, Who::Narrow, Who::Wide, Who::Mma};
            if (dtype == GemmDtype::Bf16 && d.m <= kSkinnyMaxM) who.push_back(Who::Skinny);
          } else if (dtype == GemmDtype::Tf32) {
            who = {Who::Auto, Who::Wide, Who::Mma};
          } else {
            who = {Who::Auto, Who::Simt};
          }
          for (Who w : who) checkLayout(s, w, buf, enc, &run, &failures);
        }
      }
    }
  }
  // Accumulate and an epilogue bias do not combine: planGemm refuses, every path.
  GemmShape both{128, 256, 64, GemmDtype::Bf16};
  both.accumulate = true;
  both.bias = true;
  GemmPlan refused;
  const cudaError_t e = planGemm(both, GemmOptions{}, 0, nullptr, &refused);
  cudaGetLastError();
  const bool ok = e == cudaErrorNotSupported;
  ++run;
  failures += ok ? 0 : 1;
  std::printf("accumulate with a bias: %s (%s) %s\n", cudaGetErrorName(e), refused.reason, ok ? "ok" : "FAIL");
  std::printf("epilogue: %d checks, %d failed\n", run, failures);
  *runOut += run;
  *failuresOut += failures;
  return failures == 0 ? 0 : 1;
}

// ---- skinny ----
// Both skinny kernels (fp32 FFMA and tensor cores, forced through GemmOptions::skinny) on the decode
// step's y = x W^T and ragged relatives: m 1..64 (not multiples of 8 or 16), n not a multiple of
// 16, k not a multiple of 32; variants: fp32 C; batch 3 with padded strides (A's not a multiple of
// 8: op(A) read element by element) and bf16 C with alpha; fp32 C accumulated with alpha, batch 3
// (16-byte aligned strides); A^T (transA). Each launch is traced into plan.traceRecords records
// followed by 16 guard records: every record must be written and no guard.
void checkSkinny(const GemmShape& s, SkinnyKernel kernel, Buffers& buf, int sms, int* run, int* failures) {
  char dims[48];
  std::snprintf(dims, sizeof dims, "%dx%dx%d", s.m, s.n, s.k);
  const std::string name = layoutName(s);
  const char* asked = kernel == SkinnyKernel::Mma ? "mma" : "ffma";
  Impl impl;
  GemmOptions o;
  o.path = GemmPath::Skinny;
  o.skinny = kernel;
  const cudaError_t pe = planGemm(s, o, 0, nullptr, &impl.plan);
  if (pe != cudaSuccess) {
    cudaGetLastError();
    std::printf("%-16s %-26s %-7s %-22s FAIL (%s)\n", dims, name.c_str(), asked, "-", impl.plan.reason);
    ++*run;
    ++*failures;
    return;
  }
  const int records = impl.plan.traceRecords, guard = 16;
  Interval* trace = nullptr;
  CHECK(cudaMalloc(&trace, (records + guard) * sizeof(Interval)));
  CHECK(cudaMemset(trace, 0, (records + guard) * sizeof(Interval)));
  poison(buf, s);
  CHECK(launch(impl, buf, trace, nullptr));
  CHECK(cudaDeviceSynchronize());
  std::vector<Interval> host(records + guard);
  CHECK(cudaMemcpy(host.data(), trace, host.size() * sizeof(Interval), cudaMemcpyDeviceToHost));
  cudaFree(trace);
  int written = 0, guardsWritten = 0;
  for (int i = 0; i < records + guard; ++i) {
    const bool set = host[i].startNs != 0 && host[i].smid < static_cast<uint32_t>(sms);
    if (i < records)
      written += set ? 1 : 0;
    else
      guardsWritten += host[i].startNs != 0 || host[i].durationNs != 0 ? 1 : 0;
  }
  const Check r = verifyAgainstReference(buf, s, 1 << 30);
  const bool traceOk = written == records && guardsWritten == 0;
  const bool ok = r.nonFinite == 0 && r.relative < bound(s.dtype) && traceOk;
  const bool ranAsked = impl.plan.skinnyMma == (kernel == SkinnyKernel::Mma);
  ++*run;
  *failures += ok && ranAsked ? 0 : 1;
  char traced[48];
  std::snprintf(traced, sizeof traced, "trace %d/%d%s", written, records, guardsWritten ? " OVERRUN" : "");
  std::printf("%-16s %-26s %-7s %-22s %12.3e %8llu %-20s %s\n", dims, name.c_str(), asked, describe(impl).c_str(),
              r.relative, r.nonFinite, traced, ok && ranAsked ? "ok" : "FAIL");
  std::fflush(stdout);
}

int skinnyChecks(int* runOut, int* failuresOut) {
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  const int ms[] = {1, 3, 8, 9, 16, 17, 33, 64};
  const int nk[][2] = {{1000, 72}, {520, 264}, {4096, 4096}, {1000, 4104}};
  int run = 0, failures = 0;
  std::printf("skinny: both kernels forced, B^T [n, k], against float64\n");
  std::printf("%-16s %-26s %-7s %-22s %12s %8s %-20s %s\n", "m x n x k", "layout", "asked", "ran", "rel. error",
              "nonfin", "trace", "result");
  uint64_t seed = 0x5c1ull;
  for (int m : ms) {
    for (auto& d : nk) {
      for (int variant = 0; variant < 4; ++variant) {
        const int n = d[0], k = d[1];
        GemmShape s{m, n, k, GemmDtype::Bf16};
        s.transB = true;
        if (variant == 1) {
          s.batch = 3;
          s.strideA = static_cast<int64_t>(m) * k + 36;  // not a multiple of 8: element-wise loads of A
          s.strideB = static_cast<int64_t>(n) * k + 64;
          s.strideC = static_cast<int64_t>(m) * n + 40;
          s.out = GemmOut::Bf16;
          s.alpha = 0.125f;
        } else if (variant == 2) {
          s.batch = 3;
          s.strideA = static_cast<int64_t>(m) * k + 64;
          s.strideB = static_cast<int64_t>(n) * k + 64;
          s.strideC = static_cast<int64_t>(m) * n + 64;
          s.accumulate = true;
          s.alpha = 0.75f;
        } else if (variant == 3) {
          s.transA = true;
        }
        Buffers buf;
        allocate(buf, s, ++seed * 0x9e3779b97f4a7c15ull);
        for (SkinnyKernel kernel : {SkinnyKernel::Ffma, SkinnyKernel::Mma})
          checkSkinny(s, kernel, buf, sms, &run, &failures);
      }
    }
  }
  std::printf("skinny: %d checks, %d failed\n", run, failures);
  *runOut += run;
  *failuresOut += failures;
  return failures == 0 ? 0 : 1;
}

// ---- bench ----
double median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
}

// Median ms of `count` launches, each between its own pair of events, enqueued back to back.
double timeLaunches(const Impl& impl, Buffers& buf, Interval* trace, int count, cudaStream_t stream) {
  std::vector<cudaEvent_t> ev(2 * count);
  for (auto& e : ev) CHECK(cudaEventCreate(&e));
  for (int i = 0; i < count; ++i) {
    CHECK(cudaEventRecord(ev[2 * i], stream));
    CHECK(launch(impl, buf, trace, stream));
    CHECK(cudaEventRecord(ev[2 * i + 1], stream));
  }
  CHECK(cudaStreamSynchronize(stream));
  std::vector<float> ms(count);
  for (int i = 0; i < count; ++i) CHECK(cudaEventElapsedTime(&ms[i], ev[2 * i], ev[2 * i + 1]));
  for (auto& e : ev) cudaEventDestroy(e);
  return median(ms);
}

// cuBLASLt's median over `launches` (after 5 of warm-up) on buf, in ms; 0 with *error set where
// cuBLASLt refuses the shape or is missing.
double cublasLtMs(const GemmShape& s, Buffers& buf, int launches, cudaStream_t stream, std::string* error) {
  CublasLtGemm lt;
  bool missing = false;
  if (!lt.create(s, 32u << 20, *error, missing)) return 0;
  buf.workspace(lt.workspaceBytes());
  Impl impl;
  impl.lt = &lt;
  timeLaunches(impl, buf, nullptr, 5, stream);
  return timeLaunches(impl, buf, nullptr, launches, stream);
}

// The models' products (bf16): a BERT-base Linear forward (y = x W^T, bf16 C), its data gradient
// (dX = dY W) and weight gradient (dW = dY^T X, fp32 C), and a 7B decoder's decode step (batch 1
// and 8: y = x W^T against a 12288 x 4096 weight, memory-bound: GB/s of A + B + C).
void benchModels(int launches, cudaStream_t stream) {
  const TensorMapEncodeFn enc = encoder();
  struct Model {
    const char* what;
    int m, n, k;
    bool transA, transB;
    GemmOut out;
  };
  const Model models[] = {
      {"Linear fwd NT", 4096, 3072, 768, false, true, GemmOut::Bf16},
      {"Linear dX NN", 4096, 768, 3072, false, false, GemmOut::Bf16},
      {"Linear dW TN", 768, 3072, 4096, true, false, GemmOut::Fp32},
      {"decode b1 NT", 1, 12288, 4096, false, true, GemmOut::Bf16},
      {"decode b8 NT", 8, 12288, 4096, false, true, GemmOut::Bf16},
      // BERT-base at batch 1, sequence 128: few 128x256 tiles (split K)
      {"bert qkv NT", 128, 2304, 768, false, true, GemmOut::Bf16},
      {"bert out NT", 128, 768, 768, false, true, GemmOut::Bf16},
      {"bert up NT", 128, 3072, 768, false, true, GemmOut::Bf16},
      {"bert down NT", 128, 768, 3072, false, true, GemmOut::Bf16},
  };
  std::printf("bench models: bf16, median of %d launches\n", launches);
  std::printf("%-14s %-18s %-34s %10s %10s %10s %8s\n", "product", "m x n x k", "implementation", "ms", "TFLOP/s",
              "GB/s", "vs lib");
  for (const Model& md : models) {
    GemmShape s{md.m, md.n, md.k, GemmDtype::Bf16};
    s.transA = md.transA;
    s.transB = md.transB;
    s.out = md.out;
    Buffers buf;
    allocate(buf, s, 0x600dull + md.m);
    poison(buf, s);
    char dims[48];
    std::snprintf(dims, sizeof dims, "%dx%dx%d", md.m, md.n, md.k);
    const double flops = 2.0 * md.m * static_cast<double>(md.n) * md.k;
    const double bytes = 2.0 * (static_cast<double>(md.m) * md.k + static_cast<double>(md.k) * md.n) +
                         (md.out == GemmOut::Bf16 ? 2.0 : 4.0) * md.m * md.n;
    auto report = [&](const std::string& name, double ms, double libMs) {
      char ratio[16] = "-";
      if (libMs > 0) std::snprintf(ratio, sizeof ratio, "%.3f", libMs / ms);
      std::printf("%-14s %-18s %-34s %10.4f %10.1f %10.0f %8s\n", md.what, dims, name.c_str(), ms, flops / ms / 1e9,
                  bytes / ms / 1e6, ratio);
      std::fflush(stdout);
    };
    std::string error;
    const double libMs = cublasLtMs(s, buf, launches, stream, &error);
    if (libMs > 0) {
      report("cuBLASLt", libMs, libMs);
    } else {
      std::printf("%-14s %-18s %-34s unavailable: %s\n", md.what, dims, "cuBLASLt", error.c_str());
    }
    for (GemmPath p : {GemmPath::Auto, GemmPath::Wgmma, GemmPath::Mma, GemmPath::Skinny}) {
      if (p == GemmPath::Skinny && md.m > kSkinnyMaxM) continue;
      Impl impl;
      impl.name = p == GemmPath::Auto ? "default" : gemmPathName(p);
      GemmOptions o;
      o.path = p;
      if (!makeOwn(impl, buf, s, o, enc)) continue;
      timeLaunches(impl, buf, nullptr, 5, stream);
      const double ms = timeLaunches(impl, buf, nullptr, launches, stream);
      report((p == GemmPath::Auto ? "own default: " : "own ") + describe(impl), ms, libMs);
    }
  }
}

// The decode step's products y = x W^T (bf16, bf16 C) of a 7B decoder for batch m = 1..64: the
// FFMA skinny kernel, the tensor-core skinny kernel and cuBLASLt side by side (lib/mma and ffma/mma:
// above 1 the tensor-core kernel is faster), the tile path (wgmma, else mma.sync) for deciding how
// far auto should send few rows to skinny, and what auto runs. GB/s counts W only (n k 2 bytes per launch: what has to come from DRAM). The launches rotate
// over copies of W that together exceed 192 MB, so W is not served from the 50 MB L2 between
// launches (x and y stay hot, as in a decode step).
int benchDecode(int launches) {
  const TensorMapEncodeFn enc = encoder();
  struct Weight {
    const char* what;
    int n, k;
  };
  const Weight weights[] = {{"qkv", 12288, 4096},
                            {"o", 4096, 4096},
                            {"gate_up", 22016, 4096},
                            {"down", 4096, 11008},
                            {"lm_head", 32000, 4096}};
  std::printf("bench decode: y = x W^T, bf16, bf16 C, median of %d launches over rotating copies of W; GB/s of W\n",
              launches);
  std::printf("%-8s %-3s %-12s %9s %7s %9s %7s %9s %7s %8s %8s %9s %-6s  %s\n", "weight", "m", "n x k", "lib ms",
              "GB/s", "ffma ms", "GB/s", "mma ms", "GB/s", "lib/mma", "ffma/mma", "tile ms", "tile", "auto runs");
  for (const Weight& w : weights) {
    const size_t countW = static_cast<size_t>(w.n) * w.k, bytesW = 2 * countW;
    const int copies = static_cast<int>(std::min<size_t>(8, (size_t(192) << 20) / bytesW + 1));
    uint16_t* weightsB = nullptr;
    CHECK(cudaMalloc(&weightsB, copies * bytesW));
    CHECK(fillRandomBf16(weightsB, copies * countW, 0xdec0deull + w.n, nullptr));
    for (int m : {1, 2, 4, 8, 16, 32, 64}) {
      GemmShape s{m, w.n, w.k, GemmDtype::Bf16};
      s.transB = true;
      s.out = GemmOut::Bf16;
      Buffers buf;
      allocate(buf, s, 0xdec0ull + m);  // A, C (its B is unused: the rotation's copies stand in)
      poison(buf, s);
      int turn = 0;
      auto nextB = [&]() { return weightsB + static_cast<size_t>(turn++ % copies) * countW; };
      double libMs = 0;
      CublasLtGemm lt;
      std::string error;
      bool missing = false;
      if (lt.create(s, 32u << 20, error, missing)) {
        buf.workspace(lt.workspaceBytes());
        libMs = medianLaunchMs(
            [&]() {
              const int st = lt.run(buf.a, nextB(), buf.c, buf.ws, nullptr);
              return st == 0 ? cudaGetLastError() : cudaErrorUnknown;
            },
            launches);
      }
      double ownMs[2] = {0, 0};
      const SkinnyKernel kernels[2] = {SkinnyKernel::Ffma, SkinnyKernel::Mma};
      for (int i = 0; i < 2; ++i) {
        GemmOptions o;
        o.path = GemmPath::Skinny;
        o.skinny = kernels[i];
        GemmPlan plan{};
        if (planGemm(s, o, 0, nullptr, &plan) != cudaSuccess) {
          cudaGetLastError();
          continue;
        }
        ownMs[i] = medianLaunchMs([&]() { return launchGemm(plan, buf.a, nextB(), buf.c, nullptr, nullptr, nullptr); },
                                  launches);
      }
      // The tile path (wgmma where this device and build have it, else mma.sync): the alternative
      // to skinny past kSkinnyAutoMaxM. wgmma's TMA descriptors name B, so one plan per copy.
      double tileMs = 0;
      std::string tileName = "-";
      for (GemmPath path : {GemmPath::Wgmma, GemmPath::Mma}) {
        GemmOptions o;
        o.path = path;
        std::vector<GemmPlan> plans(copies);
        bool ok = true;
        for (int c = 0; c < copies && ok; ++c) {
          ok = planGemm(s, o, 0, nullptr, &plans[c]) == cudaSuccess;
          if (ok) {
            buf.workspace(plans[c].workspaceBytes);
            ok = bindGemm(&plans[c], buf.a, weightsB + static_cast<size_t>(c) * countW, buf.ws, enc) == cudaSuccess;
          }
        }
        if (!ok) {
          cudaGetLastError();
          continue;
        }
        int tileTurn = 0;
        tileMs = medianLaunchMs(
            [&]() {
              const int c = tileTurn++ % copies;
              return launchGemm(plans[c], buf.a, weightsB + static_cast<size_t>(c) * countW, buf.c, buf.ws, nullptr,
                                nullptr);
            },
            launches);
        tileName = gemmPathName(path);
        break;
      }
      Impl autoImpl;
      std::string autoRuns = "-";
      if (planGemm(s, GemmOptions{}, 0, nullptr, &autoImpl.plan) == cudaSuccess) {
        autoRuns = describe(autoImpl);
      } else {
        cudaGetLastError();
      }
      auto gbs = [&](double ms) { return ms > 0 ? bytesW / ms / 1e6 : 0.0; };
      char dims[32];
      std::snprintf(dims, sizeof dims, "%dx%d", w.n, w.k);
      std::printf("%-8s %-3d %-12s %9.4f %7.0f %9.4f %7.0f %9.4f %7.0f %8.3f %8.3f %9.4f %-6s  %s\n", w.what, m, dims,
                  libMs, gbs(libMs), ownMs[0], gbs(ownMs[0]), ownMs[1], gbs(ownMs[1]),
                  ownMs[1] > 0 ? libMs / ownMs[1] : 0.0, ownMs[1] > 0 ? ownMs[0] / ownMs[1] : 0.0, tileMs,
                  tileName.c_str(), autoRuns.c_str());
      std::fflush(stdout);
    }
    cudaFree(weightsB);
  }
  return 0;
}

int bench(int launches) {
  const TensorMapEncodeFn enc = encoder();
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  int sms = 0;
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  struct Shape {
    GemmDtype d;
    int n;
  };
  const Shape shapes[] = {{GemmDtype::Bf16, 4096}, {GemmDtype::Bf16, 8192}, {GemmDtype::Fp16, 4096},
                          {GemmDtype::Fp16, 8192}, {GemmDtype::Tf32, 4096}, {GemmDtype::Fp32, 4096}};
  std::printf("bench: median of %d launches after warm-up, CUDA events around each launch\n", launches);
  std::printf("%-5s %-6s %-34s %10s %10s %8s\n", "dtype", "n", "implementation", "ms", "TFLOP/s", "vs lib");
  for (const Shape& sh : shapes) {
    const GemmShape s{sh.n, sh.n, sh.n, sh.d};
    Buffers buf;
    allocate(buf, s, 0xabcdefull + sh.n);
    poison(buf, s);
    const double flops = 2.0 * sh.n * static_cast<double>(sh.n) * sh.n;
    // cuBLASLt first: the reference rate.
    std::string error;
    const double libMs = cublasLtMs(s, buf, launches, stream, &error);
    if (libMs > 0) {
      std::printf("%-5s %-6d %-34s %10.4f %10.1f %8s\n", dtypeName(sh.d), sh.n, "cuBLASLt", libMs, flops / libMs / 1e9,
                  "1.00");
    } else {
      std::printf("%-5s %-6d %-34s unavailable: %s\n", dtypeName(sh.d), sh.n, "cuBLASLt", error.c_str());
    }
    std::vector<GemmOptions> variants;
    variants.push_back(GemmOptions{});
    if (sh.d != GemmDtype::Fp32) {
      for (int g : {4, 8, 16}) variants.push_back(GemmOptions{GemmPath::Wgmma, 1, g});
      variants.push_back(GemmOptions{GemmPath::Wgmma, 2, 8});
      if (sh.n == 4096) variants.push_back(GemmOptions{GemmPath::Mma, 0, 0});
    }
    for (const GemmOptions& o : variants) {
      Impl impl;
      impl.name = o.path == GemmPath::Auto ? "default" : gemmPathName(o.path);
      if (!makeOwn(impl, buf, s, o, enc)) continue;
      timeLaunches(impl, buf, nullptr, 5, stream);
      const double ms = timeLaunches(impl, buf, nullptr, launches, stream);
      char ratio[16] = "-";
      if (libMs > 0) std::snprintf(ratio, sizeof ratio, "%.3f", libMs / ms);
      std::printf("%-5s %-6d %-34s %10.4f %10.1f %8s\n", dtypeName(sh.d), sh.n,
                  ((o.path == GemmPath::Auto ? "own default: " : "own ") + describe(impl)).c_str(), ms,
                  flops / ms / 1e9, ratio);
      std::fflush(stdout);
    }
    // Tracing cost: plain and traced launches alternate in blocks, same run; every path once.
    std::vector<GemmOptions> tracedPaths;
    if (sh.n == 4096 || sh.d == GemmDtype::Bf16) tracedPaths.push_back(GemmOptions{});
    if (sh.n == 4096 && sh.d == GemmDtype::Bf16) tracedPaths.push_back(GemmOptions{GemmPath::Mma, 0, 0});
    for (const GemmOptions& o : tracedPaths) {
      Impl impl;
      impl.name = "default";
      if (makeOwn(impl, buf, s, o, enc)) {
        Interval* trace = nullptr;
        const size_t records = impl.plan.traceRecords;
        CHECK(cudaMalloc(&trace, records * sizeof(Interval)));
        CHECK(cudaMemset(trace, 0, records * sizeof(Interval)));
        std::vector<float> plain, traced;
        for (int round = 0; round < 8; ++round) {
          plain.push_back(static_cast<float>(timeLaunches(impl, buf, nullptr, std::max(3, launches / 8), stream)));
          traced.push_back(static_cast<float>(timeLaunches(impl, buf, trace, std::max(3, launches / 8), stream)));
        }
        std::vector<Interval> host(records);
        CHECK(cudaMemcpy(host.data(), trace, records * sizeof(Interval), cudaMemcpyDeviceToHost));
        size_t good = 0;
        uint64_t first = UINT64_MAX, last = 0;
        for (const Interval& r : host) {
          if (r.startNs != 0 && r.durationNs > 0 && r.smid < static_cast<uint32_t>(sms)) ++good;
          first = std::min(first, r.startNs);
          last = std::max(last, r.startNs + r.durationNs);
        }
        const double p = median(plain), t = median(traced);
        std::printf(
            "trace %-5s %d %-22s plain %.4f ms, traced %.4f ms (medians of 8 blocks): cost %+.2f%%; %zu/%zu records "
            "sane, span %.4f ms\n",
            dtypeName(sh.d), sh.n, describe(impl).c_str(), p, t, 100.0 * (t / p - 1.0), good, records,
            (last - first) / 1e6);
        cudaFree(trace);
      }
    }
  }
  benchModels(launches, stream);
  benchDecode(launches);
  cudaStreamDestroy(stream);
  return 0;
}

// ---- tracecost ----
// The cost of tracing, launch by launch: plain and traced launches alternate (ABBA order, so a
// drift in clocks or temperature falls on both alike), each between its own events, and the cost is
// the median of the paired relative differences (traced - plain) / plain.
int traceCost(int pairs) {
  const TensorMapEncodeFn enc = encoder();
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  struct Case {
    GemmDtype d;
    int n;
    GemmPath p;
  };
  const Case cases[] = {{GemmDtype::Bf16, 4096, GemmPath::Auto}, {GemmDtype::Bf16, 8192, GemmPath::Auto},
                        {GemmDtype::Fp16, 4096, GemmPath::Auto}, {GemmDtype::Tf32, 4096, GemmPath::Auto},
                        {GemmDtype::Bf16, 4096, GemmPath::Mma},  {GemmDtype::Tf32, 4096, GemmPath::Mma},
                        {GemmDtype::Fp32, 4096, GemmPath::Auto}};
  std::printf("tracecost: %d pairs of plain and traced launches, alternating ABBA, events around each\n", pairs);
  for (const Case& c : cases) {
    const GemmShape s{c.n, c.n, c.n, c.d};
    Buffers buf;
    allocate(buf, s, 0x5eedull + c.n);
    Impl impl;
    GemmOptions o;
    o.path = c.p;
    if (!makeOwn(impl, buf, s, o, enc)) continue;
    Interval* trace = nullptr;
    const size_t records = impl.plan.traceRecords;
    CHECK(cudaMalloc(&trace, records * sizeof(Interval)));
    timeLaunches(impl, buf, nullptr, 10, stream);
    std::vector<cudaEvent_t> ev(4 * pairs);
    for (auto& e : ev) CHECK(cudaEventCreate(&e));
    for (int i = 0; i < pairs; ++i) {
      const bool tracedFirst = (i % 2) == 1;
      for (int j = 0; j < 2; ++j) {
        const bool traced = (j == 0) == tracedFirst;
        cudaEvent_t* pair = &ev[4 * i + (traced ? 2 : 0)];
        CHECK(cudaEventRecord(pair[0], stream));
        CHECK(launch(impl, buf, traced ? trace : nullptr, stream));
        CHECK(cudaEventRecord(pair[1], stream));
      }
    }
    CHECK(cudaStreamSynchronize(stream));
    std::vector<float> plain(pairs), traced(pairs), diff(pairs);
    for (int i = 0; i < pairs; ++i) {
      CHECK(cudaEventElapsedTime(&plain[i], ev[4 * i], ev[4 * i + 1]));
      CHECK(cudaEventElapsedTime(&traced[i], ev[4 * i + 2], ev[4 * i + 3]));
      diff[i] = (traced[i] - plain[i]) / plain[i];
    }
    for (auto& e : ev) cudaEventDestroy(e);
    std::vector<float> sorted = diff;
    std::sort(sorted.begin(), sorted.end());
    std::printf(
        "tracecost %-5s %d %-22s plain %.4f ms traced %.4f ms  paired cost median %+.2f%% (quartiles %+.2f%% "
        "%+.2f%%)\n",
        dtypeName(c.d), c.n, describe(impl).c_str(), median(plain), median(traced), 100.0 * median(diff),
        100.0 * sorted[pairs / 4], 100.0 * sorted[(3 * pairs) / 4]);
    std::fflush(stdout);
    cudaFree(trace);
  }
  cudaStreamDestroy(stream);
  return 0;
}

// ---- sanitize ----
// One small traced launch of each path with transposes, bf16 C, alpha, accumulate and batches.
int sanitizeLayouts(TensorMapEncodeFn enc, int failures) {
  struct Case {
    GemmDtype d;
    GemmPath p;
    int m, n, k;
    bool transA, transB;
    GemmOut out;
    int batch;
    bool accumulate;
    SkinnyKernel skinny = SkinnyKernel::Auto;
  };
  const Case cases[] = {
      {GemmDtype::Bf16, GemmPath::Mma, 127, 255, 33, true, false, GemmOut::Fp32, 1, false},
      {GemmDtype::Bf16, GemmPath::Mma, 127, 255, 33, false, true, GemmOut::Bf16, 1, false},
      {GemmDtype::Bf16, GemmPath::Mma, 130, 136, 40, true, true, GemmOut::Fp32, 3, true},
      {GemmDtype::Tf32, GemmPath::Mma, 127, 255, 33, true, true, GemmOut::Fp32, 2, false},
      {GemmDtype::Bf16, GemmPath::Wgmma, 200, 264, 136, false, true, GemmOut::Bf16, 1, false},
      {GemmDtype::Bf16, GemmPath::Wgmma, 200, 264, 136, true, false, GemmOut::Fp32, 1, true},
      {GemmDtype::Fp16, GemmPath::Wgmma, 136, 264, 72, true, true, GemmOut::Fp32, 2, false},
      {GemmDtype::Bf16, GemmPath::Wgmma, 128, 128, 64, false, true, GemmOut::Fp32, 3, false},
      {GemmDtype::Tf32, GemmPath::Wgmma, 132, 257, 100, true, false, GemmOut::Fp32, 2, false},
      {GemmDtype::Bf16, GemmPath::Wgmma, 200, 520, 2048, false, true, GemmOut::Bf16, 1, false},  // split K
      {GemmDtype::Tf32, GemmPath::Wgmma, 130, 257, 1100, true, false, GemmOut::Fp32, 2, true},  // split K
      {GemmDtype::Bf16, GemmPath::Skinny, 5, 264, 136, false, true, GemmOut::Bf16, 1, false},
      {GemmDtype::Bf16, GemmPath::Skinny, 33, 264, 136, true, true, GemmOut::Fp32, 2, true},
      {GemmDtype::Bf16, GemmPath::Skinny, 9, 264, 136, true, false, GemmOut::Fp32, 1, false},
      // Both skinny kernels forced: ragged m, n and k (k % 32 != 0), batches, A^T, every tile count.
      {GemmDtype::Bf16, GemmPath::Skinny, 3, 1000, 72, false, true, GemmOut::Fp32, 1, false, SkinnyKernel::Ffma},
      {GemmDtype::Bf16, GemmPath::Skinny, 1, 1000, 72, false, true, GemmOut::Bf16, 1, false, SkinnyKernel::Mma},
      {GemmDtype::Bf16, GemmPath::Skinny, 9, 520, 264, false, true, GemmOut::Fp32, 3, true, SkinnyKernel::Mma},
      {GemmDtype::Bf16, GemmPath::Skinny, 17, 100, 264, true, true, GemmOut::Bf16, 2, false, SkinnyKernel::Mma},
      {GemmDtype::Bf16, GemmPath::Skinny, 33, 264, 136, false, true, GemmOut::Fp32, 2, true, SkinnyKernel::Mma},
      {GemmDtype::Bf16, GemmPath::Skinny, 64, 1000, 4104, false, true, GemmOut::Bf16, 1, false, SkinnyKernel::Mma},
      {GemmDtype::Fp32, GemmPath::Simt, 127, 255, 33, true, true, GemmOut::Fp32, 2, true},
  };
  for (const Case& c : cases) {
    GemmShape s{c.m, c.n, c.k, c.d};
    s.transA = c.transA;
    s.transB = c.transB;
    s.out = c.out;
    s.batch = c.batch;
    s.accumulate = c.accumulate;
    s.alpha = c.accumulate ? 0.5f : 1.0f;
    Buffers buf;
    allocate(buf, s, 7 + c.m);
    Impl impl;
    GemmOptions o;
    o.path = c.p;
    o.skinny = c.skinny;
    if (!makeOwn(impl, buf, s, o, enc)) {
      ++failures;
      continue;
    }
    Interval* trace = nullptr;
    CHECK(cudaMalloc(&trace, impl.plan.traceRecords * sizeof(Interval)));
    CHECK(cudaMemset(trace, 0, impl.plan.traceRecords * sizeof(Interval)));
    poison(buf, s);
    CHECK(launch(impl, buf, trace, nullptr));
    CHECK(cudaDeviceSynchronize());
    // Every record the plan counts was written (the index arithmetic of split K and the sum kernel).
    std::vector<Interval> records(impl.plan.traceRecords);
    CHECK(cudaMemcpy(records.data(), trace, records.size() * sizeof(Interval), cudaMemcpyDeviceToHost));
    const size_t unwritten =
        std::count_if(records.begin(), records.end(), [](const Interval& i) { return i.startNs == 0; });
    const Check r = verifyAgainstReference(buf, s, 1 << 30);
    const bool ok = r.nonFinite == 0 && r.relative < bound(c.d) && unwritten == 0;
    failures += ok ? 0 : 1;
    std::printf("sanitize %dx%dx%d %-26s %-28s rel %.3e, %zu of %d trace records unwritten %s\n", c.m, c.n, c.k,
                layoutName(s).c_str(), describe(impl).c_str(), r.relative, unwritten, impl.plan.traceRecords,
                ok ? "ok" : "FAIL");
    cudaFree(trace);
  }
  return failures == 0 ? 0 : 1;
}

int sanitize() {
  const TensorMapEncodeFn enc = encoder();
  struct Case {
    GemmDtype d;
    GemmPath p;
    int cluster;
    int m, n, k;
    int tile = 0;  // GemmOptions::tileN
    bool epilogue = false;  // y = gelu(x W^T + bias), bf16 C
  };
  const Case cases[] = {
      {GemmDtype::Bf16, GemmPath::Wgmma, 1, 200, 264, 136},
      {GemmDtype::Bf16, GemmPath::Wgmma, 2, 300, 264, 136},
      {GemmDtype::Fp16, GemmPath::Wgmma, 2, 300, 264, 136},
      {GemmDtype::Tf32, GemmPath::Wgmma, 1, 130, 257, 100},
      {GemmDtype::Tf32, GemmPath::Wgmma, 2, 300, 257, 100},
      {GemmDtype::Bf16, GemmPath::Mma, 0, 127, 255, 33},
      {GemmDtype::Fp16, GemmPath::Mma, 0, 130, 136, 64},
      {GemmDtype::Tf32, GemmPath::Mma, 0, 127, 255, 33},
      {GemmDtype::Fp32, GemmPath::Simt, 0, 127, 255, 33},
      {GemmDtype::Fp32, GemmPath::Simt, 0, 128, 128, 64},
      {GemmDtype::Bf16, GemmPath::Wgmma, 1, 200, 264, 136, 64},
      {GemmDtype::Fp16, GemmPath::Wgmma, 1, 200, 264, 136, 64},
      {GemmDtype::Bf16, GemmPath::Wgmma, 1, 200, 264, 136, 64, true},
      {GemmDtype::Bf16, GemmPath::Wgmma, 1, 128, 768, 3072, 64, true},  // split K: the adding kernel's epilogue
      {GemmDtype::Bf16, GemmPath::Skinny, 0, 8, 520, 264, 0, true},
      {GemmDtype::Bf16, GemmPath::Wgmma, 1, 200, 264, 136, 256, true},  // the finishing pass over C
  };
  int failures = 0;
  for (const Case& c : cases) {
    GemmShape s{c.m, c.n, c.k, c.d};
    if (c.epilogue) {
      s.transB = true;
      s.out = GemmOut::Bf16;
      s.bias = true;
      s.act = Activation::Gelu;
    }
    Buffers buf;
    allocate(buf, s, 99 + c.m);
    Impl impl;
    GemmOptions o;
    o.path = c.p;
    o.clusterM = c.cluster;
    o.tileN = c.tile;
    if (!makeOwn(impl, buf, s, o, enc)) {
      ++failures;
      continue;
    }
    Interval* trace = nullptr;
    CHECK(cudaMalloc(&trace, impl.plan.traceRecords * sizeof(Interval)));
    poison(buf, s);
    CHECK(launch(impl, buf, trace, nullptr));
    CHECK(cudaDeviceSynchronize());
    const Check r = verifyAgainstReference(buf, s, 1 << 30);
    const bool ok = r.nonFinite == 0 && r.relative < bound(c.d);
    failures += ok ? 0 : 1;
    std::printf("sanitize %-5s %dx%dx%d%s %-28s rel %.3e %s\n", dtypeName(c.d), c.m, c.n, c.k,
                c.epilogue ? " +b gelu" : "", describe(impl).c_str(), r.relative, ok ? "ok" : "FAIL");
    cudaFree(trace);
  }
  return sanitizeLayouts(enc, failures);
}

// The mean time of `count` launches back to back between two events, in ms: the spacing the
// launches of a model's step see (no event between them), launch gaps included.
double burstMs(const Impl& impl, Buffers& buf, int count, cudaStream_t stream) {
  cudaEvent_t begin, end;
  CHECK(cudaEventCreate(&begin));
  CHECK(cudaEventCreate(&end));
  CHECK(cudaEventRecord(begin, stream));
  for (int i = 0; i < count; ++i) CHECK(launch(impl, buf, nullptr, stream));
  CHECK(cudaEventRecord(end, stream));
  CHECK(cudaEventSynchronize(end));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, begin, end));
  cudaEventDestroy(begin);
  cudaEventDestroy(end);
  return ms / count;
}

// Split K on the wgmma path, slice counts side by side (GemmOptions::splitK) for each tile width
// (GemmOptions::tileN), for the products with few tiles: BERT-base's layers at batch 1 (128 tokens)
// and 4 (512), two of its weight gradients at batch 32 (A^T, fp32 C), a 7B decoder's layers at
// batch 32, and a square 1000. Each cell: the median of launches
// with events around each / the mean of a burst of launches back to back (us); beside cuBLASLt's,
// and what planGemm picks by default.
int benchSplits(int launches) {
  const TensorMapEncodeFn enc = encoder();
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  struct Product {
    const char* what;
    int m, n, k;
    bool weightGrad = false;  // dW = dY^T X: A transposed, fp32 C (else y = x W^T: B transposed, bf16 C)
    bool gelu = false;  // + bias, then GELU, in the epilogue (no cuBLASLt column: its wrapper has none)
  };
  const Product products[] = {
      {"bert qkv b1", 128, 2304, 768},
      {"bert out b1", 128, 768, 768},
      {"bert up b1", 128, 3072, 768},
      {"bert up+gelu b1", 128, 3072, 768, false, true},
      {"bert down b1", 128, 768, 3072},
      {"bert qkv b4", 512, 2304, 768},
      {"bert up b4", 512, 3072, 768},
      {"bert down b4", 512, 768, 3072},
      {"bert dWqkv b32", 2304, 768, 4096, true},
      {"bert dWout b32", 768, 768, 4096, true},
      {"llm qkv b32", 32, 12288, 4096},
      {"llm down b32", 32, 4096, 11008},
      {"square 1000", 1000, 1000, 1000},
  };
  std::printf(
      "splits: wgmma with K split s ways per tile width, bf16, y = x W^T with bf16 C (dW: dY^T X, fp32 C); us: "
      "median of %d launches timed one by one / mean of a burst of %d\n",
      launches, launches);
  std::printf("%-14s %-16s %-13s %-22s %5s", "product", "m x n x k", "cuBLASLt", "default", "tile");
  const int counts[] = {1, 2, 3, 4, 6, 8, 12, 16};
  for (int c : counts) std::printf(" %10s%-2d", "s=", c);
  std::printf("\n");
  auto cell = [&](const Impl& impl, Buffers& buf) {
    timeLaunches(impl, buf, nullptr, 5, stream);
    const double one = 1e3 * timeLaunches(impl, buf, nullptr, launches, stream);
    const double burst = 1e3 * burstMs(impl, buf, launches, stream);
    char text[32];
    std::snprintf(text, sizeof text, "%.1f/%.1f", one, burst);
    return std::string(text);
  };
  for (const Product& p : products) {
    GemmShape s{p.m, p.n, p.k, GemmDtype::Bf16};
    s.transA = p.weightGrad;
    s.transB = !p.weightGrad;
    s.out = p.weightGrad ? GemmOut::Fp32 : GemmOut::Bf16;
    s.bias = p.gelu;
    s.act = p.gelu ? Activation::Gelu : Activation::None;
    Buffers buf;
    allocate(buf, s, 0x5117ull + p.n);
    char dims[48];
    std::snprintf(dims, sizeof dims, "%dx%dx%d", p.m, p.n, p.k);
    std::string lib = "-";
    CublasLtGemm lt;
    std::string error;
    bool missing = false;
    if (!p.gelu && lt.create(s, 32u << 20, error, missing)) {
      buf.workspace(lt.workspaceBytes());
      Impl libImpl;
      libImpl.lt = &lt;
      lib = cell(libImpl, buf);
    }
    Impl byDefault;
    if (!makeOwn(byDefault, buf, s, GemmOptions{}, enc)) continue;
    const std::string chosen = byDefault.plan.path == GemmPath::Wgmma
                                   ? "n" + std::to_string(byDefault.plan.tileN) + " " +
                                         std::to_string(byDefault.plan.splitK) + "-way " + cell(byDefault, buf)
                                   : std::string(gemmPathName(byDefault.plan.path));
    for (int tile : {256, 64}) {
      std::printf("%-14s %-16s %-13s %-22s %5d", p.what, dims, tile == 256 ? lib.c_str() : "",
                  tile == 256 ? chosen.c_str() : "", tile);
      for (int c : counts) {
        GemmOptions o;
        o.path = GemmPath::Wgmma;
        o.splitK = c;
        o.tileN = tile;
        Impl impl;
        if (!makeOwn(impl, buf, s, o, enc) || impl.plan.splitK != c) {
          std::printf(" %12s", "-");
          continue;
        }
        std::printf(" %12s", cell(impl, buf).c_str());
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  cudaStreamDestroy(stream);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "verify";
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, cc %d.%d, %d SMs\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
  if (mode == "verify") return verify(argc > 2 && std::strcmp(argv[2], "--quick") == 0);
  if (mode == "bench") return bench(argc > 2 ? std::atoi(argv[2]) : 40);
  if (mode == "sanitize") return sanitize();
  if (mode == "layouts") {
    int run = 0, failures = 0;
    return layouts(&run, &failures);
  }
  if (mode == "epilogue") {
    int run = 0, failures = 0;
    return epilogues(&run, &failures);
  }
  if (mode == "tracecost") return traceCost(argc > 2 ? std::atoi(argv[2]) : 200);
  if (mode == "decode") return benchDecode(argc > 2 ? std::atoi(argv[2]) : 40);
  if (mode == "splits") return benchSplits(argc > 2 ? std::atoi(argv[2]) : 40);
  if (mode == "skinny") {
    int run = 0, failures = 0;
    return skinnyChecks(&run, &failures);
  }
  std::fprintf(stderr,
               "usage: gemm_check verify [--quick] | layouts | epilogue | skinny | bench [launches] | decode "
               "[launches] | splits "
               "[launches] | tracecost "
               "[pairs] | sanitize\n");
  return 2;
}
