#!/usr/bin/env bash
# The GPU machine check in one command (tests/gpu/README.md):
#   tests/gpu/run.sh [--cpu-smoke] [--models] [OUT_DIR]
# Configures a GUI-less build against the machine's CUDA LibTorch (from its Python's torch), builds the
# headless `polyplens` and `gpu_check` in it, then runs within TIME_BUDGET: the Python peers
# (peer_gpu.py), gpu_check (parity, speed, weights_cache), `polyplens info`, `polyplens train` on the
# Kvasir-SEG pack (gpu-carry/kvasir) into OUT_DIR/train-run, `polyplens eval` of that run and of the
# bundled default model, `polyplens bench model` and `bench train`. Results land in OUT_DIR (default:
# $OUT, else build/gpu-results), packed to fit the device tool's 8 returned files of <= 16 MiB:
# run.log, eval.json, eval_default_<dev>.json, train-run/{best.pt or best.pt.part-*, metrics.jsonl,
# config.json} and results.tar.gz (everything else). Join the checkpoint: cat best.pt.part-* > best.pt
# --cpu-smoke: the same end to end on the CPU against the LibTorch CMake finds by default (Debian's
# here), tiny settings, in build/gpu-smoke; exits 0 only if every step worked.
# --models: the model-training session instead (tests/gpu/train_models.sh): builds polyplens only and
# trains the bundled preset with --recipe scratch and ann-r50 with the paper's recipe side by side for
# the same wall time, each schedule sized from a measured epoch so its lr decay ends in the budget.
# Environment: PYTHON (first of python3, /usr/bin/python3 that imports torch), TORCH_DIR (LibTorch's
# CMake dir), BUILD_DIR, JOBS, BUILD_MODE (cmake; direct: build_direct.sh only), DATA (the pack's
# kvasir/ folder), SKIP_PEERS / SKIP_BENCH / SKIP_TRAIN (1: skip), GPU_CHECK_ARGS (e.g. "--only profile"),
# TRAIN_PRESET (ann-r18-live), TRAIN_CROP (320; smoke 64), TRAIN_BATCH (16; smoke 2), TRAIN_EPOCHS
# (30; smoke 1), TIME_BUDGET (470 s for everything on the GPU machine; smoke: 600 s after the build).
set -uo pipefail
t0=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
smoke=0
models=0
out="${OUT:-}"
for a in "$@"; do
  case "$a" in
    --cpu-smoke) smoke=1 ;;
    --models) models=1 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) out="$a" ;;
  esac
done
out="${out:-$repo/build/gpu-results}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# What an earlier run in the same folder left (on the device, $OUT starts empty).
rm -rf "$out"/{train-run,work,results.tar.gz,build.log,nvidia-smi.txt,gpu_check.json,peer_gpu.json} \
       "$out"/{eval.json,eval_default_cpu.json,eval_default_cpu_auto.json,eval_default_cuda.json} \
       "$out"/{eval_default_cuda_auto.json,bench_model.json,bench_train.json,bench_train_r18.json} \
       "$out"/{r50-run,eval_r50.json,calibrate}
exec > >(tee "$out/run.log") 2>&1
tee_pid=$!
elapsed() { echo $(( $(date +%s) - t0 )); }
say() { echo "[run.sh $(elapsed) s] $*"; }
# Exit once tee has written everything (run.log is one of the files that come back).
finish() {
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null || sleep 1
  exit "$1"
}

say "repo $repo, results in $out, mode $([[ $smoke == 1 ]] && echo cpu-smoke || echo gpu)$([[ $models == 1 ]] && echo ", models")"
echo "host: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
else
  echo "gpu: nvidia-smi not found"
fi

# The Python with torch (the peers, the wheel's LibTorch, re-saving backbone weights).
if [[ -z "${PYTHON:-}" ]]; then
  PYTHON=python3
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import torch' >/dev/null 2>&1; then PYTHON="$p"; break; fi
  done
