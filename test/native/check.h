// Shared by the standalone GPU checks (test/native/*.cu): CHECK(call) stops the program with exit
// status 2, naming the call, the file and line, and the CUDA error, when a CUDA call fails; Buf, a
// device buffer; and medianLaunchMs, the bench modes' timing.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>
#include <cuda_runtime_api.h>

#define CHECK(call)                                                                                    \
  do {                                                                                                 \
    const cudaError_t e_ = (call);                                                                     \
    if (e_ != cudaSuccess) {                                                                           \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, cudaGetErrorName(e_)); \
      std::exit(2);                                                                                    \
    }                                                                                                  \
  } while (0)

// A device buffer of n elements (at least one allocated), freed on scope exit.
template <class T>
struct Buf {
  T* d = nullptr;
  size_t n = 0;
  explicit Buf(size_t count) : n(count) { CHECK(cudaMalloc(&d, std::max<size_t>(count, 1) * sizeof(T))); }
  ~Buf() { cudaFree(d); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  std::vector<T> get() const {
    std::vector<T> h(n);
    CHECK(cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
  void put(const std::vector<T>& h) { CHECK(cudaMemcpy(d, h.data(), n * sizeof(T), cudaMemcpyHostToDevice)); }
  void poison() { CHECK(cudaMemset(d, 0xff, n * sizeof(T))); }  // all ones: NaN in bf16 and fp32
};

// Median milliseconds of `launches` launches (on the legacy stream) after `warmup`, CUDA events around each.
inline double medianLaunchMs(const std::function<cudaError_t()>& launch, int launches = 30, int warmup = 5) {
  for (int i = 0; i < warmup; ++i) CHECK(launch());
  std::vector<cudaEvent_t> ev(2 * launches);
  for (auto& e : ev) CHECK(cudaEventCreate(&e));
  for (int i = 0; i < launches; ++i) {
    CHECK(cudaEventRecord(ev[2 * i], nullptr));
    CHECK(launch());
    CHECK(cudaEventRecord(ev[2 * i + 1], nullptr));
  }
  CHECK(cudaDeviceSynchronize());
  std::vector<float> ms(launches);
  for (int i = 0; i < launches; ++i) CHECK(cudaEventElapsedTime(&ms[i], ev[2 * i], ev[2 * i + 1]));
  for (auto& e : ev) cudaEventDestroy(e);
  std::sort(ms.begin(), ms.end());
  const int n = launches;
  return n % 2 == 1 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}
