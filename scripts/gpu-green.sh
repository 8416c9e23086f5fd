#!/usr/bin/env bash
# On the GPU host: green contexts after the split fix — resumes the README sweep in SWEEP_DIR (its
# green points failed before the fix and run again), three green runs, and the green GPU tests.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
SWEEP_DIR=${SWEEP_DIR:-.dev-sweep/sweep}
mkdir -p "$OUT"
source .gpu/activate
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
step() { local file=$1; shift; { echo; echo "\$ $*"; } >> "$OUT/$file"; local start=$SECONDS; "$@" >> "$OUT/$file" 2>&1; echo "exit=$? seconds=$((SECONDS - start))" >> "$OUT/$file"; }
step sweep.txt gpushare-micro sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes timeslice,mps,streams,green,mig --loops saturate,closed --out "$SWEEP_DIR" --resume --format markdown
tar -C "$(dirname "$SWEEP_DIR")" -czf "$OUT/sweep.tar.gz" "$(basename "$SWEEP_DIR")"
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --duration 2s
step runs.txt gpushare-micro --kernel gemm --procs 4 --mode green --duration 2s
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --sm-split 64,56 --duration 2s
step tests.txt npx vitest run test/gpu/modes.test.ts -t green
echo "leftovers: $(pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep)" >> "$OUT/runs.txt"
grep -h "exit=" "$OUT"/*.txt
