#pragma once
// Recorder: the annotated live view to an H.264 MP4 file.
//
//   appsrc (BGR) ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency ! mp4mux ! filesink
//
// I420 is forced so that every player decodes the file (left alone, videoconvert would offer x264 4:4:4
// for BGR input, which many players refuse). h264parse is not used (it is in plugins-bad, which is
// not a dependency); x264enc's output goes to mp4mux directly.
//
// Crash safety: by default mp4mux writes a fragmented MP4 (fragment_ms = 1000, key frame at least
// every second), so a recording cut short by a crash or a killed process still plays up to the last
// complete fragment. A plain MP4 (fragment_ms = 0) keeps its index at the end and is unplayable
// unless finalised. Either way stop() (and the destructor) finalise: end-of-stream, wait until the
// muxer has written everything, close.
//
// Frame times: by default the moment push() accepted the frame (wall clock from the first frame), so
// the file plays at the speed the view was shown even when frames are dropped; with
// `wall_clock = false` frame i is at i / fps (tests, offline rendering).
//
// Threading model
//   - push(), stats(), recording(): any thread. push() never blocks on the encoder: it copies the
//     frame into a bounded queue (queue_frames) and returns; a full queue drops the frame and counts it.
//   - start(), stop() and the destructor: any thread, one at a time (the GUI thread). stop() blocks
//     until the file is finalised (normally tens of ms; at most finalize_timeout_ms).
//   - The encoder runs on the recorder's own thread (plus GStreamer's streaming threads), which takes
//     frames from the queue and feeds appsrc.
//   - on_error runs on the recorder thread, once, when the pipeline fails (disk full, ...); the
//     recording stops accepting frames, what was written stays playable (fragmented MP4).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <opencv2/core.hpp>

namespace pl::core::exporting {

class RecordError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RecorderOptions {
  std::string path;               // output .mp4; an existing file is never overwritten
  int width = 0, height = 0;      // recording size (> 0); odd values are rounded down (H.264 4:2:0);
                                  // frames of another size are resized
  double fps = 25.0;              // nominal frame rate (caps, rate control, fixed-rate times)
  bool wall_clock = true;         // frame times from push() (true) or i / fps (false)
  int bitrate_kbps = 4000;
  std::string speed_preset = "veryfast";  // x264enc speed-preset: ultrafast ... veryslow
  int queue_frames = 16;          // frames waiting for the encoder before push() drops (>= 1)
  int fragment_ms = 1000;         // mp4mux fragment-duration; 0 = plain MP4
  int finalize_timeout_ms = 10000;
  std::function<void(const std::string& message)> on_error;  // recorder thread

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

struct RecorderStats {
  bool recording = false;
  int64_t accepted = 0;   // frames push() queued
  int64_t written = 0;    // frames handed to the encoder
  int64_t dropped = 0;    // frames push() refused because the queue was full
  double media_seconds = 0;  // length of the recording so far
  std::string error;      // the pipeline error, empty if none
  std::string path;
};

class Recorder {
 public:
  explicit Recorder(RecorderOptions options);  // validates; does not touch the file yet
  ~Recorder();                                 // stop(): the file is finalised on app exit too
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Builds the pipeline and creates the file. Throws RecordError naming the path and the reason
  // (file exists, folder not writable, GStreamer element missing). Once only.
  void start();

  // Queues a copy of `frame` (CV_8UC3 BGR; CV_8UC1 / CV_8UC4 are converted). Returns false when the
  // frame was dropped (queue full), the recorder is not recording, or it failed.
  bool push(const cv::Mat& frame);

  // Finalises the file and returns the final stats (error set if finalising failed or timed out).
  // A recording that got no frame leaves no file. Idempotent; a no-op before start().
  RecorderStats stop();

  RecorderStats stats() const;
  bool recording() const;
  const RecorderOptions& options() const { return options_; }

 private:
  struct Item {
    cv::Mat frame;
    std::chrono::steady_clock::time_point at;
  };
  struct Pipeline;  // GStreamer objects, recorder thread after start()

  void run();
  void fail(const std::string& message);

  RecorderOptions options_;
  int width_ = 0, height_ = 0;  // even, fixed at construction
  Pipeline* pipeline_ = nullptr;
  std::thread thread_;
  std::mutex control_;  // serialises start/stop

  mutable std::mutex mutex_;  // guards the fields below
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool started_ = false, stopping_ = false, stopped_ = false, failed_ = false;
  std::chrono::steady_clock::time_point t0_{};
  bool have_t0_ = false;
  RecorderStats stats_;
};

}  // namespace pl::core::exporting
