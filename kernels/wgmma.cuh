// wgmma (warpgroup matrix multiply-accumulate, sm_90a) wrappers shared by the Hopper kernels:
// D (64 x N fp32, N / 2 registers per thread) (+)= A (64 x 16) B (16 x N), bf16 operands.
//   wgmmaSS<N, kTransB>: A and B from shared memory (descriptors, see sm90::smemDescriptor); kTransB
//     1 when B is stored N-major (rows of n), 0 when K-major (rows of k).
//   wgmmaRS<N, kTransB>: A from registers (four 32-bit registers of bf16 pairs per thread, the
//     mma.m16n8k16 A-fragment layout per warp: warp w holds rows 16 w .. 16 w + 15), B as above.
// `accumulate` 0 ignores D's old value. Accumulator layout: warp w of the warpgroup holds rows
// 16 w .. 16 w + 15; d[4 j + 0..1] = row lane / 4, columns 8 j + 2 (lane % 4) + {0, 1}; d[4 j + 2..3]
// the same columns 8 rows down. The GSM_WGMMA_R / GSM_WGMMA_D macros spell the accumulator operands
// for kernels that need other instruction types (kernels/gemm_wgmma.cu: fp16, tf32).
#pragma once

#include <cstdint>
#include "sm90.cuh"

#ifdef GSM_SM90A

// clang-format off: the operand lists stay as written, one register range per line
#define GSM_WGMMA_R32 \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, " \
  "%21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
#define GSM_WGMMA_R64 \
  GSM_WGMMA_R32 ", " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, " \
  "%51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
#define GSM_WGMMA_R128 \
  GSM_WGMMA_R64 ", " \
  "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, " \
  "%83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, " \
  "%102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, " \
  "%118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
#define GSM_WGMMA_D32(d) \
  "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
  "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), \
  "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), \
  "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), \
  "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
#define GSM_WGMMA_D64(d) \
  GSM_WGMMA_D32(d), \
  "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), \
  "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), \
  "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), \
  "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), \
  "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
#define GSM_WGMMA_D128(d) \
  GSM_WGMMA_D64(d), \
  "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), \
  "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), \
  "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), \
  "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), \
  "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), \
  "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), \
  "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), \
  "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), \
  "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), \
  "+f"(d[127])
// clang-format on

namespace gsm {
namespace sm90 {

template <int kTransB>
__device__ __forceinline__ void wgmmaSS64(float (&d)[32], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {" GSM_WGMMA_R32 "}, %32, %33, p, 1, 1, 0, %35;\n}"
      : GSM_WGMMA_D32(d)
      : "l"(descA), "l"(descB), "r"(accumulate), "n"(kTransB));
}
template <int kTransB>
__device__ __forceinline__ void wgmmaSS128(float (&d)[64], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {" GSM_WGMMA_R64 "}, %64, %65, p, 1, 1, 0, %67;\n}"
      : GSM_WGMMA_D64(d)
      : "l"(descA), "l"(descB), "r"(accumulate), "n"(kTransB));
}
template <int kTransB>
__device__ __forceinline__ void wgmmaSS256(float (&d)[128], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {" GSM_WGMMA_R128 "}, %128, %129, p, 1, 1, 0, %131;\n}"
      : GSM_WGMMA_D128(d)
      : "l"(descA), "l"(descB), "r"(accumulate), "n"(kTransB));
}

template <int N, int kTransB>
__device__ __forceinline__ void wgmmaSS(float (&d)[N / 2], uint64_t descA, uint64_t descB, uint32_t accumulate) {
  static_assert(N == 64 || N == 128 || N == 256, "wgmmaSS: n of 64, 128 or 256");
  if constexpr (N == 64) {
    wgmmaSS64<kTransB>(d, descA, descB, accumulate);
  } else if constexpr (N == 128) {
    wgmmaSS128<kTransB>(d, descA, descB, accumulate);
  } else {
    wgmmaSS256<kTransB>(d, descA, descB, accumulate);
  }
}

// The register form (PTX ISA): d, a, b-desc, scale-d, imm-scale-a, imm-scale-b, imm-trans-b (A in
// registers has no transpose). It always accumulates.
template <int kTransB>
__device__ __forceinline__ void wgmmaRS64(float (&d)[32], const uint32_t (&a)[4], uint64_t descB) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {" GSM_WGMMA_R32
      "}, {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}"
      : GSM_WGMMA_D32(d)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(descB), "n"(1), "n"(kTransB));
}
template <int kTransB>
__device__ __forceinline__ void wgmmaRS128(float (&d)[64], const uint32_t (&a)[4], uint64_t descB) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {" GSM_WGMMA_R64
      "}, {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}"
      : GSM_WGMMA_D64(d)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(descB), "n"(1), "n"(kTransB));
}

template <int N, int kTransB>
__device__ __forceinline__ void wgmmaRS(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t descB) {
  static_assert(N == 64 || N == 128, "wgmmaRS: n of 64 or 128");
  if constexpr (N == 64) {
    wgmmaRS64<kTransB>(d, a, descB);
  } else {
    wgmmaRS128<kTransB>(d, a, descB);
  }
}

}  // namespace sm90
}  // namespace gsm

#endif  // GSM_SM90A
