#!/usr/bin/env bash
# `polyplens train` cancelled (SIGTERM, as the launcher and the Training tab send it) while it still
# decodes the data set: a clean cancel (exit 130, the run folder kept), not a kill (143).
# usage: cancel_while_loading.sh EXE DATA OUT
set -u
exe=$1 data=$2 out=$3
rm -rf "$out" "$out.log"
"$exe" train --data "$data" --out "$out" --preset ann-r18-live --epochs 1 --threads 1 >"$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q "decoding" "$out.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "decoding" "$out.log" || { echo "never reached the data loading:"; cat "$out.log"; exit 1; }
kill -TERM "$pid"
wait "$pid"
rc=$?
cat "$out.log"
[ "$rc" -eq 130 ] || { echo "exit code $rc, expected 130 (cancelled)"; exit 1; }
[ -f "$out/split.json" ] || { echo "the run folder lost its split.json"; exit 1; }
echo "cancelled cleanly while loading (exit 130)"
