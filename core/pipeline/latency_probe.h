#pragma once
// Per-stage latency of the live video path, for `polyplens bench` and the report:
//   decode      GStreamer decode + BGR conversion + copy-out, per frame (EveryFrame, consumer idle)
//   copy_out    the appsink copy into a pooled frame alone
//   preprocess / inference / postprocess   the segmenter's own timings (if one is given)
//   overlay     compose_overlay_into (fill mode, a polyp-sized blob) at the frame size
//   handoff     LatestSlot put() on one thread -> take() returning on a waiting thread
//   added_video_delay = copy_out + handoff + overlay: what the overlay path adds between the
//               decoder and a displayable frame (the display's own vsync excluded)
// Blocking; runs on the caller's thread plus the source's threads. Nothing here needs a GUI.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/pipeline/frame_segmenter.h"

namespace pl::core {

struct StageStats {
  int samples = 0;
  double min_ms = 0.0, mean_ms = 0.0, median_ms = 0.0, p95_ms = 0.0, max_ms = 0.0;
};

struct LatencyReport {
  cv::Size size;
  std::string clip;
  std::string segmenter;  // describe() or "" when none
  StageStats decode, copy_out, preprocess, inference, postprocess, overlay, handoff, added_video_delay;
  double annotation_delay_ms = 0.0;  // median capture -> mask -> composited (decode excluded): copy_out +
                                     // handoff + preprocess + inference + postprocess + overlay
  std::string to_text() const;       // a small table
};

struct LatencyProbeOptions {
  cv::Size size{1920, 1080};
  int frames = 60;               // clip length / samples per stage
  int segment_frames = 5;        // segmenter calls (after one warm-up call)
  std::string clip;              // an existing video to decode; empty: a temporary H.264 clip of `size` is made
  void validate() const;
};

// segmenter may be null (the model stages are then left empty).
LatencyReport measure_latency(const LatencyProbeOptions& options, FrameSegmenter* segmenter);

// Decodes `clip` with every frame delivered (EveryFrame) and returns the intervals between frames (ms);
// with a model box, the source's model branch runs too and `model_frames` counts what it delivered.
// Throws std::runtime_error when the clip cannot be decoded to its end.
std::vector<double> decode_intervals(const std::string& clip, cv::Size model_box = {}, int64_t* model_frames = nullptr);

// Summary statistics of a list of samples in ms.
StageStats summarize(std::vector<double> samples_ms);

}  // namespace pl::core
