#!/usr/bin/env bash
# The project's checks on the GPU host (/work/shared/GPU-HOST.md), part by part, each under its own
# time limit, with logs and results under one folder. Not shipped in the npm package.
#
# Build and pack on a development machine first (npm install, npm run build:ts, tools/gpu-pack), then
# on the host, from the repository root:
#   source .gpu/activate
#   bash scripts/gpu/run.sh [--out DIR] [--limit SECONDS] [--tests "VITEST ARGS"] [--sweep-dir DIR] PART...
#
# Parts (run in the order given; each writes PART.txt with every command, its output and exit code):
#   smoke       every own conv/attention/copy/triad code path launched once, and one step of each model
#               workload at a small size (test/gpu/kernel-launches.mjs --models):
#               run it first, a kernel that hangs then costs this part, not the tests
#   tests       vitest: the GPU tests (test/gpu) or what --tests names (e.g. "" for the whole suite)
#   bench       `gpushare-micro bench` over every preset, bench.json
#   variants    `bench --variants` on the workloads whose defaults were tuned (gemm, conv, attention), variants.json
#   sanitize    compute-sanitizer memcheck and racecheck over the own kernels (the smoke launches)
#   gemm-check  builds test/native/gemm_check.cu with nvcc (no Node): SASS counts, verify, bench, and
#               compute-sanitizer memcheck, racecheck and synccheck over its sanitize launches
#   nn-check    builds test/native/nn_cnn_check.cu and nn_transformer_check.cu (no Node): verify against
#               float64 references, compute-sanitizer memcheck and racecheck over their sanitize
#               launches, bench; then cudnn_conv_check.cu: cuDNN's graph-API convolution against the
#               legacy API and float64 (verify), both timed per ResNet-50 shape (bench)
#   model-check builds test/native/model_check.cu (no Node): run-small (every model tiny), infer-match
#               (ResNet and BERT inference, own with its norms, biases and activations fused, against
#               library), grad (gradients against finite differences), dump +
#               scripts/pytorch/check_grads.py (the tiny ResNet's gradients against PyTorch autograd),
#               loss (50 training steps), run (the full-size models, own and library: time per step,
#               memory, the slowest layers)
#   model-sanitize  compute-sanitizer memcheck over model_check run-small
#               (nn-check, model-check and model-sanitize share one build of the kernels and models,
#               kept in build/native-checks while the sources are unchanged)
#   runs        the README's single runs: gemm with 1, 2 and 4 clients, probe with 2 and 4, green
#               contexts with an uneven split
#   probe-state the switch gap against what each probe CTA holds: shared memory 0..200K with one
#               thread, then registers 0..255 with 256 threads, then threads 1..1024 (2 probe
#               processes, 3 s per state); probe-smem.json, probe-regs.json, probe-threads.json
#   examples    4 gemm clients under time slicing and MPS with CUPTI (the examples/ results), and the
#               default sweep with its points; results.tar.gz
#   sweep       the README sweep (gemm 2048 and 8192, 1/2/4 procs, every mode, both loops) into
#               --sweep-dir (resumed when it holds one), sweep.tar.gz
#   monitor     `monitor` for 20 s beside a 4-client run of 2 runs, its Prometheus endpoint scraped twice under
#               load (per-process SM use, the run's phase and figures), and `monitor --once` through a pseudo-terminal
#   scenarios   every built-in scenario under timeslice, mps, streams and green, `advise` on each result,
#               into --scenario-dir; scenarios.tar.gz
#   peak        `scenario peak train+infer` for the inference role under the four modes, into --scenario-dir
#   repeats     the run-to-run spread of the headline ratios: gemm 4096, 4 clients, under time slicing and
#               MPS with --runs 10 (repeats-timeslice.json, repeats-mps.json), each run's figures and the
#               medians with their intervals in repeats-spread.txt, then a sweep of the four modes with
#               --runs 5 and its noise verdict (repeats-sweep.tar.gz)
#
# --out DIR      logs and results (default $OUT, else ./gpu-out)
# --limit S      time limit of every part in seconds (default: each part's own, all under 10 minutes)
# --scenario-dir DIR  where the scenarios and peak parts write their results directories (default: a temporary one)
# Every MPS daemon started meanwhile (its pipe directory is under this run's private TMPDIR) is stopped
# at the end, also when a part fails or times out; host.txt ends with what was still running.
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$PWD/gpu-out}
LIMIT=
TESTS=test/gpu
SWEEP_DIR=
SCENARIO_DIR=
PARTS=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=${2:?--out needs a folder}; shift 2 ;;
    --limit) LIMIT=${2:?--limit needs seconds}; shift 2 ;;
    --tests) TESTS=${2?--tests needs vitest arguments}; shift 2 ;;
    --sweep-dir) SWEEP_DIR=${2:?--sweep-dir needs a folder}; shift 2 ;;
    --scenario-dir) SCENARIO_DIR=${2:?--scenario-dir needs a folder}; shift 2 ;;
    -h|--help) usage ;;
    smoke|tests|bench|variants|sanitize|gemm-check|nn-check|model-check|model-sanitize|runs|probe-state|examples|sweep|monitor|scenarios|peak|repeats) PARTS+=("$1"); shift ;;
    *) echo "run.sh: unknown part or option '$1' (--help lists them)" >&2; exit 2 ;;
  esac
