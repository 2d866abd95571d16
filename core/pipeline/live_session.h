#pragma once
// LiveSession: source -> (display slot, inference mailbox -> InferenceWorker) -> the display side.
//
//   capture thread:  frame -> display LatestSlot (the GUI takes the newest; replaced = display drop)
//                          -> InferenceWorker::submit (mailbox of depth one; replaced = inference drop)
//   or, when the source has a model branch (FrameSource::set_model_box with the segmenter's
//   input_box(); docs/architecture.md "The video pipeline"): full frames only to the display, and
//   model branch thread: scaled frame -> InferenceWorker::submit (no resize on the worker)
//   worker thread:   mask  -> "newest mask" (under a short lock)
//   GUI thread:      on_update() fires (coalesced) -> take_update(): newest frame + newest mask + stats
//
// The capture thread never waits for the GUI or the model: it only moves a cv::Mat header into two
// depth-one slots under short locks. The hand-off to the GUI is bounded: at most one on_update
// notification is outstanding until take_update() is called, and frames the GUI never took are
// counted as display drops.
//
// Threading model
//   - set_callbacks(): before the first set_source(); read-only afterwards.
//   - set_source(), set_segmenter(), start/pause/stop, take_update(), stats(): the owner's thread
//     (the GUI thread). set_source() and stop() block while the old source's threads finish
//     (milliseconds; never on the model). stop() also joins the inference worker, so it waits for
//     a segment() call in progress (up to one inference time).
//   - Never call set_source()/stop() from inside a callback; post to the owner's thread.
//   - on_update: capture or worker thread. Do not do work in it: post to the GUI thread
//     (QMetaObject::invokeMethod(obj, ..., Qt::QueuedConnection), or see LiveSessionBridge).
//   - on_state/on_error/on_reconnect: the source's control thread (the final Stopped: stop()'s caller).
//   - on_mask/on_inference_error: the worker thread.
//   - source(): the pointer stays valid until the next set_source() or the session's destruction; its
//     control methods (seek, step, rate) are safe from the GUI thread.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/pipeline/inference_worker.h"
#include "core/pipeline/latest_slot.h"
#include "core/pipeline/rate_meter.h"
#include "core/video/frame_source.h"

namespace pl::core {

struct SessionStats {
  SourceState source_state = SourceState::Idle;
  std::string source;            // SourceInfo::description
  std::string device;            // the model's describe(); "" when no model is loaded
  bool model_loaded = false;
  bool warming_up = false;       // a model is loaded but no mask has arrived yet
  double capture_fps = 0.0;
  double inference_fps = 0.0;
  double mask_age_ms = -1.0;     // now - capture time of the newest mask's frame; -1 without a mask
  int64_t frames_captured = 0;
  int64_t dropped_inference = 0; // frames replaced in the inference mailbox (never segmented)
  int64_t dropped_display = 0;   // frames replaced before the GUI took them (never shown)
  int64_t masks = 0;
  int64_t inference_failures = 0;
  double preprocess_ms = 0.0, infer_ms = 0.0, postprocess_ms = 0.0;  // of the newest mask
};

struct DisplayUpdate {
  Frame frame;                     // newest frame (empty before the first one)
  std::optional<MaskResult> mask;  // newest mask, whichever frame it came from
  bool new_frame = false;          // frame changed since the previous take_update()
  bool new_mask = false;           // mask changed since the previous take_update()
  bool mask_matches_frame = false; // mask computed from exactly this frame (e.g. when paused)
  int64_t mask_lag_frames = -1;    // frame.index - mask.frame_index
  SessionStats stats;
};

struct SessionCallbacks {
  std::function<void()> on_update;                              // capture/worker thread, coalesced
  std::function<void(SourceState, const SourceInfo&)> on_state;  // source control thread
  std::function<void(const VideoError&)> on_error;               // source control thread
  std::function<void(const ReconnectInfo&)> on_reconnect;        // source control thread
  std::function<void(const MaskResult&)> on_mask;                // worker thread (e.g. detection timeline)
  std::function<void(const std::string&)> on_inference_error;   // worker thread
};

class LiveSession {
 public:
  // Either may be null (no model yet / no source yet).
  explicit LiveSession(std::unique_ptr<FrameSegmenter> segmenter = nullptr);
  ~LiveSession();
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;

  void set_callbacks(SessionCallbacks callbacks);

  // Stops and replaces the current source (if any), then opens the new one (it starts Paused;
  // call start()). Pending frames and the old mask are forgotten; the model is kept.
  void set_source(std::unique_ptr<FrameSource> source);
  FrameSource* source() const { return source_.get(); }

  // Replaces the model (nullptr unloads it); frames keep flowing meanwhile. Its input box goes to the
  // source: at once if the source already has a model branch (it rescales), else at the next
  // set_source() (or a live source's reconnect); until then the worker resizes full frames.
  void set_segmenter(std::unique_ptr<FrameSegmenter> segmenter);

  void start();
  void pause();
  void stop();  // stops the source and the worker; a later set_source() starts again

  // Non-blocking. Clears the pending notification, so the next frame or mask triggers on_update.
  DisplayUpdate take_update();
  SessionStats stats() const;

 private:
  void on_frame(const Frame& f, bool to_model);
  void on_mask(const MaskResult& m);
  void notify();

  SessionCallbacks callbacks_;
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<InferenceWorker> worker_;
  LatestSlot<Frame> display_;
  RateMeter capture_rate_;
  std::atomic<int64_t> captured_{0};
  std::atomic<bool> update_pending_{false};
  std::atomic<Clock::rep> source_epoch_{0};  // masks of frames captured before this are stale

  mutable std::mutex mask_mutex_;
  std::optional<MaskResult> mask_;  // written by the worker thread
  bool mask_is_new_ = false;

  Frame shown_;  // GUI thread only: the frame returned by the last take_update()
  cv::Size model_box_;  // GUI thread only: the newest segmenter's input_box() (kept when unloaded)
};

}  // namespace pl::core