fi
PYTHON="$(command -v "$PYTHON" || echo "$PYTHON")"
nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
echo "tools: $(cmake --version 2>&1 | head -1); $(c++ --version 2>&1 | head -1); $([[ -x $nvcc ]] && "$nvcc" --version 2>&1 | tail -1 || echo "no nvcc"); python $PYTHON"
preset="${TRAIN_PRESET:-ann-r18-live}"
data="${DATA:-$repo/gpu-carry/kvasir}"
if [[ $smoke == 1 ]]; then
  build="${BUILD_DIR:-$repo/build/gpu-smoke}"
  jobs="${JOBS:-2}"
  torch_dir="${TORCH_DIR:-}"
  dev=cpu
  threads=2
  export OMP_NUM_THREADS=2
  crop="${TRAIN_CROP:-64}"
  batch="${TRAIN_BATCH:-2}"
  epochs="${TRAIN_EPOCHS:-1}"
  budget="${TIME_BUDGET:-600}"  # for the steps after the build (a 2-core build takes what it takes)
else
  build="${BUILD_DIR:-$repo/build/gpu}"
  jobs="${JOBS:-$(nproc)}"
  torch_dir="${TORCH_DIR:-}"
  if [[ -z "$torch_dir" ]]; then
    prefix="$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" || prefix=""
    [[ -n "$prefix" ]] || { say "FAILED: $PYTHON cannot import torch (set TORCH_DIR or PYTHON)"; finish 1; }
    torch_dir="$prefix/Torch"
  fi
  "$PYTHON" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  # TorchConfig asks Caffe2's CUDA setup for nvcc and the GPU architecture.
  [[ -d /usr/local/cuda/bin ]] && export PATH="/usr/local/cuda/bin:$PATH"
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  dev=cuda
  threads=0
  crop="${TRAIN_CROP:-320}"
  batch="${TRAIN_BATCH:-16}"
  epochs="${TRAIN_EPOCHS:-30}"
  budget="${TIME_BUDGET:-470}"  # everything, the build included
fi
budget_t0=$t0

# ---- The ledger: every step's outcome; the exit code is 0 only when none failed. ----
ledger=()
nfailed=0
record() {  # record NAME STATUS SECONDS
  ledger+=("$(printf '%-22s %-34s %5s s' "$1" "$2" "$3")")
  [[ $2 == ok || $2 == skipped* ]] || nfailed=$((nfailed + 1))
}
time_left() { echo $(( budget - ($(date +%s) - budget_t0) )); }
# step NAME CAP CMD...: runs CMD with a timeout of CAP seconds or the time left, whichever is less.
step() {
  local name="$1" cap="$2"; shift 2
  local left; left=$(time_left)
  local t=$(( cap < left ? cap : left ))
  if (( t < 5 )); then
    say "$name: not run, TIME_BUDGET ($budget s) spent"
    record "$name" "FAILED (no time left)" 0
    return 1
  fi
  say "$name (timeout ${t} s): $*"
  local s; s=$(date +%s)
  timeout --signal=TERM --kill-after=15 "$t" "$@"
  local rc=$?
  local d=$(( $(date +%s) - s ))
  if (( rc == 0 )); then
    record "$name" ok "$d"
  elif (( rc == 124 || rc == 137 )); then
    say "$name: ran out of time after $d s"
    record "$name" "FAILED (timeout ${t} s)" "$d"
  else
    say "$name: FAILED, exit $rc"
    record "$name" "FAILED (exit $rc)" "$d"
  fi
  return $rc
}
missing() {  # missing NAME WHAT: a step that cannot run because its binary did not build
  say "$1: not run ($2 did not build)"
  record "$1" "FAILED ($2 not built)" 0
}

# ---- Build: polyplens and gpu_check in one CMake build; fallbacks below. ----
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
configure() {
  cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPOLYPLENS_WITH_GUI=OFF \
    ${torch_dir:+-DTorch_DIR="$torch_dir"} "$@" >> "$out/build.log" 2>&1
}
build_targets() { cmake --build "$build" --target "$@" -j "$jobs" >> "$out/build.log" 2>&1; }
pl_bin=""
gc_bin=""
# Fallbacks, in order: one build of both targets; each target alone (one failing does not stop the
# other); gpu_check without its CUDA graph/TF32 extras; then, for what CMake could not build against
# this LibTorch, build_direct.sh (the flags read from Python's torch), gpu_check with and without extras.
direct() {  # direct TARGET [build_direct.sh options]
  local target="$1"; shift
  local extra=(--target "$target" "$@")
  [[ $smoke == 1 ]] && extra+=(--cpu)
  mkdir -p "$build/direct"
  PYTHON="$PYTHON" JOBS="$jobs" "$here/build_direct.sh" "$build/direct/$target" "${extra[@]}" >> "$out/build.log" 2>&1
}
say "configure ($build, Torch_DIR=${torch_dir:-default})"
: > "$out/build.log"
bs=$(date +%s)
if [[ "${BUILD_MODE:-cmake}" == direct ]]; then
  say "BUILD_MODE=direct: skipping CMake"