done
[ ${#PARTS[@]} -gt 0 ] || usage
case $LIMIT in ''|*[!0-9]*) [ -z "$LIMIT" ] || { echo "run.sh: --limit expects whole seconds, got '$LIMIT'" >&2; exit 2; } ;; esac
command -v node > /dev/null || { echo "run.sh: node is not on PATH: source .gpu/activate first" >&2; exit 2; }
[ -f "$ROOT/dist/cli/main.js" ] || { echo "run.sh: $ROOT/dist is not built (npm run build:ts on the development machine)" >&2; exit 2; }

cd "$ROOT" || exit 2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
# Every temporary folder of this run, MPS pipe directories included, lies under WORK/tmp.
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
[ -f build/Release/gpushare_micro.node ] && export GPUSHARE_ADDON=${GPUSHARE_ADDON:-$ROOT/build/Release/gpushare_micro.node}
export OBSERVE_OUT=$OUT
CLI=(node "$ROOT/dist/cli/main.js")
VITEST=(node "$ROOT/node_modules/vitest/vitest.mjs")
SANITIZER=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}

leftovers() { pgrep -a -f 'client-main|nvidia-cuda-mps' | grep -v pgrep || true; }

stop_mps() { # every control daemon whose pipe directory is this run's
  local pidfile dir pid
  while IFS= read -r pidfile; do
    dir=$(dirname "$pidfile")
    pid=$(cat "$pidfile" 2> /dev/null)
    echo quit | CUDA_MPS_PIPE_DIRECTORY=$dir timeout 10 nvidia-cuda-mps-control > /dev/null 2>&1
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2> /dev/null || break; sleep 1; done
    if kill -0 "$pid" 2> /dev/null; then echo "MPS control daemon $pid ($dir) did not quit: killed" >> "$OUT/host.txt"; kill "$pid"; fi
  done < <(find "$TMPDIR" -name nvidia-cuda-mps-control.pid 2> /dev/null)
}

