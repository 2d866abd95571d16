#pragma once
// InferenceWorker: one thread that owns the model and segments the newest frame it is given.
//
// Frames arrive through a LatestSlot of depth one: submit() never blocks, and a frame that is
// replaced before the worker gets to it counts as dropped. Each mask is published with the index,
// timestamp and capture time of the frame it was computed from.
//
// Threading model
//   - submit(), set_segmenter(), stats(), describe() and stop(): any thread.
//   - The FrameSegmenter is called only from the worker thread (segmenters need not be thread-safe).
//     set_segmenter() hands the new one over; the worker swaps it in between two frames and destroys
//     the old one on the worker thread.
//   - on_mask and on_error run on the worker thread; keep them short (store and notify).
//   - The field-of-view tracker is the worker thread's alone; the views it publishes are immutable.
//   - Callbacks are fixed at construction.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/overlay/fov.h"
#include "core/pipeline/frame_segmenter.h"
#include "core/pipeline/latest_slot.h"
#include "core/pipeline/rate_meter.h"
#include "core/video/frame.h"

namespace pl::core {

struct MaskResult {
  cv::Mat mask;                   // CV_8U 0/1, the source frame's size, nothing outside `view`
  // The scope's field of view in that frame (core/overlay/fov.h); null = the whole frame. Pass it to
  // compose_overlay so the border is not painted.
  std::shared_ptr<const FieldOfView> view;
  int64_t frame_index = -1;       // the frame this mask belongs to
  int64_t pts_ns = -1;
  Clock::time_point captured{};   // that frame's capture time
  Clock::time_point finished{};   // when the mask was ready
  double preprocess_ms = 0.0, infer_ms = 0.0, postprocess_ms = 0.0;
  double polyp_area_percent = 0.0;  // for detection timelines

  double latency_ms() const { return ms_between(captured, finished); }  // capture -> mask
};

struct InferenceStats {
  int64_t submitted = 0;   // frames offered
  int64_t dropped = 0;     // replaced in the mailbox before inference (latest frame wins)
  int64_t processed = 0;   // masks produced
  int64_t failed = 0;      // segment() threw
  double fps = 0.0;        // masks per second, recent
  double last_preprocess_ms = 0.0, last_infer_ms = 0.0, last_postprocess_ms = 0.0;
  double last_latency_ms = 0.0;  // capture -> mask of the last result
  bool busy = false;             // a frame is being segmented right now
};

struct InferenceCallbacks {
  std::function<void(const MaskResult&)> on_mask;            // worker thread
  std::function<void(const std::string& message)> on_error;  // worker thread; segment() threw
};

class InferenceWorker {
 public:
  explicit InferenceWorker(std::unique_ptr<FrameSegmenter> segmenter, InferenceCallbacks callbacks = {});
  ~InferenceWorker();  // stops and joins
  InferenceWorker(const InferenceWorker&) = delete;
  InferenceWorker& operator=(const InferenceWorker&) = delete;

  void start();  // launches the thread (idempotent)
  void stop();   // wakes and joins the thread; the pending frame is discarded (idempotent)

  // Offers a frame; never blocks. Returns true if it replaced a frame that was still waiting.
  // Frames are ignored while no segmenter is set or after stop().
  bool submit(const Frame& frame);

  // A new source: the frame still waiting for the model is discarded (not counted as a drop: the
  // source it came from is gone), and the field of view is detected afresh from the next frame.
  void new_source();

  // Replaces the model (nullptr unloads it); takes effect before the next frame.
  void set_segmenter(std::unique_ptr<FrameSegmenter> segmenter);
  bool has_segmenter() const;
  std::string describe() const;  // the current segmenter's describe(), "" if none

  InferenceStats stats() const;

 private:
  void run();

  InferenceCallbacks callbacks_;
  LatestSlot<Frame> inbox_;
  RateMeter rate_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;  // guards the fields below
  std::unique_ptr<FrameSegmenter> segmenter_;  // used by the worker thread outside the lock
  std::unique_ptr<FrameSegmenter> pending_;    // set_segmenter() -> swapped in by the worker
  bool swap_pending_ = false;
  bool has_segmenter_ = false;
  std::string description_;
  InferenceStats stats_;  // processed/failed/timings written by the worker thread
  FieldOfViewTracker view_tracker_;  // worker thread only
  std::atomic<bool> reset_view_{false};  // set by new_source(), taken by the worker thread
};

}  // namespace pl::core
