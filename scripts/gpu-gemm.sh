#!/usr/bin/env bash
# The gemm checks on the GPU host, logs under $OUT (see docs/results/2026-11-29-h200-gemm/README.md).
# Runs from a package root holding dist/, build/Release/gpushare_micro.node, build/gemm-check/
# gemm_check (scripts/build-gemm-check.sh), src/, test/ and .gpu/ (tools/gpu-pack). Each step has
# its own time limit, so a hung kernel costs one step, not the whole run.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
export GPUSHARE_ADDON=$PWD/build/Release/gpushare_micro.node
check=build/gemm-check/gemm_check

step() { # log-file limit-seconds name command...
  local log=$1 limit=$2 name=$3; shift 3
  local t0; t0=$(date +%s%N)
  echo "== $name: \$ $*" >> "$OUT/$log"
  timeout -k 5 "$limit" "$@" >> "$OUT/$log" 2>&1
  local rc=$?
  echo "== $name: exit=$rc after $(( ($(date +%s%N) - t0) / 1000000 )) ms" >> "$OUT/$log"
  echo "$name exit=$rc $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  return $rc
}

{
  date -u +%Y-%m-%dT%H:%M:%SZ
  uname -r
  nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current,persistence_mode,clocks.sm,clocks.max.sm,power.draw,temperature.gpu --format=csv
  node --version
  ldconfig -p | grep -i cublasLt || echo "cublasLt not in the loader cache"
  ls /usr/local/cuda/lib64/libcublasLt.so* 2>/dev/null
  /usr/local/cuda/bin/compute-sanitizer --version | head -2
} > "$OUT/host.txt" 2>&1

# The kernels' machine code: wgmma (HGMMA), TMA (UTMALDG), local memory (LDL/STL) per kernel.
cuobjdump --dump-sass "$check" 2>/dev/null | awk '
  /Function :/ { if (name != "") printf "%-100s HGMMA %4d UTMALDG %3d HMMA %4d LDL/STL %3d\n", name, h, t, m, l; name = $3; h = t = m = l = 0 }
  /HGMMA/ { h++ } /UTMALDG/ { t++ } / HMMA/ { m++ } /LDL|STL/ { l++ }
  END { if (name != "") printf "%-100s HGMMA %4d UTMALDG %3d HMMA %4d LDL/STL %3d\n", name, h, t, m, l }' | grep -i gemm > "$OUT/sass.txt"

step check.txt 30 quick "$check" sanitize
if [ $? -eq 124 ]; then echo "a kernel hung: stopping here"; exit 1; fi
step check.txt 90 verify "$check" verify
step check.txt 90 bench "$check" bench 60
step bench.txt 120 cli-bench node dist/cli/main.js bench --json "$OUT/bench.json"
step bench.txt 60 cli-bench-again node dist/cli/main.js bench --preset gemm-bf16-4096,gemm-bf16-8192,gemm-fp16-4096
step sanitizer.txt 90 memcheck /usr/local/cuda/bin/compute-sanitizer --tool memcheck --error-exitcode 9 "$check" sanitize
step sanitizer.txt 120 racecheck /usr/local/cuda/bin/compute-sanitizer --tool racecheck --racecheck-report all --error-exitcode 9 "$check" sanitize
step sanitizer.txt 60 synccheck /usr/local/cuda/bin/compute-sanitizer --tool synccheck --error-exitcode 9 "$check" sanitize
step tests.txt 200 vitest npx vitest run test/gpu test/addon.test.ts test/bench.test.ts
echo "leftover processes: $(pgrep -c -f 'client-main|nvidia-cuda-mps' || true)" >> "$OUT/tests.txt"
grep -h "exit=" "$OUT"/*.txt
