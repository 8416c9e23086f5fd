#!/usr/bin/env bash
# On the GPU host: what the merged tree has not yet run there (see the README's "What is not here
# yet"): every GPU test; bench over all presets; time slicing and MPS with every observation source
# and their side-by-side report (SM timelines included); the README sweep with the Hopper gemm, kept
# with its points and reported on the host. Logs and reports under $OUT (at most 8 files come back).
# Two parts, each inside one device call's 10 minutes: `gpu-next.sh tests`, then `gpu-next.sh runs`.
set -uo pipefail
PART=${1:?usage: gpu-next.sh tests|runs}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
source .gpu/activate
export PATH=$PWD/node_modules/.bin:$PATH
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
WORK=$(mktemp -d)
leftovers() { pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep || true; }
step() { local file=$1; shift; { echo; echo "\$ $*"; } >> "$OUT/$file"; local start=$SECONDS; "$@" >> "$OUT/$file" 2>&1; echo "exit=$? seconds=$((SECONDS - start))" >> "$OUT/$file"; }
{ date -u +%Y-%m-%dT%H:%M:%SZ; nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current --format=csv; gpushare-micro info; } > "$OUT/host.txt" 2>&1
if [ "$PART" = tests ]; then
  step tests.txt npx vitest run test/gpu
  echo "leftover processes after the tests: $(leftovers)" >> "$OUT/tests.txt"
  grep -h "exit=" "$OUT"/*.txt
  exit 0
fi
step bench.txt gpushare-micro bench --json "$WORK/bench.json"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --json "$WORK/timeslice.json"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --mode mps --json "$WORK/mps.json"
step runs.txt gpushare-micro report "$WORK/timeslice.json" "$WORK/mps.json" -o "$OUT/report-timeslice-vs-mps.html"
step sweep.txt gpushare-micro sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes timeslice,mps,streams,green,mig --loops saturate,closed --out "$WORK/sweep" --format markdown
step sweep.txt gpushare-micro report "$WORK/sweep" -o "$OUT/report-sweep.html"
echo "leftover processes: $(leftovers)" >> "$OUT/runs.txt"
tar -C "$WORK" -czf "$OUT/results.tar.gz" bench.json timeslice.json mps.json sweep
grep -h "exit=" "$OUT"/*.txt
