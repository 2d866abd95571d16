#pragma once
// `polyplens bench soak`: the whole live pipeline for a long time, watched for leaks and creep.
//
// A clip (default: the bundled sample) plays at its own rate through the app's file source, looping
// (seek to frame 0 at the end, as a viewer would), into a LiveSession with the real model; a 60 Hz
// loop plays the GUI (take_update + overlay composition). Every window (default 30 s) records the
// resident memory, the frames decoded against the clip's rate, masks, drops, and the mask-age and
// capture->mask latency percentiles. The verdict, after the warm-up (default: a fifth of the run):
//   memory     RSS at the end vs the end of warm-up: growth <= 1 %
//   latency    median of the windows' median mask age, later half of the measured windows over the
//              earlier half: <= 1.25x (no creep)
//   frames     frames decoded vs elapsed time x clip fps: within 2 % (no drift, nothing stuck)
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/json.h"

namespace pl::core::bench {

struct SoakOptions {
  std::string video;        // the looping clip; empty: resources/samples/sample.mp4 found near the binary
  std::string checkpoint;   // the model; empty: the bundled default (resources/models/default.pt)
  double minutes = 10;      // total run length
  double window_seconds = 30;
  double warmup_seconds = 120;  // excluded from the verdict (first allocations, oneDNN caches)
  std::string device = "cpu";
  int threads = 0;          // > 0: the inference thread's intra-op threads
  std::function<void(const std::string&)> progress;  // one line per window

  void validate() const;    // throws std::invalid_argument naming the bad value
};

struct SoakWindow {
  double t_end_s = 0;          // seconds since the start
  double rss_mb = 0;           // resident memory at the window's end
  int64_t frames = 0, masks = 0, shown = 0, dropped_inference = 0, loops = 0;  // in this window
  double expected_frames = 0;  // window length x clip fps
  double mask_age_p50 = 0, mask_age_p95 = 0, mask_age_p99 = 0;  // ms, at display
  double latency_p50 = 0, latency_p95 = 0, latency_p99 = 0;     // ms, capture -> mask
};

struct SoakReport {
  std::string video, model, device;
  double clip_fps = 0, seconds = 0, warmup_seconds = 0;
  int threads = 0;
  std::vector<SoakWindow> windows;
  int64_t frames_total = 0, masks_total = 0, loops = 0, errors = 0;
  double rss_start_mb = 0, rss_warm_mb = 0, rss_end_mb = 0, rss_peak_mb = 0;
  double rss_growth_percent = 0;   // end vs end of warm-up
  double latency_creep = 0;        // median mask age, later half / earlier half of the measured windows
  double frame_drift_percent = 0;  // (decoded - expected) / expected over the measured part
  bool memory_ok = false, latency_ok = false, frames_ok = false;
  std::string note;                // why a verdict could not be given (e.g. too short)
};

SoakReport run_soak(const SoakOptions& options);
std::string to_table(const SoakReport& report);
pl::json::Json to_json(const SoakReport& report);

// Resident set size of this process in MiB (Linux /proc/self/statm); 0 where unavailable.
double resident_mb();

}  // namespace pl::core::bench
