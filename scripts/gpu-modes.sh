#!/usr/bin/env bash
# Runs on the GPU host: the sharing modes (issue 3) — GPU tests, single runs in every mode, the
# wrong-option checks, and the sweep of the README — with logs under $OUT (or ./gpu-out). Build
# and pack first on a development machine: npm install && npm run build:ts && ../shared/tools/gpu-pack
# SWEEP_MODES and SWEEP_ARGS override the sweep's modes and extra arguments.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
leftovers() { pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep || true; }
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current,persistence_mode,clocks.sm,clocks.max.sm --format=csv
  node --version
  gpushare-micro info
} > "$OUT/host.txt" 2>&1
step() { # file, command...: appends the command, its output and its exit code
  local file=$1; shift
  { echo; echo "\$ $*"; } >> "$OUT/$file"
  local start=$SECONDS
  "$@" >> "$OUT/$file" 2>&1
  echo "exit=$? seconds=$((SECONDS - start))" >> "$OUT/$file"
}
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode mps --duration 3s
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode mps --mps-threads 25 --duration 3s
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode streams --priority high,low,low,low --duration 3s
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --sm-split 96,32 --duration 3s
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode green --duration 3s
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode mig
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --sm-split 100,100
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --sm-split 66,66
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode streams --priority 3
step runs.txt gpushare-micro probe --procs 2 --mode mps
echo "leftover processes after the runs: $(leftovers)" >> "$OUT/runs.txt"
step sweep.txt gpushare-micro sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes "${SWEEP_MODES:-timeslice,mps,streams,green,mig}" --loops saturate,closed --out "$OUT/sweep" --format markdown ${SWEEP_ARGS:-}
echo "leftover processes after the sweep: $(leftovers)" >> "$OUT/sweep.txt"
tar -C "$OUT" -czf "$OUT/sweep.tar.gz" sweep && rm -rf "$OUT/sweep"
step tests.txt npx vitest run test/gpu
echo "leftover processes after the tests: $(leftovers)" >> "$OUT/tests.txt"
tail -n 8 "$OUT/tests.txt"; grep -h "exit=" "$OUT"/*.txt
