#!/usr/bin/env bash
# The GPU machine check in one command (tests/gpu/README.md):
#   tests/gpu/run.sh [--cpu-smoke] [OUT_DIR]
# Configures a GUI-less build against the machine's CUDA LibTorch (from its Python's torch), builds
# gpu_check (model/ + tests/gpu only), runs it, and leaves everything in OUT_DIR (default: $OUT, else
# build/gpu-results): run.log, build.log, gpu_check.json, loss_curve.csv, nvidia-smi.txt and
# peer_gpu.json (the Python peers on the same GPU: tests/gpu/peer_gpu.py).
# --cpu-smoke: the same end to end against the LibTorch CMake finds by default (Debian's here), with
# gpu_check's tiny CPU fallback; proves the script where there is no GPU.
# Environment: PYTHON (python3), TORCH_DIR (override LibTorch's CMake dir), BUILD_DIR, JOBS,
# BUILD_MODE (cmake; direct: build_direct.sh only), SKIP_PEERS (1: no peer_gpu.py), GPU_CHECK_ARGS,
# TRAIN_SECONDS (150), TIME_BUDGET (470 s for everything; the training run is cut to fit).
set -uo pipefail
t0=$(date +%s)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
smoke=0
out="${OUT:-}"
for a in "$@"; do
  case "$a" in
    --cpu-smoke) smoke=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) out="$a" ;;
  esac
done
out="${out:-$repo/build/gpu-results}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
exec > >(tee "$out/run.log") 2>&1
elapsed() { echo $(( $(date +%s) - t0 )); }
say() { echo "[run.sh $(elapsed) s] $*"; }

say "repo $repo, results in $out, mode $([[ $smoke == 1 ]] && echo cpu-smoke || echo gpu)"
echo "host: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
else
  echo "gpu: nvidia-smi not found"
fi

PYTHON="${PYTHON:-python3}"
nvcc="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
echo "tools: $(cmake --version 2>&1 | head -1); $(c++ --version 2>&1 | head -1); $([[ -x $nvcc ]] && "$nvcc" --version 2>&1 | tail -1 || echo "no nvcc")"
if [[ $smoke == 1 ]]; then
  build="${BUILD_DIR:-$repo/build/gpu-smoke}"
  jobs="${JOBS:-2}"
  torch_dir="${TORCH_DIR:-}"
  train_seconds="${TRAIN_SECONDS:-30}"
else
  build="${BUILD_DIR:-$repo/build/gpu}"
  jobs="${JOBS:-$(nproc)}"
  torch_dir="${TORCH_DIR:-}"
  if [[ -z "$torch_dir" ]]; then
    prefix="$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" || prefix=""
    [[ -n "$prefix" ]] || { say "FAILED: $PYTHON cannot import torch (set TORCH_DIR or PYTHON)"; exit 1; }
    torch_dir="$prefix/Torch"
  fi
  "$PYTHON" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  # TorchConfig asks Caffe2's CUDA setup for nvcc and the GPU architecture.
  [[ -d /usr/local/cuda/bin ]] && export PATH="/usr/local/cuda/bin:$PATH"
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  train_seconds="${TRAIN_SECONDS:-150}"
fi

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
configure() {
  cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPOLYPLENS_WITH_GUI=OFF \
    ${torch_dir:+-DTorch_DIR="$torch_dir"} "$@" >> "$out/build.log" 2>&1
}
build_tool() { cmake --build "$build" --target gpu_check -j "$jobs" >> "$out/build.log" 2>&1; }

# Four ways to a gpu_check binary, first that works: CMake with the CUDA graph/TF32 extras, CMake
# without them, then (CMake could not configure or build against this LibTorch) build_direct.sh,
# which compiles the same sources with the flags read from Python's torch, with and without extras.
tool="$build/tests/gpu/gpu_check"
direct() {
  local extra=("$@")
  [[ $smoke == 1 ]] && extra+=(--cpu)
  PYTHON="$PYTHON" JOBS="$jobs" "$here/build_direct.sh" "$build/direct/gpu_check" "${extra[@]}" >> "$out/build.log" 2>&1 \
    && tool="$build/direct/gpu_check"
}
say "configure ($build, Torch_DIR=${torch_dir:-default})"
: > "$out/build.log"
built=0
if [[ "${BUILD_MODE:-cmake}" == direct ]]; then
  say "BUILD_MODE=direct: skipping CMake"
