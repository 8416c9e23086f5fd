#!/usr/bin/env bash
# On the GPU host: the issue 3 and 4 checks in one call — the sweep of the README (timed), two
# 4-client gemm runs (time slicing, MPS) with every observation source and their JSON, monitor for
# 10 s beside a run, and the modes and observe GPU tests. Logs under $OUT.
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
leftovers() { pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep || true; }
step() { local file=$1; shift; { echo; echo "\$ $*"; } >> "$OUT/$file"; local start=$SECONDS; "$@" >> "$OUT/$file" 2>&1; echo "exit=$? seconds=$((SECONDS - start))" >> "$OUT/$file"; }
{ date -u +%Y-%m-%dT%H:%M:%SZ; nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current --format=csv; gpushare-micro info; } > "$OUT/host.txt" 2>&1
step sweep.txt gpushare-micro sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes timeslice,mps,streams,green,mig --loops saturate,closed --out "$OUT/sweep" --format markdown
echo "leftover processes after the sweep: $(leftovers)" >> "$OUT/sweep.txt"
rm -rf "$OUT/sweep/points" "$OUT/sweep/baselines"; tar -C "$OUT" -czf "$OUT/sweep.tar.gz" sweep && rm -rf "$OUT/sweep"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --json "$OUT/timeslice-p4.json"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --mode mps --json "$OUT/mps-p4.json"
step runs.txt gpushare-micro --kernel gemm --procs 2 --mode green --duration 2s
( sleep 1; gpushare-micro --kernel gemm --procs 4 --duration 6s --quiet > /dev/null 2>&1 ) &
step monitor.txt gpushare-micro monitor --duration 10s --interval 1000
wait
echo "leftover processes after the runs: $(leftovers)" >> "$OUT/runs.txt"
step tests.txt npx vitest run test/gpu/modes.test.ts test/gpu/observe.test.ts test/gpu/sharing.test.ts
echo "leftover processes after the tests: $(leftovers)" >> "$OUT/tests.txt"
gzip -f "$OUT"/*.json
tail -n 5 "$OUT/tests.txt"; grep -h "exit=" "$OUT"/*.txt