elif configure -DPOLYPLENS_GPU_EXTRAS=ON; then
  [[ $models == 1 ]] || say "build polyplens and gpu_check with $jobs jobs"
  if [[ $models == 1 ]]; then
    say "build polyplens with $jobs jobs (--models: no gpu_check)"
    build_targets polyplens && pl_bin="$build/app/polyplens"
  elif build_targets polyplens gpu_check; then
    pl_bin="$build/app/polyplens"
    gc_bin="$build/tests/gpu/gpu_check"
  else
    say "build failed (first errors of build.log below); building each target alone"
    grep -m 20 -E "error|Error" "$out/build.log" || true
    build_targets polyplens && pl_bin="$build/app/polyplens"
    build_targets gpu_check && gc_bin="$build/tests/gpu/gpu_check"
    if [[ -z "$gc_bin" ]]; then
      say "gpu_check failed with CUDA graphs/TF32 switches; retrying without them (POLYPLENS_GPU_EXTRAS=OFF)"
      configure -DPOLYPLENS_GPU_EXTRAS=OFF && build_targets gpu_check && gc_bin="$build/tests/gpu/gpu_check"
    fi
  fi
else
  say "cmake configure FAILED (last lines of build.log):"; tail -25 "$out/build.log"
fi
if [[ -z "$pl_bin" || ( -z "$gc_bin" && $models == 0 ) ]]; then
  if [[ $smoke == 1 && -z "${TORCH_ROOT:-}" ]]; then
    say "no direct build in cpu-smoke mode without TORCH_ROOT"
  else
    if [[ -z "$gc_bin" && $models == 0 ]]; then
      say "CMake route failed for gpu_check: building it directly from Python's torch flags (build_direct.sh)"
      if direct gpu_check || { say "direct gpu_check build failed with extras; retrying without them"; direct gpu_check --no-extras; }; then
        gc_bin="$build/direct/gpu_check"
      fi
    fi
    if [[ -z "$pl_bin" ]]; then
      say "CMake route failed for polyplens: building it directly (build_direct.sh --target polyplens)"
      direct polyplens && pl_bin="$build/direct/polyplens"
    fi
  fi
fi
bd=$(( $(date +%s) - bs ))
[[ -n "$pl_bin" && ! -x "$pl_bin" ]] && pl_bin=""
[[ -n "$gc_bin" && ! -x "$gc_bin" ]] && gc_bin=""
if [[ -z "$pl_bin" || ( -z "$gc_bin" && $models == 0 ) ]]; then
  say "build FAILED for $([[ -z $pl_bin ]] && echo "polyplens ")$([[ -z $gc_bin ]] && echo gpu_check) (last lines of build.log):"
  tail -40 "$out/build.log"
fi
record "build polyplens" "$([[ -n $pl_bin ]] && echo ok || echo FAILED)" "$bd"
if [[ $models == 1 ]]; then
  record "build gpu_check" "skipped (--models)" 0
else
  record "build gpu_check" "$([[ -n $gc_bin ]] && echo ok || echo FAILED)" "$bd"
fi
say "built: polyplens ${pl_bin:-MISSING}, gpu_check ${gc_bin:-MISSING} ($bd s)"
[[ $smoke == 1 ]] && budget_t0=$(date +%s)

# ---- The Python peers on the same GPU (torchvision backbone and DeepLabV3, matmul peak). ----
if [[ "${SKIP_PEERS:-0}" == 1 || $models == 1 ]]; then
  record peers "skipped (SKIP_PEERS=1 or --models)" 0
else
  peer_args=(--json "$out/peer_gpu.json" --max-seconds 90)
  [[ $smoke == 1 ]] && peer_args+=(--smoke)
  step peers 150 "$PYTHON" "$here/peer_gpu.py" "${peer_args[@]}"
fi

# ---- gpu_check: parity, speed and the weights cache (GPU_CHECK_ARGS adds options, e.g. --only profile). ----
if [[ $models == 1 ]]; then
  record gpu_check "skipped (--models)" 0