elif configure -DPOLYPLENS_GPU_EXTRAS=ON; then
  say "build gpu_check with $jobs jobs"
  if build_tool; then
    built=1
  else
    say "build failed with CUDA graphs/TF32 switches; retrying without them (POLYPLENS_GPU_EXTRAS=OFF)"
    grep -m 20 -E "error|Error" "$out/build.log" || true
    configure -DPOLYPLENS_GPU_EXTRAS=OFF && build_tool && built=1
  fi
else
  say "cmake configure FAILED (last lines of build.log):"; tail -25 "$out/build.log"
fi
if [[ $built == 0 ]]; then
  say "CMake route failed: building directly from Python's torch flags (build_direct.sh)"
  if [[ $smoke == 1 && -z "${TORCH_ROOT:-}" ]]; then
    say "FAILED: no direct build in cpu-smoke mode without TORCH_ROOT"; exit 1
  fi
  if direct; then
    built=1
  else
    grep -m 20 -E "error|FAILED" "$out/build.log" || true
    say "direct build failed with extras; retrying without them"
    direct --no-extras && built=1
  fi
fi
if [[ $built == 0 ]]; then
  say "FAILED: build (last lines of build.log):"; tail -40 "$out/build.log"; exit 1
fi
say "built $tool"

# The Python peers on the same GPU (torchvision backbone and DeepLabV3, matmul peak), before the
# training run takes the rest of the budget.
if [[ $smoke == 0 && "${SKIP_PEERS:-0}" != 1 ]]; then
  say "peers: peer_gpu.py"
  timeout 150 "$PYTHON" "$here/peer_gpu.py" --json "$out/peer_gpu.json" --max-seconds 90 \
    || say "peer_gpu.py failed or ran out of time (exit $?)"
fi

# ImageNet weights for the training run: a cached torchvision ResNet re-saved as a plain dict,
# which LibTorch's pickle reader loads (spec toolchain notes). Missing or failing: random init.
weights=""
want=resnet50
[[ $smoke == 1 ]] && want=resnet18
for d in "${TORCH_HOME:-}/hub/checkpoints" "${XDG_CACHE_HOME:-$HOME/.cache}/torch/hub/checkpoints" "$HOME/.cache/torch/hub/checkpoints"; do
  f="$(ls "$d"/${want}-*.pth 2>/dev/null | head -1)"
  if [[ -n "$f" ]]; then
    mkdir -p "$out/work"
    if "$PYTHON" -c 'import sys, torch; torch.save(dict(torch.load(sys.argv[1], map_location="cpu")), sys.argv[2])' \
         "$f" "$out/work/${want}_dict.pt" 2>>"$out/run.log"; then
      weights="$out/work/${want}_dict.pt"
      say "backbone weights: $f"
    fi
    break
  fi
done

budget="${TIME_BUDGET:-470}"
left=$(( budget - $(elapsed) ))
# Everything but training takes about a minute on an H100; give training what remains.
(( train_seconds > left - 90 )) && train_seconds=$(( left - 90 ))
(( train_seconds < 10 )) && train_seconds=10
args=(--out "$out" --data "$repo/gpu-carry/kvasir" --train-seconds "$train_seconds")
[[ $smoke == 1 ]] && args+=(--cpu-smoke)
[[ -n "$weights" ]] && args+=(--weights "$weights")
# GPU_CHECK_ARGS: extra gpu_check options, e.g. "--only profile" (the per-stage/kernel diagnostic).
read -r -a extra_args <<<"${GPU_CHECK_ARGS:-}"
args+=("${extra_args[@]}")
say "run: gpu_check ${args[*]} (time left: ${left} s)"
timeout --signal=TERM "$(( left > 30 ? left : 30 ))" "$tool" "${args[@]}"
rc=$?
[[ $rc == 124 ]] && say "gpu_check ran out of time (TIME_BUDGET=$budget)"
rm -rf "$out/work"
say "done, exit $rc; results: $(ls "$out" | tr '\n' ' ')"
exit $rc
