#!/usr/bin/env bash
# Packs what the GPU machine needs but cannot get: Kvasir-SEG shrunk for `polyplens train|eval` there,
# and the header-only libraries the headless build compiles against (the machine has none of them).
# Installs its own needs first (packaging/install-deps.sh --test: Python's PIL, the headers).
#
#   tests/gpu/pack_data.sh [--long-side N] [--quality Q] [DEST]
#
# DEST (default: <repo>/gpu-carry, git-ignored) gets:
#   kvasir/images/<name>.jpg   RGB, long side <= N px (default 384), JPEG quality Q (default 85)
#   kvasir/masks/<name>.png    8-bit 0/255, same size (resized grey, then > 127 as docs/data.md §2 says)
#   kvasir/train.txt, val.txt  the official split, as in the data set
#   include/nlohmann/          nlohmann/json (Debian's nlohmann-json3-dev), the whole folder
#   include/stb/               stb_image.h, stb_image_write.h (libstb-dev)
#   include/spdlog/, fmt/      spdlog and fmt headers (libspdlog-dev, libfmt-dev), used header-only
# The top-level CMakeLists.txt (and build_direct.sh) look in gpu-carry/include before the system.
# The device tool carries at most 64 MiB with the working tree; the script fails above 60 MiB in all.
# Data: $POLYPLENS_DATA/kvasir-seg (default ../shared/data relative to the repo).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
long_side=384
quality=85
dest="$repo/gpu-carry"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --long-side) long_side="$2"; shift 2 ;;
    --quality) quality="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "pack_data: unknown option $1" >&2; exit 2 ;;
    *) dest="$1"; shift ;;
  esac
done
data="${POLYPLENS_DATA:-$repo/../shared/data}/kvasir-seg"
[[ -f "$data/train.txt" && -d "$data/images" ]] || { echo "pack_data: no Kvasir-SEG at $data (set POLYPLENS_DATA)" >&2; exit 1; }
# This script's own needs (Python's PIL, the headers below): does nothing when they are present.
"$repo/packaging/install-deps.sh" --test || { echo "pack_data: packaging/install-deps.sh --test failed" >&2; exit 1; }
for h in nlohmann/json.hpp stb/stb_image.h stb/stb_image_write.h spdlog/spdlog.h fmt/format-inl.h; do
  [[ -f "/usr/include/$h" ]] || { echo "pack_data: /usr/include/$h missing (packaging/install-deps.sh)" >&2; exit 1; }
done

inc="$dest/include"
rm -rf "$dest/kvasir" "$dest/stb" "$inc"
mkdir -p "$dest/kvasir/images" "$dest/kvasir/masks" "$inc/stb"
# -L: the device tool carries a symbolic link as a link, not what it points to.
cp -rL /usr/include/nlohmann /usr/include/spdlog /usr/include/fmt "$inc/"
cp -L /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h "$inc/stb/"
cp "$data/train.txt" "$data/val.txt" "$dest/kvasir/"

/usr/bin/python3 - "$data" "$dest/kvasir" "$long_side" "$quality" <<'PY'
import sys
from pathlib import Path
from PIL import Image

src, dst, long_side, quality = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
names = [n.strip() for f in ("train.txt", "val.txt") for n in (src / f).read_text().split() if n.strip()]
for i, name in enumerate(names):
    img = Image.open(src / "images" / (name + ".jpg")).convert("RGB")
    mask = Image.open(src / "masks" / (name + ".jpg")).convert("L")
    scale = min(1.0, long_side / max(img.size))
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if size != img.size:
        img = img.resize(size, Image.BICUBIC)
    mask = mask.resize(size, Image.BILINEAR).point(lambda v: 255 if v > 127 else 0)
    img.save(dst / "images" / (name + ".jpg"), quality=quality)
    mask.save(dst / "masks" / (name + ".png"), optimize=True)
    if (i + 1) % 200 == 0:
        print("pack_data: %d/%d" % (i + 1, len(names)), file=sys.stderr)
print("pack_data: %d images" % len(names), file=sys.stderr)
PY

size_kib=$(du -sk "$dest" | cut -f1)
# The device tool carries the working tree (tracked + untracked, not ignored) and the carried folders:
# 64 MiB in all. Keep 4 MiB of headroom.
# (Files deleted in the working tree are still listed by git: du skips them. xargs may run du more
# than once: add up every "total" line.)
tree_kib=$(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 du -ck 2>/dev/null |
           awk '$2 == "total" { t += $1 } END { print t + 0 }') || true
echo "pack_data: wrote $dest ($((size_kib / 1024)) MiB, of which headers $(( $(du -sk "$inc" | cut -f1) / 1024 )) MiB;" \
     "the working tree is $((tree_kib / 1024)) MiB)"
if (( size_kib + tree_kib > 60 * 1024 )); then
  echo "pack_data: tree + pack exceed 60 MiB of the device tool's 64 MiB: use a smaller --long-side or --quality" >&2
  exit 1
fi
