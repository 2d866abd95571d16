#include "core/pipeline/live_session.h"

namespace pl::core {

LiveSession::LiveSession(std::unique_ptr<FrameSegmenter> segmenter) {
  if (segmenter) model_box_ = segmenter->input_box();
  InferenceCallbacks cb;
  cb.on_mask = [this](const MaskResult& m) { on_mask(m); };
  cb.on_error = [this](const std::string& msg) {
    if (callbacks_.on_inference_error) callbacks_.on_inference_error(msg);
  };
  worker_ = std::make_unique<InferenceWorker>(std::move(segmenter), std::move(cb));
  worker_->start();
}

LiveSession::~LiveSession() { stop(); }

void LiveSession::set_callbacks(SessionCallbacks callbacks) { callbacks_ = std::move(callbacks); }

void LiveSession::set_source(std::unique_ptr<FrameSource> source) {
  if (source_) source_->stop();
  source_.reset();
  display_.try_take();
  {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    mask_.reset();
    mask_is_new_ = false;
  }
  shown_ = Frame();
  capture_rate_.reset();
  source_epoch_ = Clock::now().time_since_epoch().count();
  worker_->new_source();
  worker_->start();  // no-op if running; restarts after stop()
  if (!source) return;
  source_ = std::move(source);
  FrameSource* src = source_.get();
  SourceCallbacks cb;
  // With a model branch the source scales the model's frames itself: those go to the worker, the
  // full frames only to the display (docs/architecture.md "The video pipeline").
  cb.on_frame = [this, src](const Frame& f) { on_frame(f, !src->has_model_branch()); };
  cb.on_model_frame = [this](const Frame& f) { worker_->submit(f); };
  cb.on_state = [this](SourceState s, const SourceInfo& i) {
    if (callbacks_.on_state) callbacks_.on_state(s, i);
  };
  cb.on_error = [this](const VideoError& e) {
    if (callbacks_.on_error) callbacks_.on_error(e);
  };
  cb.on_reconnect = [this](const ReconnectInfo& r) {
    if (callbacks_.on_reconnect) callbacks_.on_reconnect(r);
  };
  source_->set_callbacks(std::move(cb));
  if (!model_box_.empty()) source_->set_model_box(model_box_.height, model_box_.width);
  source_->open();
}

void LiveSession::set_segmenter(std::unique_ptr<FrameSegmenter> segmenter) {
  const cv::Size box = segmenter ? segmenter->input_box() : cv::Size();
  // A source with a branch rescales to the new box; one without builds it at its next open or
  // reconnect (frame_source.h). Meanwhile the worker resizes what it gets (cv_predict.h).
  if (!box.empty() && box != model_box_ && source_) source_->set_model_box(box.height, box.width);
  if (!box.empty()) model_box_ = box;
  worker_->set_segmenter(std::move(segmenter));
  std::lock_guard<std::mutex> lock(mask_mutex_);
  mask_.reset();  // a mask from the previous model would be misleading
  mask_is_new_ = false;
}

void LiveSession::start() {
  if (source_) source_->start();
}

void LiveSession::pause() {
  if (source_) source_->pause();
}

void LiveSession::stop() {
  if (source_) source_->stop();
  worker_->stop();
}

void LiveSession::on_frame(const Frame& f, bool to_model) {
  capture_rate_.tick(f.captured);
  ++captured_;
  display_.put(f);
  if (to_model) worker_->submit(f);
  notify();
}

void LiveSession::on_mask(const MaskResult& m) {
  if (m.captured.time_since_epoch().count() < source_epoch_.load()) return;  // from a previous source
  {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    mask_ = m;
    mask_is_new_ = true;
  }
  if (callbacks_.on_mask) callbacks_.on_mask(m);
  notify();
}

void LiveSession::notify() {
  if (!update_pending_.exchange(true) && callbacks_.on_update) callbacks_.on_update();
}

DisplayUpdate LiveSession::take_update() {
  update_pending_ = false;
  DisplayUpdate u;
  if (std::optional<Frame> f = display_.try_take()) {
    shown_ = std::move(*f);
    u.new_frame = true;
  }
  u.frame = shown_;
  {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    u.mask = mask_;
    u.new_mask = mask_is_new_;
    mask_is_new_ = false;
  }
  if (u.mask && !u.frame.empty()) {
    u.mask_lag_frames = u.frame.index - u.mask->frame_index;
    u.mask_matches_frame = u.mask->frame_index == u.frame.index && u.mask->pts_ns == u.frame.pts_ns;
  }
  u.stats = stats();
  return u;
}

SessionStats LiveSession::stats() const {
  SessionStats s;
  const Clock::time_point now = Clock::now();
  if (source_) {
    s.source_state = source_->state();
    s.source = source_->info().description;
  }
  const InferenceStats w = worker_->stats();
  s.model_loaded = worker_->has_segmenter();
  s.device = worker_->describe();
  s.capture_fps = capture_rate_.rate(now);
  s.inference_fps = w.fps;
  s.frames_captured = captured_.load();
  s.dropped_inference = w.dropped;
  s.dropped_display = display_.counters().replaced;
  s.masks = w.processed;
  s.inference_failures = w.failed;
  {
    std::lock_guard<std::mutex> lock(mask_mutex_);
    if (mask_) {
      s.mask_age_ms = ms_between(mask_->captured, now);
      s.preprocess_ms = mask_->preprocess_ms;
      s.infer_ms = mask_->infer_ms;
      s.postprocess_ms = mask_->postprocess_ms;
    }
    s.warming_up = s.model_loaded && !mask_;
  }
  return s;
}

}  // namespace pl::core
