#!/usr/bin/env bash
# A short check on the GPU host of the newest mode and observation code: the modes and observe GPU
# tests and one run per in-process mode, logs under $OUT.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
step() { local file=$1; shift; { echo; echo "\$ $*"; } >> "$OUT/$file"; local start=$SECONDS; "$@" >> "$OUT/$file" 2>&1; echo "exit=$? seconds=$((SECONDS - start))" >> "$OUT/$file"; }
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --sm-split 96,32 --duration 2s
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode streams --priority high,low,low,low --duration 2s --loop closed --size 2048
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 2s --cupti --json "$OUT/timeslice-p4.json"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 2s --cupti --mode mps --json "$OUT/mps-p4.json"
step runs.txt gpushare-micro --kernel gemm --procs 2 --duration 2s --pm-sampling
echo "leftovers: $(pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep)" >> "$OUT/runs.txt"
step tests.txt npx vitest run test/gpu/modes.test.ts test/gpu/observe.test.ts
gzip -f "$OUT"/*.json
tail -n 5 "$OUT/tests.txt"; grep -h "exit=" "$OUT"/*.txt
