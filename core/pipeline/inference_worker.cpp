#include "core/pipeline/inference_worker.h"

#include <exception>

#include "core/log/log.h"
#include "core/overlay/overlay.h"

namespace pl::core {

InferenceWorker::InferenceWorker(std::unique_ptr<FrameSegmenter> segmenter, InferenceCallbacks callbacks)
    : callbacks_(std::move(callbacks)) {
  has_segmenter_ = segmenter != nullptr;
  description_ = segmenter ? segmenter->describe() : std::string();
  segmenter_ = std::move(segmenter);
}

InferenceWorker::~InferenceWorker() { stop(); }

void InferenceWorker::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  inbox_.reopen();
  thread_ = std::thread([this] { run(); });
}

void InferenceWorker::stop() {
  stopping_ = true;
  inbox_.close();
  if (thread_.joinable()) thread_.join();
}

bool InferenceWorker::submit(const Frame& frame) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!has_segmenter_) return false;
  }
  return inbox_.put(frame);
}

void InferenceWorker::new_source() {
  inbox_.try_take();
  reset_view_ = true;
}

void InferenceWorker::set_segmenter(std::unique_ptr<FrameSegmenter> segmenter) {
  std::lock_guard<std::mutex> lock(mutex_);
  has_segmenter_ = segmenter != nullptr;
  description_ = segmenter ? segmenter->describe() : std::string();
  if (!thread_.joinable()) {
    segmenter_ = std::move(segmenter);  // not running: swap now
    return;
  }
  pending_ = std::move(segmenter);
  swap_pending_ = true;
}

bool InferenceWorker::has_segmenter() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return has_segmenter_;
}

std::string InferenceWorker::describe() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return description_;
}

InferenceStats InferenceWorker::stats() const {
  InferenceStats s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = stats_;
  }
  const SlotCounters c = inbox_.counters();
  s.submitted = c.put;
  s.dropped = c.replaced;
  s.fps = rate_.rate();
  return s;
}

void InferenceWorker::run() {
  auto log = pl::log::get("video");
  while (!stopping_) {
    std::optional<Frame> frame = inbox_.take(std::chrono::milliseconds(100));
    std::unique_ptr<FrameSegmenter> retired;  // destroyed here, outside the lock
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (swap_pending_) {
        retired = std::move(segmenter_);
        segmenter_ = std::move(pending_);
        swap_pending_ = false;
      }
    }
    retired.reset();
    if (!frame || stopping_ || !segmenter_ || frame->empty()) continue;

    {
      std::lock_guard<std::mutex> lock(mutex_);
      stats_.busy = true;
    }
    try {
      SegmentResult r = segmenter_->segment(frame->bgr, frame->source_size);
      MaskResult m;
      if (reset_view_.exchange(false)) view_tracker_.reset();
      m.view = view_tracker_.update(frame->bgr);
      // The view was found on the frame the worker got; the mask may be at the model's resolution.
      if (m.view && r.mask.size() != m.view->size()) m.mask = m.view->scaled(r.mask.size()).clip(r.mask);
      else m.mask = m.view ? m.view->clip(r.mask) : std::move(r.mask);
      m.frame_index = frame->index;
      m.pts_ns = frame->pts_ns;
      m.captured = frame->captured;
      m.finished = Clock::now();
      m.preprocess_ms = r.preprocess_ms;
      m.infer_ms = r.infer_ms;
      m.postprocess_ms = r.postprocess_ms;
      m.polyp_area_percent = polyp_area_percent(m.mask);
      rate_.tick(m.finished);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.busy = false;
        ++stats_.processed;
        stats_.last_preprocess_ms = m.preprocess_ms;
        stats_.last_infer_ms = m.infer_ms;
        stats_.last_postprocess_ms = m.postprocess_ms;
        stats_.last_latency_ms = m.latency_ms();
      }
      if (callbacks_.on_mask) callbacks_.on_mask(m);
    } catch (const std::exception& e) {
      int64_t failed = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.busy = false;
        failed = ++stats_.failed;
      }
      // Log the first few failures in full, then only every 100th, so a broken model can't flood.
      if (failed <= 3 || failed % 100 == 0)
        log->error("segmentation of frame {} failed ({} so far): {}", frame->index, failed, e.what());
      if (callbacks_.on_error) callbacks_.on_error(e.what());
    }
  }
}

}  // namespace pl::core
