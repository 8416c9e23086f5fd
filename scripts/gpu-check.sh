#!/usr/bin/env bash
# Runs on the GPU host (see docs/results/README.md): every GPU test and the documented commands,
# with logs under $OUT (or ./gpu-out). Build and pack first on a development machine:
#   npm install && npm run build:ts && ../shared/tools/gpu-pack
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
# npx would resolve this project's own bin by installing it into npm's npx cache, which needs the
# registry (or a warm cache); the GPU host has neither, so put the same entry point on PATH.
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current,persistence_mode,clocks.sm,clocks.max.sm --format=csv
  node --version
} > "$OUT/host.txt" 2>&1
run() { # name, command...
  local name=$1; shift
  echo "\$ $*" > "$OUT/$name.txt"
  "$@" >> "$OUT/$name.txt" 2>&1
  echo "exit=$?" >> "$OUT/$name.txt"
}
gpushare-micro info >> "$OUT/host.txt" 2>&1
run gemm-p4 gpushare-micro --kernel gemm --procs 4 --json "$OUT/gemm-p4.json"
run gemm-p1 gpushare-micro --kernel gemm --procs 1
run gemm-p2 gpushare-micro --kernel gemm --procs 2
run probe-p2 gpushare-micro probe --procs 2
run probe-p4 gpushare-micro probe --procs 4
echo "leftover processes (client-main, nvidia-cuda-mps): $(pgrep -c -f 'client-main|nvidia-cuda-mps')" >> "$OUT/host.txt"
run tests npx vitest run
echo "leftover processes after the tests: $(pgrep -c -f 'client-main|nvidia-cuda-mps')" >> "$OUT/tests.txt"
tail -n 6 "$OUT/tests.txt"; grep -h exit= "$OUT"/*.txt | sort | uniq -c
