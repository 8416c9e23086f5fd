// Device helpers for the Hopper (sm_90a) kernels: shared-memory addresses, mbarriers, TMA, the
// wgmma shared-memory descriptor and the wgmma fence / commit / wait. Each kernel file that uses them
// compiles its Hopper kernel bodies only where GSM_SM90A is defined (the sm_90a build); elsewhere the
// kernels compile to nothing, and the host side asks sm90aAvailable() (launch.h) before choosing them.
#pragma once

#include <cstdint>
#include <cuda.h>

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GSM_SM90A 1
#elif defined(__CUDA_ARCH__)
#pragma nv_diag_suppress 177  // constants only the compiled-out kernel bodies use
#endif

namespace gsm {
namespace sm90 {

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

#ifdef GSM_SM90A

// ---- mbarriers ----
__device__ __forceinline__ void mbarInit(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
}
// Makes barrier initialisation visible to the async proxy and the cluster; follow with a CTA or cluster barrier.
__device__ __forceinline__ void mbarInitFence() { asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory"); }
__device__ __forceinline__ void mbarExpectTx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ bool mbarTryWait(uint32_t bar, uint32_t parity) {
  uint32_t done;
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}
__device__ __forceinline__ void mbarWait(uint32_t bar, uint32_t parity) {
  while (!mbarTryWait(bar, parity)) {}
}
__device__ __forceinline__ void mbarArrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(bar) : "memory");
}
// Arrives on `bar` once every cp.async this thread issued before it has completed (the barrier's
// expected count must include this arrival: .noinc does not add one).
__device__ __forceinline__ void cpAsyncArrive(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(bar) : "memory");
}
// Arrives on the barrier at the same offset in CTA `rank` of the cluster.
__device__ __forceinline__ void mbarArriveCluster(uint32_t bar, uint32_t rank) {
  uint32_t remote;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote) : "r"(bar), "r"(rank));
  asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];" ::"r"(remote) : "memory");
}

// ---- clusters ----
__device__ __forceinline__ uint32_t clusterRank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
  return r;
}
__device__ __forceinline__ void clusterSync() {
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;" ::: "memory");
}

// ---- TMA (bulk tensor copies into shared memory, completing on an mbarrier with a byte count) ----
__device__ __forceinline__ void tmaLoad(uint32_t dst, const CUtensorMap* map, int c0, int c1, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];" ::"r"(
          dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar)
      : "memory");
}
// The same box written to the same offset in every CTA of `mask`, completing on each one's barrier.
__device__ __forceinline__ void tmaLoadMulticast(uint32_t dst, const CUtensorMap* map, int c0, int c1, uint32_t bar,
                                                 uint16_t mask) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%2, %3}], [%4], %5;" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar), "h"(mask)
      : "memory");
}

// ---- wgmma ----
// Shared-memory matrix descriptor for the 128-byte swizzle (PTX ISA, "Matrix Descriptor Format"):
// a tile stored as rows of 128 bytes, 16-byte chunk c of row r at chunk position c ^ (r % 8), the
// tile's base 1024-byte aligned (the pattern repeats every 8 rows). K-major operands: leading byte
// offset unused (16), stride byte offset 1024 (the next 8 rows); start the k-th 16-element step at
// base + 32 k bytes. N-major (transposed) 16-bit operands: leading byte offset = bytes from one
// 64-column box to the next, stride byte offset 1024 (the next 8 rows of K).
__device__ __forceinline__ uint64_t smemDescriptor(uint32_t address, uint32_t leadingBytes, uint32_t strideBytes) {
  return static_cast<uint64_t>((address & 0x3FFFF) >> 4) | (static_cast<uint64_t>(leadingBytes >> 4) << 16) |
         (static_cast<uint64_t>(strideBytes >> 4) << 32) | (1ull << 62);
}
// Byte offset of 16-byte chunk `chunk` (0..7) of row `row` in a 128-byte-swizzled tile (what TMA's
// CU_TENSOR_MAP_SWIZZLE_128B writes, for code that fills tiles with cp.async instead).
__device__ __forceinline__ uint32_t swizzle128(int row, int chunk) {
  return static_cast<uint32_t>(row * 128 + ((chunk ^ (row & 7)) << 4));
}

__device__ __forceinline__ void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmmaCommit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory");
}
// Keeps the compiler from moving accumulator reads or writes across a wgmma fence or wait.
template <int N>
__device__ __forceinline__ void pinRegisters(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// Register budget of a warpgroup (warp specialisation): producers give registers to consumers.
template <int N>
__device__ __forceinline__ void setMaxRegistersDec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(N));
}
template <int N>
__device__ __forceinline__ void setMaxRegistersInc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(N));
}

// ---- proxies ----
// Orders this thread's view of shared memory written through the generic proxy (st.shared, and
// cp.async: its completion is observed through an mbarrier) before its later async-proxy accesses
// (wgmma operand reads, TMA). A consumer of cp.async-filled stages runs it after the full barrier;
// a producer refilling a stage that wgmma read runs it after the empty barrier.
__device__ __forceinline__ void fenceProxyAsyncShared() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }

#endif  // GSM_SM90A

}  // namespace sm90
}  // namespace gsm
