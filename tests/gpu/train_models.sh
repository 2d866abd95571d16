# shellcheck shell=bash
# Sourced by run.sh --models (tests/gpu/README.md, "The model-training session"): trains the bundled
# preset with --recipe scratch and ann-r50 with the paper's recipe side by side on one GPU, for the same
# wall time. Uses run.sh's pl_bin, data, dev, threads, out, run_dir, smoke, say, record, step, time_left.
#
# A time cap alone would cut a poly schedule short (the lr still high at the cut), so each schedule is
# sized first: one calibration epoch of both runs at once measures what each sustains while sharing the
# GPU, and the epochs are set so the whole decay fits in the time left.

# last_images_per_s METRICS_JSONL: throughput of the last train line.
last_images_per_s() {
  grep '"type":"train"' "$1" 2>/dev/null | tail -1 | sed -n 's/.*"images_per_s":\([0-9.e+-]*\).*/\1/p'
}
# iterations_done METRICS_JSONL: iteration of the last train line (= iterations per epoch after 1 epoch).
iterations_done() {
  grep '"type":"train"' "$1" 2>/dev/null | tail -1 | sed -n 's/.*"iteration":\([0-9]*\).*/\1/p'
}

train_models() {
  local r18_preset="${TRAIN_PRESET:-ann-r18-live}" r18_batch="$batch" r18_crop="${crop}x${crop}"
  local r50_batch=10 r50_crop=512x1024 extra=()
  if [[ $smoke == 1 ]]; then
    r50_batch=2 r50_crop=64x64
    extra=(--max-images 24 --threads "$threads")
  fi
  local common=(--data "$data" --device "$dev" --data-path auto --seed 0 "${extra[@]}")
  local r18=(train --preset "$r18_preset" --recipe scratch --crop "$r18_crop" --batch "$r18_batch" "${common[@]}")
  local r50=(train --preset ann-r50 --recipe paper --crop "$r50_crop" --batch "$r50_batch" "${common[@]}")
  local r50_dir="$out/r50-run" cal="$out/calibrate"

  # ---- Calibration: one epoch of each, at the same time. ----
  mkdir -p "$cal"
  say "calibrate: one epoch of both runs at once"
  local cs; cs=$(date +%s)
  timeout --signal=TERM --kill-after=15 240 "$pl_bin" "${r18[@]}" --epochs 1 --val-every 0 --log-every 5 \
    --out "$cal/r18" > "$cal/r18.log" 2>&1 &
  local p18=$!
  timeout --signal=TERM --kill-after=15 240 "$pl_bin" "${r50[@]}" --epochs 1 --val-every 0 --log-every 5 \
    --out "$cal/r50" > "$cal/r50.log" 2>&1 &
  local p50=$!
  wait "$p18"; local rc18=$?
  wait "$p50"; local rc50=$?
  local cal_s=$(( $(date +%s) - cs ))
  tail -3 "$cal/r18.log" "$cal/r50.log"
  local ips18 ips50 ipe18 ipe50
  ips18=$(last_images_per_s "$cal/r18/metrics.jsonl"); ipe18=$(iterations_done "$cal/r18/metrics.jsonl")
  ips50=$(last_images_per_s "$cal/r50/metrics.jsonl"); ipe50=$(iterations_done "$cal/r50/metrics.jsonl")
  if (( rc18 != 0 || rc50 != 0 )) || [[ -z $ips18 || -z $ips50 || -z $ipe18 || -z $ipe50 ]]; then
    say "calibrate FAILED (exit $rc18 / $rc50; images/s '${ips18}' / '${ips50}')"
    record calibrate "FAILED" "$cal_s"
    return 1
  fi
  record calibrate ok "$cal_s"

  # ---- Both runs for the time left, minus what export, evaluation and collection need. ----
  local reserve=$([[ $smoke == 1 ]] && echo 90 || echo 75)
  local startup=20  # data loading and the first iterations (cudnn autotuning) before steady speed
  local t=$(( $(time_left) - reserve ))
  local e18 e50
  e18=$(awk -v t="$t" -v s="$startup" -v ips="$ips18" -v n=$(( ipe18 * r18_batch )) \
        'BEGIN { e = int(0.9 * (t - s) * ips / n); print (e < 1 ? 1 : e) }')
  e50=$(awk -v t="$t" -v s="$startup" -v ips="$ips50" -v n=$(( ipe50 * r50_batch )) \
        'BEGIN { e = int(0.9 * (t - s) * ips / n); print (e < 1 ? 1 : e) }')
  [[ $smoke == 1 ]] && { e18=2; e50=1; }
  say "schedules for ${t} s: $r18_preset ${ips18} images/s x ${ipe18} iterations/epoch -> $e18 epochs;" \
      "ann-r50 ${ips50} images/s x ${ipe50} -> $e50 epochs"
  local v18=$(( e18 / 5 > 0 ? e18 / 5 : 1 )) v50=$(( e50 / 4 > 0 ? e50 / 4 : 1 ))
  local ts; ts=$(date +%s)
  local cap=$(( t + 30 ))
  say "train $r18_preset (--recipe scratch, $e18 epochs) and ann-r50 (paper, $e50 epochs) side by side, cap $cap s"
  timeout --signal=TERM --kill-after=20 "$cap" "$pl_bin" "${r18[@]}" --epochs "$e18" --val-every "$v18" \
    --log-every 50 --out "$run_dir" > "$out/train_r18.log" 2>&1 &
  p18=$!
  timeout --signal=TERM --kill-after=20 "$cap" "$pl_bin" "${r50[@]}" --epochs "$e50" --val-every "$v50" \
    --log-every 50 --out "$r50_dir" > "$out/train_r50.log" 2>&1 &
  p50=$!
  wait "$p18"; rc18=$?
  wait "$p50"; rc50=$?
  local d=$(( $(date +%s) - ts ))
  grep -h "val epoch\|finished\|cancel\|error" "$out/train_r18.log" | tail -8
  grep -h "val epoch\|finished\|cancel\|error" "$out/train_r50.log" | tail -8
  record "train $r18_preset" "$([[ $rc18 == 0 ]] && echo ok || echo "FAILED (exit $rc18)")" "$d"
  record "train ann-r50" "$([[ $rc50 == 0 ]] && echo ok || echo "FAILED (exit $rc50)")" "$d"

  # ---- The bundled candidate as the file that would ship (fp16, weights only), and both scored. ----
  if [[ -f "$run_dir/best.pt" ]]; then
    if step export 60 "$pl_bin" info --checkpoint "$run_dir/best.pt" --export "$run_dir/best-fp16.pt" --fp16 --device cpu; then
      mv -f "$run_dir/best-fp16.pt" "$run_dir/best.pt"
    fi
    step eval 60 "$pl_bin" eval --data "$data" --run "$run_dir" --device "$dev" --dtype fp32 --json "$out/eval.json" \
      "${extra[@]}"
  else
    record eval "FAILED (no $run_dir/best.pt)" 0
  fi
  if [[ -f "$r50_dir/best.pt" ]]; then
    step eval_r50 60 "$pl_bin" eval --data "$data" --run "$r50_dir" --device "$dev" --dtype fp32 \
      --json "$out/eval_r50.json" "${extra[@]}"
  else
    record eval_r50 "FAILED (no $r50_dir/best.pt)" 0
  fi
}
