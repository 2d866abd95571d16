#!/usr/bin/env bash
# Builds gpu_check without CMake, straight from a Python torch install: run.sh's fallback for when
# CMake cannot configure against that LibTorch (TorchConfig's CUDA/cuDNN/NVTX detection is the part of
# a pip wheel's CMake files most likely to trip on a given machine).
#
#   tests/gpu/build_direct.sh OUT_BINARY [--no-extras] [--cpu]
#
# Compiles model/*.cpp and tests/gpu/*.cpp in parallel with the torch include paths, the wheel's C++
# ABI flag and the C++ standard its headers need (C++20 from LibTorch 2.10 on), then links against
# libtorch{,_cpu,_cuda} and libc10{,_cuda} with --no-as-needed (so libtorch_cuda stays and CUDA is
# available). --no-extras: no CUDA graphs/TF32 switches (POLYPLENS_GPU_EXTRAS=0); --cpu: no CUDA at all.
# Environment: PYTHON (python3), CXX (c++), JOBS (nproc), TORCH_ROOT (the torch package folder,
# instead of asking Python; TORCH_LIB for its libraries if not TORCH_ROOT/lib), CUDA_HOME (/usr/local/cuda), CXX_STD (override the -std value).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out_bin="${1:?usage: build_direct.sh OUT_BINARY [--no-extras] [--cpu]}"
shift
extras=1
cuda=1
for a in "$@"; do
  case "$a" in
    --no-extras) extras=0 ;;
    --cpu) cuda=0 ;;
    *) echo "build_direct.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
PYTHON="${PYTHON:-python3}"
CXX="${CXX:-c++}"
jobs="${JOBS:-$(nproc)}"

if [[ -z "${TORCH_ROOT:-}" ]]; then
  read -r TORCH_ROOT torch_ver abi < <("$PYTHON" -c '
import os, torch
print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0], int(torch.compiled_with_cxx11_abi()))')
else
  torch_ver="${TORCH_VERSION_OVERRIDE:-2.0.0}"
  abi="${TORCH_ABI:-1}"
fi
IFS=. read -r tmaj tmin _ <<<"$torch_ver"
std="${CXX_STD:-c++17}"
if [[ -z "${CXX_STD:-}" ]] && (( tmaj > 2 || (tmaj == 2 && tmin >= 10) )); then std=c++20; fi
echo "build_direct: torch $torch_ver at $TORCH_ROOT, -std=$std, ABI $abi, cuda $cuda, extras $extras, $jobs jobs"

inc=(-I"$repo")
# (-isystem /usr/include would break libstdc++'s #include_next: skip it, it is searched anyway.)
[[ "$TORCH_ROOT/include" -ef /usr/include ]] || inc+=(-isystem "$TORCH_ROOT/include")
inc+=(-isystem "$TORCH_ROOT/include/torch/csrc/api/include")
tlib="${TORCH_LIB:-$TORCH_ROOT/lib}"
libs=(-L"$tlib" -Wl,-rpath,"$tlib" -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10)
defs=(-DPOLYPLENS_GPU_HAVE_CUDA="$cuda" -DPOLYPLENS_GPU_EXTRAS="$extras" -D_GLIBCXX_USE_CXX11_ABI="$abi")
if [[ $cuda == 1 ]]; then
  cuda_home="${CUDA_HOME:-/usr/local/cuda}"
  [[ -d "$cuda_home/include" ]] && inc+=(-isystem "$cuda_home/include")
  # The wheel's own CUDA headers (nvidia/cu*/include or nvidia/cuda_runtime/include) when no toolkit.
  for d in "$TORCH_ROOT"/../nvidia/*/include "$TORCH_ROOT"/../nvidia/cuda_runtime/include; do
    [[ -f "$d/cuda_runtime_api.h" ]] && inc+=(-isystem "$d")
  done
  libs+=(-ltorch_cuda -lc10_cuda)
  for d in "$cuda_home/lib64" "$cuda_home/lib"; do
    [[ -e "$d/libcudart.so" ]] && { libs+=(-L"$d" -Wl,-rpath,"$d" -lcudart); break; }
  done
fi
libs+=(-Wl,--as-needed -lpthread)
stb=""
for d in "$repo/gpu-carry/stb" /usr/include/stb; do
  [[ -f "$d/stb_image.h" ]] && { stb="$d"; break; }
done
if [[ -n "$stb" ]]; then
  inc+=(-isystem "$stb"); defs+=(-DPOLYPLENS_GPU_HAVE_STB=1)
else
  defs+=(-DPOLYPLENS_GPU_HAVE_STB=0)
fi

objdir="$(dirname "$out_bin")/direct-obj"
mkdir -p "$objdir"
mapfile -t srcs < <(find "$repo/model" -name '*.cpp' | sort; ls "$repo"/tests/gpu/*.cpp)
export CXX std objdir
flags="-O2 -fPIC -std=$std -w ${inc[*]} ${defs[*]}"
export flags
# One compiler per source, $jobs at a time; any failure fails the build (xargs exits 123).
printf '%s\n' "${srcs[@]}" | xargs -P "$jobs" -I{} bash -c '
  src="{}"; obj="$objdir/$(echo "$src" | tr / _).o"
  $CXX $flags -c "$src" -o "$obj" || { echo "build_direct: FAILED $src" >&2; exit 1; }'
mapfile -t objs < <(ls "$objdir"/*.o)
"$CXX" -o "$out_bin" "${objs[@]}" "${libs[@]}"
echo "build_direct: built $out_bin"
