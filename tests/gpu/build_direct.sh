#!/usr/bin/env bash
# Builds gpu_check or the headless polyplens without CMake, straight from a Python torch install:
# run.sh's fallback for when CMake cannot configure against that LibTorch (TorchConfig's
# CUDA/cuDNN/NVTX detection is the part of a pip wheel's CMake files most likely to trip on a given
# machine).
#
#   tests/gpu/build_direct.sh OUT_BINARY [--target gpu_check|polyplens] [--no-extras] [--cpu] [--list]
#
# gpu_check (the default target): model/*.cpp and tests/gpu/*.cpp. polyplens: model/*.cpp, the
# headless core libraries (POLYPLENS_{LOG,DATA,TRAIN,BENCH_HEADLESS}_SOURCES, read from
# core/CMakeLists.txt) and app/'s headless sources (read from app/CMakeLists.txt), with the
# header-only libraries from gpu-carry/include (tests/gpu/pack_data.sh) or /usr/include, spdlog and
# fmt header-only, as the CMake headless build does. Sources are compiled in parallel with the torch
# include paths, the wheel's C++ ABI flag and the C++ standard its headers need (C++20 from LibTorch
# 2.10 on), then linked against libtorch{,_cpu,_cuda} and libc10{,_cuda} with --no-as-needed (so
# libtorch_cuda stays and CUDA is available). --no-extras: no CUDA graphs/TF32 switches in gpu_check
# (POLYPLENS_GPU_EXTRAS=0); --cpu: no CUDA at all; --list: print the sources and flags, build nothing.
# Environment: PYTHON (python3), CXX (c++), JOBS (nproc), TORCH_ROOT (the torch package folder,
# instead of asking Python; TORCH_LIB for its libraries if not TORCH_ROOT/lib), CUDA_HOME
# (/usr/local/cuda), CXX_STD (override the -std value).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out_bin="${1:?usage: build_direct.sh OUT_BINARY [--target gpu_check|polyplens] [--no-extras] [--cpu] [--list]}"
shift
extras=1
cuda=1
target=gpu_check
list=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-extras) extras=0 ;;
    --cpu) cuda=0 ;;
    --list) list=1 ;;
    --target) target="${2:?--target needs gpu_check or polyplens}"; shift ;;
    *) echo "build_direct.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $target == gpu_check || $target == polyplens ]] || { echo "build_direct.sh: unknown target $target" >&2; exit 2; }
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
echo "build_direct: $target, torch $torch_ver at $TORCH_ROOT, -std=$std, ABI $abi, cuda $cuda, extras $extras, $jobs jobs"

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

mapfile -t srcs < <(find "$repo/model" -name '*.cpp' | sort)
if [[ $target == gpu_check ]]; then
  srcs+=("$repo"/tests/gpu/*.cpp)
else
  # The headless build's source lists, as CMake reads them (core/CMakeLists.txt, app/CMakeLists.txt).
  mapfile -t more < <("$PYTHON" - "$repo" <<'PY'
import re, sys
repo = sys.argv[1]
core = open(repo + "/core/CMakeLists.txt").read()
app = open(repo + "/app/CMakeLists.txt").read()
out = []
for var in ("POLYPLENS_LOG_SOURCES", "POLYPLENS_DATA_SOURCES", "POLYPLENS_TRAIN_SOURCES", "POLYPLENS_BENCH_HEADLESS_SOURCES"):
    m = re.search(r"set\(%s\s(.*?)\)" % var, core, re.S)
    if not m:
        sys.exit("build_direct: no %s in core/CMakeLists.txt" % var)
    out += [repo + "/core/" + f for f in re.findall(r"\$\{_c\}/(\S+?\.cpp)", m.group(1))]
m = re.search(r"set\(_headless_sources\s(.*?)\)", app, re.S)
if not m:
    sys.exit("build_direct: no _headless_sources in app/CMakeLists.txt")
out += [repo + "/app/" + f for f in re.findall(r"\$\{_app\}/(\S+?\.cpp)", m.group(1))]
print("\n".join(out))
PY
  )
  (( ${#more[@]} > 0 )) || { echo "build_direct: could not read the headless source lists" >&2; exit 1; }
  srcs+=("${more[@]}")
  version="$(sed -n 's/^project(PolypLens VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt" | head -1)"
  # The header-only libraries: the carried copies first, then the system's (top-level CMakeLists.txt).
  carry="$repo/gpu-carry/include"
  for h in nlohmann/json.hpp spdlog/spdlog.h fmt/format-inl.h; do
    [[ -f "$carry/$h" ]] && { inc+=(-isystem "$carry"); break; }
  done
  if [[ -f "$carry/stb/stb_image.h" ]]; then inc+=(-isystem "$carry/stb"); else inc+=(-isystem /usr/include/stb); fi
  # Literal quotes: the flags string is split, not re-parsed, so the compiler gets "0.1.0" as the value.
  defs+=(-DPOLYPLENS_VERSION=\""${version:-0.0.0}"\" -DPOLYPLENS_SOURCE_DIR=\""$repo"\" -DPOLYPLENS_HAVE_LIVE=0
         -DPOLYPLENS_HAVE_GUI=0 -DFMT_HEADER_ONLY=1 -DQT_NO_KEYWORDS)
fi

objdir="$(dirname "$out_bin")/direct-obj-$target"
flags="-O2 -fPIC -std=$std -w ${inc[*]} ${defs[*]}"
if [[ $list == 1 ]]; then
  printf 'source %s\n' "${srcs[@]}"
  echo "flags $flags"
  echo "libs ${libs[*]}"
  exit 0
fi
for s in "${srcs[@]}"; do [[ -f "$s" ]] || { echo "build_direct: no source $s" >&2; exit 1; }; done
mkdir -p "$objdir"
rm -f "$objdir"/*.o
export CXX std objdir flags
# One compiler per source, $jobs at a time; any failure fails the build (xargs exits 123).
printf '%s\n' "${srcs[@]}" | xargs -P "$jobs" -I{} bash -c '
  src="{}"; obj="$objdir/$(echo "$src" | tr / _).o"
  $CXX $flags -c "$src" -o "$obj" || { echo "build_direct: FAILED $src" >&2; exit 1; }'
mapfile -t objs < <(ls "$objdir"/*.o)
"$CXX" -o "$out_bin" "${objs[@]}" "${libs[@]}"
echo "build_direct: built $out_bin"
