#!/usr/bin/env bash
# On the GPU host: what the merged tree has not yet run there (see the README's "What is not here
# yet"): every GPU test, bench over all presets and the conv/attention tile variants (part `tests`);
# time slicing and MPS with every observation source, the default sweep kept with its points (the
# examples/), and the README sweep (part `runs`). Logs, and the result JSON in results.tar.gz, under
# $OUT (at most 8 files come back, 16 MiB each); reports are made from the JSON afterwards.
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
  step bench.txt gpushare-micro bench --json "$WORK/bench.json"
  step variants.txt node scripts/kernel-bench.mjs --presets resnet50-l1-3x3,resnet50-l3-3x3,llm-4k --variants --duration-ms 150 --json "$WORK/variants.json"
  tar -C "$WORK" -czf "$OUT/results.tar.gz" bench.json variants.json
  grep -h "exit=" "$OUT"/*.txt
  exit 0
fi
# Examples: time slicing and MPS side by side, and the default sweep kept with its points.
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --json "$WORK/timeslice.json"
step runs.txt gpushare-micro --kernel gemm --procs 4 --duration 3s --cupti --mode mps --json "$WORK/mps.json"
step runs.txt gpushare-micro sweep --out "$WORK/example-sweep" --format markdown
echo "leftover processes: $(leftovers)" >> "$OUT/runs.txt"
# The README sweep.
step sweep.txt gpushare-micro sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes timeslice,mps,streams,green,mig --loops saturate,closed --out "$WORK/sweep" --format markdown
echo "leftover processes: $(leftovers)" >> "$OUT/sweep.txt"
tar -C "$WORK" -czf "$OUT/results.tar.gz" timeslice.json mps.json example-sweep sweep
ls -la "$OUT"
grep -h "exit=" "$OUT"/*.txt
