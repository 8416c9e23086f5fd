#!/usr/bin/env bash
# The recorded GPU run of the conv / attention / copy kernels (docs/results/*-h200-kernels): the
# correctness tests, the library comparison and tile variants, and
# compute-sanitizer. Run from a checkout with the addon built and dist/ compiled, node on PATH
# (source .gpu/activate); logs go to $OUT (default ./gpu-out).
set -uo pipefail
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$PWD/build/Release/gpushare_micro.node}
vitest=node_modules/vitest/vitest.mjs  # here or in a parent folder (a copy inside another checkout)
for d in . .. ../..; do [ -f "$d/node_modules/vitest/vitest.mjs" ] && vitest=$d/node_modules/vitest/vitest.mjs && break; done
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,compute_mode --format=csv
  node --version
  ls -l /usr/lib/x86_64-linux-gnu/libcudnn.so.9* /usr/local/cuda/lib64/libcublas.so.* 2>&1
} > "$OUT/host.txt" 2>&1
step() { # name, seconds, command...
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  echo "\$ $*" > "$OUT/$name.txt"
  timeout "$limit" "$@" >> "$OUT/$name.txt" 2>&1
  local rc=$?
  echo "exit=$rc seconds=$((SECONDS - t0))" | tee -a "$OUT/$name.txt"
}
step tests 60 node "$vitest" run test/gpu/conv.test.ts test/gpu/attention.test.ts test/gpu/copy.test.ts
step bench 100 node scripts/kernel-bench.mjs --variants --duration-ms 150 --matrix-tflops 788 --json "$OUT/bench.json"
step memcheck 45 compute-sanitizer --tool memcheck --error-exitcode 3 --print-limit 20 node scripts/kernel-sanitize.mjs
step racecheck 60 compute-sanitizer --tool racecheck --error-exitcode 3 --print-limit 20 node scripts/kernel-sanitize.mjs
nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw --format=csv >> "$OUT/host.txt" 2>&1
grep -E "✓|×|FAIL|passed|failed" "$OUT/tests.txt" | tail -60
cat "$OUT/bench.txt" | tail -60
tail -n 4 "$OUT/memcheck.txt" "$OUT/racecheck.txt"
