#pragma once
// Offline annotation: every frame of a file, folder or stream through the model and the overlay into
// an H.264 MP4 or a folder of PNGs. Nothing is dropped for files and folders: the decoder waits for
// the model (EveryFrame playback + a bounded queue). Live inputs run until max_frames, the end of
// the stream or cancellation, and drop frames at the source if the model is slower than the camera.
//
// Threading model: annotate_video() blocks its caller, which runs the model and the writer; the
// source decodes on its own threads. `progress` is called on the caller's thread; `cancel` may be
// set from any thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "core/overlay/overlay.h"
#include "core/pipeline/frame_segmenter.h"

namespace pl::core {

struct AnnotateOptions {
  std::string input;       // file, folder of images, URI or /dev/videoN (SourceSpec::parse)
  std::string output;      // "*.mp4" -> H.264 MP4; anything else -> a folder of PNGs
  OverlayOptions overlay;  // mode and alpha
  double fps = 0.0;        // MP4 frame rate; 0 = the input's (30 for folders and unknown rates)
  int64_t max_frames = -1; // stop after this many (-1: all; needed for endless live inputs)
  int quantizer = 18;      // x264 constant quality for the MP4

  void validate() const;   // throws std::invalid_argument naming the bad value
  bool writes_mp4() const;
};

struct AnnotateProgress {
  int64_t done = 0;
  int64_t total = -1;      // -1 when unknown (live)
  double elapsed_s = 0.0;
  double fps = 0.0;        // frames per second so far
  double eta_s = -1.0;     // -1 when unknown
};

struct AnnotateReport {
  int64_t frames = 0;
  int64_t expected_frames = -1;  // what the source announced (files, folders)
  double seconds = 0.0;
  double mean_preprocess_ms = 0.0, mean_infer_ms = 0.0, mean_postprocess_ms = 0.0, mean_overlay_ms = 0.0;
  std::string output;
  bool cancelled = false;
};

// Throws std::invalid_argument (bad options), VideoException (input/output errors, categorised) or
// whatever the segmenter throws.
AnnotateReport annotate_video(const AnnotateOptions& options, FrameSegmenter& segmenter,
                              const std::function<void(const AnnotateProgress&)>& progress = {},
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace pl::core
