#pragma once
// FakeFrameSource: a FrameSource for tests and demos with no GStreamer. Frames carry their index in
// the picture (core/video/index_pattern.h; modulo 65536), or show what `picture` draws. It can be told to fail on open, fail after N frames, run
// slowly (extra cost per frame on the streaming thread) or stall.
//
// Threading model: one internal thread plays the role of both the streaming and the control thread:
// it produces frames at `fps` (or as fast as on_frame returns when fps <= 0) and applies control
// requests between frames. Control methods are callable from any thread; stop() joins.
#include <atomic>
#include <functional>
#include <optional>

#include "core/video/threaded_frame_source.h"

namespace pl::core {

struct FakeSourceOptions {
  cv::Size size{160, 120};
  double fps = 30.0;             // <= 0: back-to-back (every frame, as fast as the consumer takes them)
  int64_t num_frames = -1;       // -1: endless (live); otherwise EndOfStream after that many
  bool live = true;              // false: seekable like a file
  std::chrono::milliseconds open_delay{0};
  std::optional<VideoError> fail_on_open;   // open() ends in Failed with this error
  int64_t fail_after_frames = -1;           // after this many frames report `failure` and go Failed
  VideoError failure{VideoErrorCategory::DeviceLost, "fake source lost", "", true};
  int64_t stall_after_frames = -1;          // stop producing (stay Playing) after this many
  std::chrono::microseconds frame_cost{0};  // busy time per frame on the streaming thread
  // Frame `index`'s picture, called on the streaming thread; it must return a CV_8UC3 image of
  // `size` (anything else ends the source in Failed, naming what it got). Empty: the index pattern.
  std::function<cv::Mat(int64_t index)> picture;
  // Honour set_model_box(): after each frame, deliver a copy scaled to fit the box (INTER_AREA, on
  // the streaming thread, after on_frame returned), as GStreamer's model branch does
  // (docs/architecture.md "The video pipeline"). Off: the box is ignored, as by sources that cannot scale.
  bool model_branch = false;

  void validate() const;  // throws std::invalid_argument naming the bad value
};

class FakeFrameSource : public ThreadedFrameSource {
 public:
  explicit FakeFrameSource(FakeSourceOptions options = {});
  ~FakeFrameSource() override;

  bool seek_to_frame(int64_t index) override;
  bool seek_to_time(int64_t pts_ns) override;
  bool step(int frames) override;
  bool set_rate(double rate) override;

  int64_t frames_produced() const { return produced_.load(); }
  void set_model_box(int in_h, int in_w) override;
  bool has_model_branch() const override;

 private:
  void run() override;
  void play();  // run()'s body; throws std::invalid_argument when `picture` returns a wrong image
  Frame make_frame(int64_t index, bool preroll) const;
  void deliver_frame(const Frame& f);  // on_frame, then the model branch's copy


  FakeSourceOptions options_;
  std::atomic<int64_t> produced_{0};
  std::atomic<int> box_h_{0}, box_w_{0};
};

}  // namespace pl::core
