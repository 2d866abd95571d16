#!/usr/bin/env bash
# Installs the Debian 12 packages PolypLens needs to build, run and test.
# Idempotent: does nothing when everything is present. Works as root or through sudo.
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --test   also the test-only ones (Python torch/torchvision for parity tests)
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config ccache
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev
  libtorch-dev libopencv-dev libspdlog-dev libopenblas0-pthread
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-tools
  xvfb xauth libgl1-mesa-dri
  libstb-dev nlohmann-json3-dev
  libgloo-dev
)
TEST_PKGS=(python3-torch python3-torchvision python3-numpy python3-pil)

if [[ "${1:-}" == "--test" ]]; then
  PKGS+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