finish() {
  stop_mps
  { echo; echo "after the run ($(date -u +%H:%M:%SZ)), still running: $(leftovers)"; } >> "$OUT/host.txt"
  rm -rf "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM

# step LOG COMMAND...: runs it with what is left of the part's time, logging the command, output and exit.
step() {
  local log=$OUT/$1; shift
  local left=$((DEADLINE - SECONDS)) start=$SECONDS rc
  { echo; echo "\$ $*"; } >> "$log"
  if [ "$left" -le 0 ]; then echo "exit=124 seconds=0 (no time left in this part)" >> "$log"; return 124; fi
  timeout -k 10 "$left" "$@" >> "$log" 2>&1
  rc=$?
  echo "exit=$rc seconds=$((SECONDS - start))" >> "$log"
  [ $rc -eq 0 ] || FAILED=1
  return $rc
}

part_smoke() { step smoke.txt node test/gpu/kernel-launches.mjs --models; }

part_tests() {
  # shellcheck disable=SC2086 # --tests holds vitest's arguments, split on spaces
  step tests.txt "${VITEST[@]}" run $TESTS
  echo "leftover processes after the tests: $(leftovers)" >> "$OUT/tests.txt"
}

part_bench() { step bench.txt "${CLI[@]}" bench --json "$OUT/bench.json"; }

part_variants() {
  step variants.txt "${CLI[@]}" bench --variants --json "$OUT/variants.json" \
    --preset gemm-bf16-4096,conv-resnet50-56x56x64,conv-resnet50-14x14x256,attention-llm-4096,attention-bert-512
}

part_sanitize() {
  local tool
  for tool in memcheck racecheck; do
    step sanitize.txt "$SANITIZER" --tool "$tool" --error-exitcode 3 --print-limit 20 node test/gpu/kernel-launches.mjs
  done
}

part_gemm_check() {
  local check=$WORK/gemm-check/gemm_check tool
  mkdir -p "$WORK/gemm-check"
  # The gemm kernels, the fill helpers and the cuBLASLt loader, no Node: sm_90a and sm_80 machine code.
  step gemm-check.txt "$NVCC" -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -gencode=arch=compute_80,code=sm_80 \
    --expt-relaxed-constexpr -lineinfo -Xptxas -v -o "$check" test/native/gemm_check.cu kernels/gemm.cu kernels/gemm_wgmma.cu \
    kernels/gemm_mma.cu kernels/gemm_simt.cu kernels/gemm_skinny.cu kernels/gemm_skinny_mma.cu kernels/gemm_finish.cu kernels/fill.cu kernels/sm90.cu \
    -I. -Inative \
    native/libraries/cublaslt.cpp native/libraries/shared_library.cpp -ldl || return
  # Per kernel: wgmma (HGMMA), TMA (UTMALDG), mma.sync (HMMA) and local memory (LDL/STL) instructions.
  cuobjdump --dump-sass "$check" 2> /dev/null | awk '
    /Function :/ { if (name != "") printf "%-100s HGMMA %4d UTMALDG %3d HMMA %4d LDL/STL %3d\n", name, h, t, m, l; name = $3; h = t = m = l = 0 }
    /HGMMA/ { h++ } /UTMALDG/ { t++ } / HMMA/ { m++ } /LDL|STL/ { l++ }
    END { if (name != "") printf "%-100s HGMMA %4d UTMALDG %3d HMMA %4d LDL/STL %3d\n", name, h, t, m, l }' > "$OUT/gemm-sass.txt"
  step gemm-check.txt "$check" sanitize || return  # quick: a kernel that hangs stops the part here
  step gemm-check.txt "$check" verify
  step gemm-check.txt "$check" bench 60
  for tool in memcheck racecheck synccheck; do
    step gemm-check.txt "$SANITIZER" --tool "$tool" --error-exitcode 9 "$check" sanitize
  done
}

# The CUDA code the nn and model checks link, without Node: every kernel, the model graphs, the
# libraries loaded at run time and core/errors.cpp (its N-API part left out: -DGSM_NO_NAPI), sm_90a
# only, compiled (all cores at once) into one archive, from which each check takes what it needs.
# Kept in build/native-checks (ignored by git) and reused while its sources and flags are unchanged,
# so that parts in separate calls to the host compile once. LOG: the part's log.
NATIVE_FLAGS=(-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a --expt-relaxed-constexpr -lineinfo -I. -Inative -DGSM_NO_NAPI)
NATIVE_DIR=${NATIVE_DIR:-$ROOT/build/native-checks}
native_archive() {
  local log=$1 dir=$NATIVE_DIR stamp
  stamp=$( { echo "${NATIVE_FLAGS[*]}"; "$NVCC" --version; cat kernels/* native/models/* native/core/errors.* native/libraries/*; } \
    2> /dev/null | sha256sum | cut -c1-16)
  if [ -f "$dir/libgsm.a" ] && [ "$(cat "$dir/stamp" 2> /dev/null)" = "$stamp" ]; then
    echo "native archive $dir/libgsm.a is up to date ($stamp)" >> "$OUT/$log"
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir/kernels" "$dir/native/models" "$dir/native/libraries" "$dir/native/core"
  ls kernels/*.cu native/models/*.cpp native/core/errors.cpp \
    native/libraries/{shared_library,driver_api,cudnn_api,cudnn_conv_graph,cublaslt,cublas_attention}.cpp > "$dir/sources.txt"
  step "$log" xargs -a "$dir/sources.txt" -P "$(nproc)" -I{} "$NVCC" "${NATIVE_FLAGS[@]}" -c {} -o "$dir/{}.o" || return
  # shellcheck disable=SC2046 # the objects' paths, none with spaces
  step "$log" ar rcs "$dir/libgsm.a" $(sed "s|^|$dir/|; s|\$|.o|" "$dir/sources.txt") || return
  echo "$stamp" > "$dir/stamp"
}

part_nn_check() {
  local name check tool
  native_archive nn-check.txt || return
  for name in nn_cnn_check nn_transformer_check; do
    check=$NATIVE_DIR/$name
    step nn-check.txt "$NVCC" "${NATIVE_FLAGS[@]}" -o "$check" "test/native/$name.cu" "$NATIVE_DIR/libgsm.a" -ldl || continue
    step nn-check.txt "$check" verify
    for tool in memcheck racecheck; do
      step nn-check.txt "$SANITIZER" --tool "$tool" --error-exitcode 9 --print-limit 20 "$check" sanitize
    done
    step nn-check.txt "$check" bench
  done
  # cuDNN's convolution forward through the graph API against the legacy API and float64, then both timed
  # per ResNet-50 shape (no sanitizer: the kernels are cuDNN's).
  check=$NATIVE_DIR/cudnn_conv_check
  step nn-check.txt "$NVCC" "${NATIVE_FLAGS[@]}" -o "$check" test/native/cudnn_conv_check.cu "$NATIVE_DIR/libgsm.a" -ldl || return
  step nn-check.txt "$check" verify
  step nn-check.txt "$check" bench
}

part_model_check() {
  local check=$NATIVE_DIR/model_check
  native_archive model-check.txt || return
  step model-check.txt "$NVCC" "${NATIVE_FLAGS[@]}" -o "$check" test/native/model_check.cu "$NATIVE_DIR/libgsm.a" -ldl || return
  step model-check.txt "$check" run-small || return  # quick: a kernel that hangs stops the part here
  step model-check.txt "$check" infer-match
  step model-check.txt "$check" grad
  local impl dump
  for impl in own library; do  # the tiny ResNet's gradients against PyTorch autograd (float64, and bf16 as the yardstick)
    dump=$(mktemp -d)
    step model-check.txt "$check" dump "$dump" "$impl" && step model-check.txt python3 scripts/pytorch/check_grads.py "$dump"
    rm -rf "$dump"
  done
  step model-check.txt "$check" loss
  step model-check.txt "$check" run
}

part_model_sanitize() {
  local check=$NATIVE_DIR/model_check
  native_archive model-sanitize.txt || return
  step model-sanitize.txt "$NVCC" "${NATIVE_FLAGS[@]}" -o "$check" test/native/model_check.cu "$NATIVE_DIR/libgsm.a" -ldl || return
  step model-sanitize.txt "$SANITIZER" --tool memcheck --error-exitcode 9 --print-limit 20 "$check" run-small
}

part_runs() {
  local procs
  for procs in 1 2 4; do step runs.txt "${CLI[@]}" --kernel gemm --procs "$procs"; done
  for procs in 2 4; do step runs.txt "${CLI[@]}" probe --procs "$procs"; done
  step runs.txt "${CLI[@]}" --kernel gemm --procs 2 --mode green --sm-split 64,56 --duration 2s
  echo "leftover processes: $(leftovers)" >> "$OUT/runs.txt"
}

part_probe_state() {
  step probe-state.txt "${CLI[@]}" probe --smem 0,32K,64K,128K,200K --json "$OUT/probe-smem.json"
  step probe-state.txt "${CLI[@]}" probe --threads 256 --regs 0,32,64,128,255 --json "$OUT/probe-regs.json"
  step probe-state.txt "${CLI[@]}" probe --threads 1,32,256,1024 --regs 32 --json "$OUT/probe-threads.json"
  echo "leftover processes: $(leftovers)" >> "$OUT/probe-state.txt"
}

part_examples() {
  step examples.txt "${CLI[@]}" --kernel gemm --procs 4 --duration 3s --cupti --json "$WORK/timeslice.json"
  step examples.txt "${CLI[@]}" --kernel gemm --procs 4 --duration 3s --cupti --mode mps --json "$WORK/mps.json"
  step examples.txt "${CLI[@]}" sweep --out "$WORK/example-sweep" --format markdown
  echo "leftover processes: $(leftovers)" >> "$OUT/examples.txt"
  # shellcheck disable=SC2046 # the names of what was written, none with spaces
  tar -C "$WORK" -czf "$OUT/results.tar.gz" $(cd "$WORK" && ls -d timeslice.json mps.json example-sweep 2> /dev/null)
}

part_sweep() {
  local dir=${SWEEP_DIR:-$WORK/sweep} resume=()
  [ -f "$dir/summary.json" ] && resume=(--resume)
  step sweep.txt "${CLI[@]}" sweep --kernels gemm --sizes 2048,8192 --procs 1,2,4 --modes timeslice,mps,streams,green,mig \
    --loops saturate,closed --out "$dir" "${resume[@]}" --format markdown
  echo "leftover processes: $(leftovers)" >> "$OUT/sweep.txt"
  [ -d "$dir" ] && tar -C "$(dirname "$dir")" -czf "$OUT/sweep.tar.gz" "$(basename "$dir")"
}

part_monitor() {
  # A 4-client run of 2 runs (about 16 s) beside a 20 s monitor: the endpoint is scraped while run 1 shares
  # the GPU (per-process SM use of the clients, the run's phase) and while run 2 goes on (run 1's figures).
  ( sleep 1; "${CLI[@]}" --kernel gemm --procs 4 --duration 3s --runs 2 --quiet > "$OUT/monitor-run.txt" 2>&1; echo "exit=$?" >> "$OUT/monitor-run.txt" ) &
  local at
  for at in 8 15; do
    ( sleep "$at"; node -e "fetch('http://127.0.0.1:9464/metrics').then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(String(e)); process.exit(1); })" \
        > "$OUT/prometheus-under-load-$at.txt" 2>&1 ) &
  done
  step monitor.txt "${CLI[@]}" monitor --duration 20s --interval 1000 --prometheus 9464
  wait
  echo "the run beside it: $(tail -n 1 "$OUT/monitor-run.txt"); leftover processes: $(leftovers)" >> "$OUT/monitor.txt"
  for at in 8 15; do
    { echo; echo "gpushare_micro_run_* and per-process utilisation scraped at ${at} s:"; grep -E '^gpushare_micro_(run_|process_(sm|memory)_utilization)' "$OUT/prometheus-under-load-$at.txt" || echo '(none)'; } >> "$OUT/monitor.txt"
  done
  command -v script > /dev/null && COLUMNS=110 step monitor.txt script -qec "${CLI[*]} monitor --once" /dev/null
}

part_scenarios() {
  local dir=${SCENARIO_DIR:-$WORK/scenarios} name
  mkdir -p "$dir"
  for name in $("${CLI[@]}" scenario list --names); do
    step scenarios.txt "${CLI[@]}" scenario run "$name" --out "$dir/$name"
    step scenarios.txt "${CLI[@]}" advise "$dir/$name"
    echo "leftover processes after $name: $(leftovers)" >> "$OUT/scenarios.txt"
  done
  tar -C "$dir" -czf "$OUT/scenarios.tar.gz" .
}

part_peak() {
  local dir=${SCENARIO_DIR:-$WORK/scenarios}
  mkdir -p "$dir"
  step peak.txt "${CLI[@]}" scenario peak train+infer --role infer --out "$dir/peak-train+infer"
  echo "leftover processes: $(leftovers)" >> "$OUT/peak.txt"
  tar -C "$dir" -czf "$OUT/peak.tar.gz" "peak-train+infer"
}

part_repeats() {
  local mode
  # 10 runs of 3 s phases per mode: about 80 s each (MPS starts its daemon once per run).
  for mode in timeslice mps; do
    step repeats.txt "${CLI[@]}" --kernel gemm --procs 4 --mode "$mode" --duration 3s --runs 10 --quiet --json "$OUT/repeats-$mode.json"
  done
  # Each run's headline ratios, then the medians with their intervals and the outliers: the spread to record in docs/results/.
  for mode in timeslice mps; do
    [ -f "$OUT/repeats-$mode.json" ] || continue
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const fmt = (s) => s ? `${s.value.toFixed(4)}${s.ci ? ` [${s.ci.low.toFixed(4)}–${s.ci.high.toFixed(4)}] (${(s.ci.level * 100).toFixed(1)}%)` : ""}` : "-";
      const at = (list, tag) => list.find((s) => s.tag === tag);
      console.log(`${r.mode}: ${r.repeats.runs} runs, phases of run ${r.repeats.recorded + 1} recorded, complete ${r.complete}`);
      r.repeats.perRun.forEach((run, i) => console.log(`  run ${i + 1}: aggregate ${fmt(at(run.comparison, "aggregate.vsSolo"))}, worst slowdown ${fmt(at(run.comparison, "slowdown.max"))}, solo ${fmt(at(run.solo[0].summaries, "throughput"))} launch/s`));
      for (const tag of ["aggregate.vsSolo", "slowdown.max", "fairness"]) console.log(`  ${tag}: ${fmt(at(r.comparison, tag))}`);
      for (const c of r.shared.clients) console.log(`  client ${c.client}: slowdown ${fmt(at(c.summaries, "slowdown"))}, p99 vs solo ${fmt(at(c.summaries, "latency.p99.vsSolo"))}`);
      for (const o of r.repeats.outliers) console.log(`  outlier: run ${o.run + 1} ${o.name} ${o.value.toFixed(4)} (median ${o.median.toFixed(4)}, score ${o.score.toFixed(1)})`);
    ' "$OUT/repeats-$mode.json" >> "$OUT/repeats-spread.txt" 2>&1
  done
  step repeats.txt "${CLI[@]}" sweep --kernels gemm --sizes 4096 --procs 4 --modes timeslice,mps,streams,green --duration 1s --runs 5 --quiet \
    --out "$WORK/repeats-sweep"
  echo "leftover processes: $(leftovers)" >> "$OUT/repeats.txt"
  [ -d "$WORK/repeats-sweep" ] && tar -C "$WORK" -czf "$OUT/repeats-sweep.tar.gz" repeats-sweep
}

# Default limits in seconds, each under the 10 minutes of one call to the host.
declare -A DEFAULT_LIMIT=([smoke]=120 [tests]=480 [bench]=180 [variants]=240 [sanitize]=420 [gemm-check]=480 [nn-check]=540 [model-check]=590 [model-sanitize]=480 [runs]=180 [probe-state]=240 [examples]=300 [sweep]=560 [monitor]=60 [scenarios]=540 [peak]=540 [repeats]=560)

{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,compute_mode,mig.mode.current,persistence_mode,clocks.sm,clocks.max.sm,power.draw,temperature.gpu --format=csv
  node --version
  ls -l /usr/lib/x86_64-linux-gnu/libcudnn.so.9* /usr/local/cuda/lib64/libcublasLt.so.* 2>&1 | head -4
  "${CLI[@]}" info
  echo "already running before the parts: $(leftovers)"
} > "$OUT/host.txt" 2>&1

count() { grep -c "$1" "$2" 2> /dev/null || true; }
FAILED=0
for part in "${PARTS[@]}"; do
  DEADLINE=$((SECONDS + ${LIMIT:-${DEFAULT_LIMIT[$part]}}))
  start=$SECONDS
  "part_${part//-/_}"
  ok=$(count '^exit=0 ' "$OUT/$part.txt")
  all=$(count '^exit=' "$OUT/$part.txt")
  echo "$part: $((SECONDS - start)) s, ${ok:-0} of ${all:-0} commands exited 0"
done
grep -H '^exit=' "$OUT"/*.txt
exit $FAILED
