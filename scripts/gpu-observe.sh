#!/usr/bin/env bash
# Runs on the GPU host from a copy of this branch (see docs/results/2026-11-29-h200-observe): the
# observe GPU tests, then `monitor --duration 10s` (with its Prometheus endpoint scraped once) beside
# a 4-client gemm run. Logs go to $OUT (or ./gpu-out). Expects node on PATH (source .gpu/activate).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current,persistence_mode,clocks.sm,clocks.max.sm,power.limit,ecc.mode.current --format=csv
  node --version
  ls /usr/local/cuda/lib64/libcupti* /usr/local/cuda/extras/CUPTI/lib64/libcupti* 2>/dev/null
  node dist/cli/main.js info
} > "$OUT/host.txt" 2>&1

echo "== GPU tests (observe)"
VITEST="npx vitest"; [ -f ../node_modules/vitest/vitest.mjs ] && VITEST="node ../node_modules/vitest/vitest.mjs"
OBSERVE_OUT=$OUT $VITEST run test/gpu/observe.test.ts > "$OUT/tests.txt" 2>&1
echo "tests exit=$?" >> "$OUT/tests.txt"
grep -E '\[observe\]|✓|×|Tests|exit=' "$OUT/tests.txt" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-600

echo "== monitor beside a 4-client gemm run"
{
  echo "\$ node dist/cli/main.js --kernel gemm --procs 4 --duration 8s"
  node dist/cli/main.js --kernel gemm --procs 4 --duration 8s 2>&1
  echo "exit=$?"
} > "$OUT/gemm-p4.txt" &
run_pid=$!
sleep 6
{
  echo "\$ node dist/cli/main.js monitor --duration 10s --prometheus 9464   (started 6 s after the run)"
  node dist/cli/main.js monitor --duration 10s --prometheus 9464 2>&1
  echo "exit=$?"
} > "$OUT/monitor.txt" &
mon_pid=$!
sleep 8   # the shared phase: scrape the endpoint under load
node -e "fetch('http://127.0.0.1:9464/metrics').then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(String(e)); process.exit(1); })" > "$OUT/prometheus-under-load.txt" 2>&1
wait $mon_pid
wait $run_pid
# The screen a terminal gets, through a pseudo-terminal.
if command -v script > /dev/null; then
  COLUMNS=110 script -qec "node dist/cli/main.js monitor --once" /dev/null > "$OUT/monitor-screen.txt" 2>&1
fi
tail -n 30 "$OUT/gemm-p4.txt" | cut -c1-200
grep -c 'gpu=0 util' "$OUT/monitor.txt"; head -n 12 "$OUT/monitor.txt" | cut -c1-300
grep -E '^DCGM_FI_(DEV_GPU_UTIL|DEV_SM_CLOCK|DEV_POWER_USAGE|PROF_SM_ACTIVE|PROF_SM_OCCUPANCY|PROF_PIPE_TENSOR_ACTIVE|PROF_DRAM_ACTIVE)\{' "$OUT/prometheus-under-load.txt" | cut -c1-200
echo "leftover: $(pgrep -c -f 'client-main|nvidia-cuda-mps' || true)"
