#!/usr/bin/env bash
# Builds the standalone gemm check and benchmark (test/native/gemm_check.cu) with nvcc alone: the
# gemm kernels, the fill helpers and the cuBLASLt loader, no Node. Output: build/gemm-check/gemm_check.
#   GPUSHARE_CUDA_GENCODE  nvcc -gencode flags (default: sm_90a machine code and sm_80 machine code)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
gencode=${GPUSHARE_CUDA_GENCODE:--gencode=arch=compute_90a,code=sm_90a -gencode=arch=compute_80,code=sm_80}
out=$root/build/gemm-check
mkdir -p "$out"
# shellcheck disable=SC2086
"$nvcc" -std=c++17 -O3 $gencode --expt-relaxed-constexpr -lineinfo -Xptxas -v \
  -o "$out/gemm_check" \
  "$root/test/native/gemm_check.cu" "$root/kernels/gemm.cu" "$root/kernels/gemm_wgmma.cu" \
  "$root/kernels/gemm_mma.cu" "$root/kernels/gemm_simt.cu" "$root/kernels/fill.cu" "$root/kernels/sm90.cu" \
  -I"$root" -I"$root/native" "$root/native/libraries/cublaslt.cpp" "$root/native/libraries/shared_library.cpp" -ldl 2> "$out/ptxas.txt" || { cat "$out/ptxas.txt"; exit 1; }
grep -E "error|warning" "$out/ptxas.txt" || true
echo "built $out/gemm_check"
