#pragma once
// One decoded video frame, owned and immutable once published: a full frame, or the model branch's
// scaled copy of one (source_size; docs/architecture.md "The video pipeline").
//
// Ownership: `bgr` owns its pixels (copied out of the GStreamer buffer, which is released at once) and
// is continuous (step == cols * 3). Frames are shared between threads by cv::Mat reference counting;
// nobody writes into `bgr` after the source has published it, so sharing without locks is safe.
#include <chrono>
#include <cstdint>

#include <opencv2/core.hpp>

namespace pl::core {

using Clock = std::chrono::steady_clock;

struct Frame {
  cv::Mat bgr;            // CV_8UC3, BGR, continuous
  int64_t index = -1;     // 0-based frame number; for files derived from the timestamp (seek-stable)
  int64_t pts_ns = -1;    // presentation time in the stream, ns (-1 if unknown)
  Clock::time_point captured{};  // when the frame left the decoder (copy-out finished)
  bool preroll = false;   // delivered while paused (after open, seek or step), not during playback
  // The full-resolution frame's size. A source's full frames have bgr.size(); a model-branch frame
  // (SourceCallbacks::on_model_frame) is that frame scaled by GStreamer to fit the model's input box,
  // so bgr is smaller. Empty when the producer did not say (then bgr is the full frame).
  cv::Size source_size;

  bool empty() const { return bgr.empty(); }
  cv::Size full_size() const { return source_size.empty() ? bgr.size() : source_size; }
};

// Milliseconds between two steady-clock points (b - a).
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace pl::core
