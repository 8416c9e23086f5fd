// A workload: what one timed loop launches, over and over. Each kernel family (and each library
// implementation of it) is one Workload in its own file; the timed loop knows nothing else about it.
// prepare() runs on the loop's stream in the loop's context: allocate, fill the inputs with fresh
// random values, poison the outputs. launch() enqueues one launch and returns its cudaError_t (never
// throws); `trace`, when not null, has room for ctasPerLaunch() records of that launch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <cuda_runtime_api.h>
#include "kernels/launch.h"

namespace gsm {

// Shapes have at most this many dimensions (conv has the most: 9).
constexpr size_t kMaxShapeDims = 16;

// What a timed loop launches (src/binding/contract.ts, WorkloadSpec, documents every field and the
// values each workload accepts; makeWorkload checks them).
struct WorkloadSpec {
  std::string kernel;             // gemm, probe, ... (the TypeScript side validated it)
  std::string impl = "own";       // own, or a library (cublas, cudnn) where the kernel has one
  std::string dtype = "bf16";
  std::vector<int64_t> shape;     // kernel-specific: gemm m,n,k
  std::string gemmPath;           // gemm, own: auto (empty), wgmma, mma or simt (tests force a path)
  int variant = -1;               // conv and attention, own: the tile variant; -1 chooses by shape and device
  std::string cudnnGraph;         // attention, cudnn: auto (empty), unified or composite
  uint64_t probeActiveNs = 0;     // probe: running time per CTA per launch
  uint32_t gapThresholdNs = 0;    // probe
  uint32_t gapCapacity = 0;       // probe
  uint64_t seed = 0;
  bool profileLayers = false;     // model workloads: CUDA events between layers (Observations::layerTimes)
};

// A tensor copied back to the host as float (bf16/fp16 widened exactly), for correctness checks.
struct HostTensor {
  std::string name;            // e.g. "a", "b", "c"; the output is last
  std::vector<int64_t> dims;   // row-major
  std::vector<float> values;
};

// One op of a model workload's step (Workload::layers()): the layer it belongs to, the phase
// (forward, backward, update), what it computes, what ran it ("own wgmma", "cuDNN", ...), its FLOPs.
struct LayerInfo {
  std::string layer, phase, what, impl;
  double flops = 0;
};

// A model workload's (layer, phase) run of consecutive ops, timed with CUDA events: one duration per
// timed step of the run (WorkloadSpec::profileLayers), in order.
struct LayerTimes {
  std::string layer, phase, impl;  // impl: its ops' implementations joined ("own wgmma + cuDNN")
  std::vector<uint32_t> ns;
};

// What each CTA of a workload's kernel holds on its SM while it is resident (and what a context
// switch must save and restore): 0 where the workload does not know (library kernels).
struct ResidentState {
  int threadsPerCta = 0;
  int registersPerThread = 0;
  size_t sharedBytesPerCta = 0;  // dynamic and static
};

// What the loop reads back after a run besides the CTA trace (the probe's gaps, a model's layer times).
struct Observations {
  uint64_t gapsObserved = 0;  // may exceed gaps.size() when the buffer overflowed
  std::vector<Interval> gaps;
  std::vector<LayerTimes> layerTimes;  // model workloads with profileLayers; empty otherwise
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Before prepare(), when launches run in a green context: the SMs they may use. Persistent
  // kernels size their grid to it (one CTA per SM of the device would run in several waves).
  virtual void limitSms(int) {}
  virtual void prepare(int device, cudaStream_t stream) = 0;
  // CTAs per launch when instrumented (trace records per launch); 0 when launches are not traced.
  virtual int ctasPerLaunch() const = 0;
  // A library failure that has no cudaError_t (cuBLAS, cuDNN) throws NativeFailure instead.
  virtual cudaError_t launch(cudaStream_t stream, Interval* trace) = 0;
  // Floating-point operations and DRAM bytes of one launch (0 where not meaningful).
  virtual double flopsPerLaunch() const { return 0; }
  virtual double bytesPerLaunch() const { return 0; }
  // After prepare(): what runs, in a few words (e.g. the kernel path or library), for reports.
  virtual std::string describe() const { return ""; }
  // After prepare(), model workloads: every op of a step, in order (empty for single kernels).
  virtual std::vector<LayerInfo> layers() const { return {}; }
  // After prepare(): what each CTA holds on its SM (unknown, all 0, by default).
  virtual ResidentState resident() const { return {}; }
  // After prepare(): device memory the workload holds, in bytes (0 where not counted).
  virtual size_t deviceBytes() const { return 0; }
  // Called after warm-up and after each run: clear and read back per-run observations.
  virtual void resetObservations(cudaStream_t) {}
  virtual void collectObservations(Observations&) {}
  // Inputs then the output of the last launch, copied to the host (synchronises the stream). The
  // output is poisoned (NaN) by prepare(), so a launch that writes nothing cannot pass a check.
  virtual std::vector<HostTensor> readTensors(cudaStream_t stream) = 0;
  virtual void release() noexcept = 0;
};

// Throws NativeFailure (ERR_ARGS) for a kernel/impl/dtype this build does not have, a shape the
// workload cannot take, or a knob (variant, cudnnGraph) it does not have. Makes no CUDA call.
std::unique_ptr<Workload> makeWorkload(const WorkloadSpec& spec);

// Device-memory helper for workloads: frees on release, never throws.
template <typename T>
void freeDevice(T*& p) noexcept {
  if (p != nullptr) cudaFree(p);
  p = nullptr;
}

}  // namespace gsm

namespace gsm {
// Copies device buffers into HostTensors (synchronous).
HostTensor bf16Tensor(const char* name, const uint16_t* device, std::vector<int64_t> dims);
HostTensor fp16Tensor(const char* name, const uint16_t* device, std::vector<int64_t> dims);
HostTensor floatTensor(const char* name, const float* device, std::vector<int64_t> dims);
}  // namespace gsm
