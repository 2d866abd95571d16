#pragma once
// `polyplens bench pipeline`: where a frame's time goes in the app, at 1080p.
//
// 1. Stages, from the pipeline's own probe (core/pipeline/latency_probe.h), one after the other:
//    decode       GStreamer H.264 -> BGR + copy-out, per frame (the app's file source, every frame)
//    copy-out     the appsink copy into a pooled frame alone
//    preprocess   Predictor: BGR->RGB, letterbox resize to the model input, normalise
//    inference    Predictor: the forward pass (model/inference.h, the app's default options)
//    postprocess  Predictor: crop, resize the logit difference to the frame, threshold
//    overlay      compose_overlay_into (fill mode) at the frame size
//    hand-off     LatestSlot put() on one thread -> take() returning on a waiting thread
//    The app's overhead beside the model is copy-out + preprocess + postprocess + overlay + hand-off
//    (decoding is every player's cost); the video's added delay is copy-out + overlay + hand-off:
//    the display path never waits for the model.
//    The clip is made from the bundled sample (real endoscopy texture, upscaled), else synthetic.
// 2. Live: LiveSession with a 30 fps 1080p live source (FakeFrameSource) and the preset's model,
//    the GUI played by a 60 Hz loop that takes updates and composites the overlay. Reports the mask
//    age when a frame is shown (capture of the mask's frame -> display), capture -> mask latency,
//    rates and drops.
// 3. The same two for the path the app takes now (docs/architecture.md "The video pipeline",
//    "Overlay"), printed beside today's CPU path above: the source's model branch hands the model a
//    copy already scaled to its input (GStreamer's videoscale on the source's threads: "decode +
//    branch" is the file decoded with the branch on), the mask stays at the model's resolution
//    (postprocess thresholds there), and the view uploads frame and mask as textures and blends in a
//    shader ("view": the GUI thread's upload + draw + finish, measured through `gpu_present`, which
//    the app injects from ui/gl_compositor.h). Without OpenGL the view is the CPU composite from the
//    model-size mask, and the report says so.
#include <cstdint>
#include <functional>
#include <utility>

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/base/json.h"

#include "core/bench/timing.h"

namespace pl::core::bench {

struct PipelineBenchOptions {
  std::string preset = "ann-r18-live";  // the CPU live preset
  int model_h = 0, model_w = 0;         // 0: the preset's input size
  int frame_w = 1920, frame_h = 1080;
  int frames = 60;                      // length of the made clip (decode, copy-out, overlay, hand-off samples)
  int segment_frames = 20;              // Predictor calls for the model stages (after one warm-up)
  std::string content_video;            // frames to upscale into the clip; empty: the bundled sample, else synthetic
  double live_seconds = 10;             // 0: skip the live run
  double live_fps = 30;
  std::string device = "cpu";
  int threads = 0;                      // > 0: at::set_num_threads
  std::string work_dir;                 // for the clip and the checkpoint; empty: a temporary folder
  std::function<void(const std::string&)> progress;
  // The view's GPU compositor: shows `frame` (BGR) with `mask` (CV_8U, any size) and returns the GUI
  // thread's milliseconds (texture uploads and the draw call) and then the wait for the GPU to finish
  // drawing (on a software renderer, the shader's CPU time). Empty: not measured; `gpu_missing` says why.
  std::function<std::pair<double, double>(const cv::Mat& frame, const cv::Mat& mask)> gpu_present;
  std::string gpu_renderer;           // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or an NVIDIA GPU
  std::string gpu_missing;            // why there is no gpu_present
  bool branch = true;                 // also measure the model branch + GPU view path

  void validate() const;                // throws std::invalid_argument naming the bad value
};

struct StageResult {
  std::string stage;  // decode, copy-out, preprocess, inference, postprocess, overlay, hand-off
  int samples = 0;
  double min_ms = 0, median_ms = 0, p95_ms = 0, mean_ms = 0, max_ms = 0;
};

struct LiveResult {
  double seconds = 0, source_fps = 0;
  double capture_fps = 0, inference_fps = 0, display_fps = 0;
  int64_t frames_captured = 0, masks = 0, dropped_inference = 0, dropped_display = 0;
  Stats mask_age;      // at display: now - capture time of the shown mask's frame
  Stats mask_latency;  // capture -> mask ready
  Stats frame_age;     // at display: now - capture time of the shown frame
  Stats take_update;   // the GUI's take_update() call
};

struct PipelineBenchReport {
  std::string preset, device, model_info;
  int threads = 0, frame_w = 0, frame_h = 0, model_h = 0, model_w = 0, frames = 0;
  std::string clip;  // what was decoded
  std::vector<StageResult> stages;
  double app_overhead_ms = 0;     // medians: copy-out + preprocess + postprocess + overlay + hand-off
  double inference_ms = 0;        // median
  double video_added_delay_ms = 0;  // median of copy-out + overlay + hand-off per frame
  double annotation_delay_ms = 0;   // medians: copy-out + hand-off + preprocess + inference + postprocess + overlay
  bool live_ran = false;
  std::string live_skipped;       // why not, when it did not run
  LiveResult live;

  // The model branch + GPU view path (3. above), beside the CPU path's figures.
  bool branch_ran = false;
  std::string view_kind;          // "GPU: <renderer>" or "CPU composite (no OpenGL: why)"
  std::vector<StageResult> branch_stages;  // decode + branch, copy-out, preprocess, inference, postprocess, view, hand-off
  StageResult gpu_draw;                    // the GPU's draw (wait for finish), beside the GUI thread's view cost
  int64_t branch_model_frames = 0;         // model-size frames the branch delivered while decoding the clip
  double branch_app_overhead_ms = 0, branch_video_added_delay_ms = 0, branch_annotation_delay_ms = 0;
  bool branch_live_ran = false;
  LiveResult branch_live;

  const StageResult* find(const std::string& stage) const;
};

PipelineBenchReport run_pipeline_bench(const PipelineBenchOptions& options);

std::string to_table(const PipelineBenchReport& report);
// {"suite": "pipeline", "preset", "device", "threads", "frame": {"width", "height"}, "model_input": {...},
//  "stages": [{"stage", "samples", "min_ms", "median_ms", "p95_ms", "mean_ms", "max_ms"}], "app_overhead_ms",
//  "inference_ms", "video_added_delay_ms", "annotation_delay_ms",
//  "live": {...} | {"skipped": why}}
pl::json::Json to_json(const PipelineBenchReport& report);

}  // namespace pl::core::bench