elif [[ -n "$gc_bin" ]]; then
  gc_args=(--out "$out")
  [[ $smoke == 1 ]] && gc_args+=(--cpu-smoke)
  read -r -a extra_args <<<"${GPU_CHECK_ARGS:-}"
  gc_args+=("${extra_args[@]}")
  step gpu_check 180 "$gc_bin" "${gc_args[@]}"
else
  missing gpu_check gpu_check
fi

# ---- The product: info, train, eval, bench. ----
run_dir="$out/train-run"
if [[ -z "$pl_bin" ]]; then
  for s in info train export eval eval_default eval_default_auto bench_model bench_train bench_train_r18; do
    missing "$s" polyplens
  done
else
  step info 60 "$pl_bin" info --arch "$preset" --device "$dev"
fi
if [[ -n "$pl_bin" && $models == 1 ]]; then
  # shellcheck source=tests/gpu/train_models.sh
  source "$here/train_models.sh"
  train_models
elif [[ -n "$pl_bin" ]]; then

  # ImageNet weights for the backbone: a cached torchvision ResNet re-saved as a plain dict, which
  # LibTorch's pickle reader loads (model/weights.h). Missing or failing: random init.
  case "$preset" in ann-r18*) want=resnet18 ;; ann-r101*) want=resnet101 ;; *) want=resnet50 ;; esac
  weights=()
  for d in "${TORCH_HOME:-}/hub/checkpoints" "${XDG_CACHE_HOME:-$HOME/.cache}/torch/hub/checkpoints" "$HOME/.cache/torch/hub/checkpoints"; do
    f="$(ls "$d"/${want}-*.pth 2>/dev/null | head -1)"
    if [[ -n "$f" ]]; then
      mkdir -p "$out/work"
      if "$PYTHON" -c 'import sys, torch; torch.save(dict(torch.load(sys.argv[1], map_location="cpu")), sys.argv[2])' \
           "$f" "$out/work/${want}_dict.pt"; then
        weights=(--backbone-weights "$out/work/${want}_dict.pt")
        say "backbone weights: $f"
      fi
      break
    fi
  done
  [[ ${#weights[@]} == 0 ]] && say "no cached torchvision ${want} weights: training from random init"

  if [[ "${SKIP_TRAIN:-0}" == 1 ]]; then
    record train "skipped (SKIP_TRAIN=1)" 0
  else
    val_every=$(( epochs / 5 > 0 ? epochs / 5 : 1 ))
    train_args=(train --data "$data" --preset "$preset" --crop "${crop}x${crop}" --batch "$batch" --epochs "$epochs"
                --val-every "$val_every" --device "$dev" --data-path device --threads "$threads" --seed 0
                --out "$run_dir" "${weights[@]}")
    if [[ $smoke == 1 ]]; then
      train_args+=(--max-images 16 --log-every 1)
    else
      train_args+=(--log-every 50)
    fi
    # Leave the evaluations and the benchmarks some of the budget; the run stops cleanly (SIGTERM) if
    # it needs more than that, keeping the best.pt of its last validation.
    reserve=$([[ $smoke == 1 ]] && echo 60 || echo 120)
    cap=$(( $(time_left) - reserve ))
    (( cap < 60 )) && cap=60
    step train "$cap" "$pl_bin" "${train_args[@]}"
  fi

  # The checkpoint that comes back: best.pt holds the weights and SGD's momentum (about 100 MB for
  # ann-r18-live), over what the device tool returns; keep a weights-only fp16 copy instead (25 MB,
  # the form of resources/models/default.pt), and evaluate that very file.
  if [[ -f "$run_dir/best.pt" ]]; then
    if step export 60 "$pl_bin" info --checkpoint "$run_dir/best.pt" --export "$run_dir/best-fp16.pt" --fp16 --device cpu; then
      mv -f "$run_dir/best-fp16.pt" "$run_dir/best.pt"
    fi
    eval_args=(eval --data "$data" --run "$run_dir" --device "$dev" --dtype fp32 --json "$out/eval.json")
    [[ $smoke == 1 ]] && eval_args+=(--threads "$threads")
    step eval 90 "$pl_bin" "${eval_args[@]}"
  else
    say "no $run_dir/best.pt: nothing to export or evaluate"
    record export "FAILED (no best.pt)" 0
    record eval "FAILED (no best.pt)" 0
  fi

  # The bundled model on this device, fp32 (to compare with the CPU's figures on the same pack) and the
  # device's default inference dtype.
  default_args=(eval --data "$data" --split val --checkpoint "$repo/resources/models/default.pt" --device "$dev")
  [[ $smoke == 1 ]] && default_args+=(--max-images 8 --threads "$threads")
  step eval_default 90 "$pl_bin" "${default_args[@]}" --dtype fp32 --json "$out/eval_default_${dev}.json"
  step eval_default_auto 90 "$pl_bin" "${default_args[@]}" --dtype auto --json "$out/eval_default_${dev}_auto.json"

  if [[ "${SKIP_BENCH:-0}" == 1 ]]; then
    record bench_model "skipped (SKIP_BENCH=1)" 0
    record bench_train "skipped (SKIP_BENCH=1)" 0
    record bench_train_r18 "skipped (SKIP_BENCH=1)" 0
  elif [[ $smoke == 1 ]]; then
    step bench_model 120 "$pl_bin" bench model --quick --device cpu --threads "$threads" --presets "$preset" \
      --size 64x64 --dtypes fp32 --no-peers --json "$out/bench_model.json"
    # (bench train keeps its Python peer, DeepLabV3-R50 training steps: the GPU run depends on it.)
    step bench_train 120 "$pl_bin" bench train --quick --device cpu --threads "$threads" --presets "$preset" \
      --size 64x64 --batch "$batch" --train-data "$data" --python "$PYTHON" --json "$out/bench_train.json"
  else
    # Full timing (10 runs per figure): both presets at their own sizes, every dtype and inference
    # variant (fp16 is the app's CUDA default); the Python peers of this suite run on the CPU only
    # (peer_gpu.py is their GPU counterpart). Train: both presets, fp32 and bf16 autocast, the
    # training run's batch, on the pack's images, beside torchvision DeepLabV3-R50 training steps on
    # the same GPU (its Python peer).
    step bench_model 150 "$pl_bin" bench model --device cuda --presets ann-r50,ann-r18-live \
      --dtypes fp32,bf16,fp16,bf16-autocast --python "$PYTHON" --json "$out/bench_model.json"
    # The issue's goals: ann-r50 512x512 batch 8 bf16 >= 300 images/s; ann-r18-live 320x320 >= 3,000
    # images/s (batch 32: a launch-bound small model needs a larger batch).
    step bench_train 120 "$pl_bin" bench train --device cuda --presets ann-r50 --batch 8 \
      --train-data "$data" --python "$PYTHON" --json "$out/bench_train.json"
    step bench_train_r18 100 "$pl_bin" bench train --device cuda --presets ann-r18-live --batch 32 \
      --train-data "$data" --python "$PYTHON" --json "$out/bench_train_r18.json"
  fi
fi

# ---- Data-parallel overhead (issue #19, docs/distributed.md) ----
# The same short run as a plain process and as `--nproc 1` (one rank: NCCL on CUDA, Gloo in the smoke
# run: rendezvous, the loss and the bucketed gradient all-reduce every step); images/s of each from the
# log lines after the first, and the overhead (goal: 3 % or less). SKIP_DIST=1 skips it.
if [[ -n "$pl_bin" && $models == 0 && "${SKIP_DIST:-0}" != 1 ]]; then
  dist_args=(train --data "$data" --preset "$preset" --crop "${crop}x${crop}" --batch "$batch" --val-every 0
             --device "$dev" --data-path auto --threads "$threads" --seed 0 --amp auto)
  if [[ $smoke == 1 ]]; then dist_args+=(--max-images 16 --epochs 3 --log-every 1); else dist_args+=(--epochs 2 --log-every 10); fi
  # mean img/s of the "iter N/M ... X img/s" lines after the first (warm-up)
  rate() { grep -o '[0-9.]* img/s' "$1" | awk 'NR > 1 { s += $1; n++ } END { if (n) printf "%.1f", s / n; else print "?" }'; }
  to_log='log="$1"; shift; exec "$@" > "$log" 2>&1'  # the command's output to its own log (timeout signals it)
  step dist_plain 150 sh -c "$to_log" sh "$out/dist_plain.log" "$pl_bin" "${dist_args[@]}" --out "$out/work/dist-plain"
  step dist_nproc1 150 sh -c "$to_log" sh "$out/dist_nproc1.log" "$pl_bin" "${dist_args[@]}" \
    --out "$out/work/dist-nproc1" --nproc 1
  r_plain=$(rate "$out/dist_plain.log"); r_dist=$(rate "$out/dist_nproc1.log")
  say "data-parallel overhead: plain $r_plain img/s, --nproc 1 $r_dist img/s ($(grep -o 'over [a-z]*' "$out/dist_nproc1.log" | head -1)), overhead $(awk -v a="$r_plain" -v b="$r_dist" 'BEGIN { if (a > 0 && b > 0) printf "%.1f %%", 100 * (a - b) / a; else print "?" }') (goal <= 3 %)"
  rm -rf "$out/work/dist-plain" "$out/work/dist-nproc1"
fi

# ---- Pack what comes back: the device tool returns at most 8 files of <= 16 MiB each, 64 MiB in
# all, at most 2 folders down, named in letters, digits, '.', '_' and '-'. ----
collect() {
  cd "$out" || return 1
  rm -rf work train-run/last.pt r50-run/last.pt r50-run/best.pt calibrate
  local ck=train-run/best.pt
  if [[ -f $ck ]] && (( $(stat -c %s "$ck") > 15 * 1024 * 1024 )); then
    split -b 15M "$ck" "$ck.part-" || return 1
    cat "$ck".part-* | cmp -s - "$ck" || { echo "collect: the parts of $ck do not join back"; return 1; }
    rm -f "$ck"
    echo "collect: $ck split into $(ls "$ck".part-* | wc -l) parts; join with: cat best.pt.part-* > best.pt"
  fi
  # Returned as they are, in this order of priority (7 slots; the 8th is results.tar.gz).
  local want=(run.log "$ck" "$ck".part-* eval.json "eval_default_${dev}.json" train-run/metrics.jsonl
              train-run/config.json) loose=() rest=() f
  # --models: the bundled candidate's pieces and both runs' figures and logs.
  [[ $models == 1 ]] && want=(run.log "$ck" "$ck".part-* eval.json eval_r50.json train-run/metrics.jsonl
                              r50-run/metrics.jsonl)
  for f in "${want[@]}"; do
    [[ -f $f ]] && (( ${#loose[@]} < 7 )) && loose+=("$f")
  done
  mapfile -t rest < <(find . -type f | sed 's|^\./||' | sort | grep -vxF -f <(printf '%s\n' "${loose[@]}" results.tar.gz))
  if (( ${#rest[@]} > 0 )); then
    tar -czf results.tar.gz "${rest[@]}" || return 1
    rm -f "${rest[@]}"
    echo "collect: results.tar.gz holds ${rest[*]}"
  fi
  find . -mindepth 1 -type d -empty -delete
  local n big deep bad total
  n=$(find . -type f | wc -l)
  big=$(find . -type f -size +16M | tr '\n' ' ')
  deep=$(find . -mindepth 4 -type f | tr '\n' ' ')
  bad=$(find . -mindepth 1 | sed 's|^\./||' | tr '/' '\n' | grep -v '^[A-Za-z0-9._-]*$' | tr '\n' ' ')
  total=$(du -sk --apparent-size . | cut -f1)
  echo "collect: $n files, $((total / 1024)) MiB"
  (( n <= 8 )) || { echo "collect: $n files: over the device tool's 8"; return 1; }
  [[ -z $big ]] || { echo "collect: over 16 MiB: $big"; return 1; }
  [[ -z $deep ]] || { echo "collect: more than 2 folders down: $deep"; return 1; }
  [[ -z $bad ]] || { echo "collect: names the device tool refuses: $bad"; return 1; }
  (( total <= 64 * 1024 )) || { echo "collect: over 64 MiB in all"; return 1; }
}
say "collect results"
cs=$(date +%s)
(collect)
crc=$?
record collect "$([[ $crc == 0 ]] && echo ok || echo FAILED)" $(( $(date +%s) - cs ))

echo
say "summary ($([[ $smoke == 1 ]] && echo cpu-smoke || echo gpu), TIME_BUDGET $budget s):"
printf '  %s\n' "${ledger[@]}"
echo "files in $out:"
(cd "$out" && find . -type f -printf '  %P  %s bytes\n' | sort)
if (( nfailed > 0 )); then
  say "done: $nfailed step(s) FAILED"
  finish 1
fi
say "done: every step worked"
finish 0
