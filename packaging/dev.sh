#!/usr/bin/env bash
# The two set-up commands of the README.
#   packaging/dev.sh run    install what is missing, build (Release), start the app on the bundled sample
#   packaging/dev.sh test   install what is missing (with test extras), build with warnings as errors
#                           (the `ci` preset: Release + -Werror, build/ci) and the headless build under
#                           ASan+UBSan (`headless-asan`, build/headless-asan: LibTorch and header-only
#                           libraries only), run all tests of both through CTest
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

case "$cmd" in
  run)
    packaging/install-deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release -j "$jobs" --target polyplens  # the app only; `test` builds the suite
    args=()
    [[ -f resources/samples/sample.mp4 ]] && args+=(--video resources/samples/sample.mp4)
    [[ -f resources/models/default.pt ]] && args+=(--checkpoint resources/models/default.pt)
    if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
      # No screen (a server or CI): run under a virtual X server and save a screenshot as proof.
      echo "dev.sh: no display; running under Xvfb and writing build/release/screenshot.png"
      exec xvfb-run -a -s "-screen 0 1280x800x24" build/release/app/polyplens "${args[@]}" \
        --screenshot build/release/screenshot.png "$@"
    fi
    exec build/release/app/polyplens "${args[@]}" "$@"
    ;;
  test)
    packaging/install-deps.sh --test
    cmake --preset ci >/dev/null
    cmake --build --preset ci -j "$jobs"
    # The headless build compares its eval figures with the desktop build's binary.
    cmake --preset headless-asan -DPOLYPLENS_REFERENCE_EXE="$PWD/build/ci/app/polyplens" >/dev/null
    cmake --build --preset headless-asan -j "$jobs"
    rc=0
    ctest --preset headless-asan -j "$jobs" "$@" || rc=$?
    ctest --preset ci -j "$jobs" "$@" || rc=$?
    exit $rc
    ;;
  *)
    echo "usage: packaging/dev.sh run|test" >&2
    exit 2
    ;;
esac
