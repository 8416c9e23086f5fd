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
  # A smoke run of every own kernel path first, under a hard limit: a kernel that deadlocks (an
  # mbarrier never completed) would otherwise hold the tests until the call's limit.
  step smoke.txt timeout 120 node scripts/kernel-sanitize.mjs
  if ! grep -q "^exit=124 " "$OUT/smoke.txt"; then  # finished (wrong results show in the tests)
    step tests.txt timeout 420 npx vitest run test/gpu
    step bench.txt timeout 120 gpushare-micro bench --json "$WORK/bench.json"
    step variants.txt timeout 150 node scripts/kernel-bench.mjs --presets resnet50-l1-3x3,resnet50-l3-3x3,resnet50-l4-3x3,llm-4k,bert-base --variants --duration-ms 150 --json "$WORK/variants.json"
  else
    echo "smoke run timed out: the conv, attention and sanitizer tests and the conv/attention bench are left out" >> "$OUT/tests.txt"
    step tests.txt timeout 420 npx vitest run test/gpu --exclude test/gpu/conv.test.ts --exclude test/gpu/attention.test.ts --exclude test/gpu/sanitizer.test.ts
    step bench.txt timeout 120 gpushare-micro bench --preset gemm-bf16-4096,gemm-bf16-8192,copy-1gib --json "$WORK/bench.json"
  fi
  echo "leftover processes after the tests: $(leftovers)" >> "$OUT/tests.txt"
  tar -C "$WORK" -czf "$OUT/results.tar.gz" $(cd "$WORK" && ls)
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
