#pragma once
// FrameSource: the one interface every video input implements (file, network URI, V4L2 device, test
// pattern, image folder, the test fake).
//
// Threading model
//   - Control methods (open, start, pause, stop, seek_*, step, set_rate) may be called from any thread
//     (usually the GUI thread). Except stop(), they never block on the pipeline: they post a request
//     that the source's own control thread carries out, and the outcome comes back as callbacks.
//     stop() blocks until the source's threads have finished; after it returns no callback runs.
//   - on_frame runs on the source's streaming thread. It must be quick (copy/share the Frame and
//     return): in Playback::Realtime a slow callback makes live sources drop frames, and in
//     Playback::EveryFrame it throttles decoding (that is the point: nothing is dropped).
//   - on_model_frame (optional; sources with a model branch, see set_model_box) runs on the model
//     branch's own streaming thread, concurrently with on_frame; the same rules apply.
//   - on_state, on_error and on_reconnect run on the source's control thread.
//   - Callbacks are set once, before open(), and are not changed afterwards (read without locks).
//     Never call stop() or destroy the source from inside a callback (stop() joins the threads that
//     run them); post to another thread instead.
//   - state() and info() are thread-safe snapshots.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>

#include "core/video/frame.h"
#include "core/video/video_error.h"

namespace pl::core {

enum class SourceState {
  Idle,          // constructed, open() not called yet
  Opening,       // building the pipeline / connecting / prerolling
  Paused,        // ready; a file shows its current frame; a live source waits for start()
  Playing,       // frames flowing
  Reconnecting,  // live source lost; a new attempt is scheduled (see on_reconnect)
  EndOfStream,   // a file reached its end (seek to continue)
  Failed,        // unrecoverable error (see the last on_error); call stop() / open another source
  Stopped,       // stop() finished
};
const char* to_string(SourceState s);

struct SourceInfo {
  std::string description;     // for people, credentials stripped: "clip.mp4", "rtsp://cam/stream"
  bool live = false;           // live sources drop frames when behind and reconnect when lost
  bool seekable = false;       // files: seek, step, rate
  int width = 0, height = 0;   // 0 until the first caps are known
  double fps = 0.0;            // nominal frame rate (0 if unknown / variable)
  int64_t duration_ns = -1;    // files: total length (-1 if unknown)
  int64_t frame_count = -1;    // files: estimated from duration x fps (-1 if unknown)
};

struct ReconnectInfo {
  int attempt = 0;             // 1 for the first retry after a loss
  int delay_ms = 0;            // wait before this attempt (1000, 2000, 4000, 8000, 8000, ...)
  VideoError reason;           // why the source was lost
};

struct SourceCallbacks {
  std::function<void(const Frame&)> on_frame;                     // streaming thread
  // The model branch's frames (set_model_box): the full frame scaled to fit the model's input box,
  // with that frame's index, pts_ns and preroll flag, and source_size = the full frame's size.
  std::function<void(const Frame&)> on_model_frame;               // model branch's streaming thread
  std::function<void(SourceState, const SourceInfo&)> on_state;   // control thread
  std::function<void(const VideoError&)> on_error;                // control thread
  std::function<void(const ReconnectInfo&)> on_reconnect;         // control thread
};

class FrameSource {
 public:
  virtual ~FrameSource();
  FrameSource(const FrameSource&) = delete;
  FrameSource& operator=(const FrameSource&) = delete;

  // Set once, before open().
  void set_callbacks(SourceCallbacks callbacks);

  // Starts opening in the background (state Opening -> Paused, or Failed with on_error).
  virtual void open() = 0;
  virtual void start() = 0;  // play (may be called while Opening: playback starts when ready)
  virtual void pause() = 0;
  virtual void stop() = 0;   // blocks until the source's threads are gone; idempotent

  // Files only (info().seekable); return false, and do nothing, when the source cannot.
  // Seeks are frame-accurate; the frame at the target is delivered even while paused (preroll).
  virtual bool seek_to_frame(int64_t index) { (void)index; return false; }
  virtual bool seek_to_time(int64_t pts_ns) { (void)pts_ns; return false; }
  virtual bool step(int frames) { (void)frames; return false; }   // +1 next frame, -1 previous
  virtual bool set_rate(double rate) { (void)rate; return false; } // playback speed, > 0

  // The model branch (docs/architecture.md "The video pipeline"): besides each full frame, deliver
  // through on_model_frame a copy scaled to fit in_h x in_w keeping its aspect ratio
  // (core/base/fit.h: the model's letterbox content size), scaled on the source's own threads. Call it
  // before open(); called later, a source that already has the branch renegotiates the size, one
  // that has none builds it at its next pipeline build (a reconnect). (0, 0): no branch. Model frames
  // are newest-wins: one still being scaled when the next arrives is dropped, never delaying on_frame.
  // The default (sources that cannot scale) ignores the box.
  virtual void set_model_box(int in_h, int in_w) { (void)in_h; (void)in_w; }
  // True while model frames are being delivered for the current pipeline (before open(): whether one
  // was asked for). Any thread.
  virtual bool has_model_branch() const { return false; }

  SourceState state() const;
  SourceInfo info() const;
  int64_t last_frame_index() const;  // index of the last delivered frame, -1 before the first

  // Blocks until state() is one of `states` or the timeout expires; returns the state reached.
  // For tests and command-line tools; the GUI reacts to on_state instead.
  SourceState wait_for(std::initializer_list<SourceState> states, std::chrono::milliseconds timeout) const;

 protected:
  FrameSource() = default;

  // For implementations: update and report. set_state() calls on_state outside the lock.
  void set_state(SourceState s);
  void update_info(const std::function<void(SourceInfo&)>& edit);
  void report_error(const VideoError& e);
  void report_reconnect(const ReconnectInfo& r);
  void deliver(const Frame& f);  // calls on_frame and remembers the index
  void deliver_model(const Frame& f);  // calls on_model_frame

  SourceCallbacks callbacks_;  // written before open(), read-only afterwards

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  SourceState state_ = SourceState::Idle;  // written by the control thread (or stop())
  SourceInfo info_;
  int64_t last_index_ = -1;                // written by the streaming thread
};

}  // namespace pl::core
