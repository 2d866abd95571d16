#include "core/video/frame_source.h"

#include <algorithm>

namespace pl::core {

const char* to_string(SourceState s) {
  switch (s) {
    case SourceState::Idle: return "idle";
    case SourceState::Opening: return "opening";
    case SourceState::Paused: return "paused";
    case SourceState::Playing: return "playing";
    case SourceState::Reconnecting: return "reconnecting";
    case SourceState::EndOfStream: return "end-of-stream";
    case SourceState::Failed: return "failed";
    case SourceState::Stopped: return "stopped";
  }
  return "unknown";
}

FrameSource::~FrameSource() = default;

void FrameSource::set_callbacks(SourceCallbacks callbacks) { callbacks_ = std::move(callbacks); }

SourceState FrameSource::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

SourceInfo FrameSource::info() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return info_;
}

int64_t FrameSource::last_frame_index() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_index_;
}

SourceState FrameSource::wait_for(std::initializer_list<SourceState> states,
                                  std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    return std::find(states.begin(), states.end(), state_) != states.end();
  });
  return state_;
}

void FrameSource::set_state(SourceState s) {
  SourceInfo snapshot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == s) return;
    state_ = s;
    snapshot = info_;
  }
  changed_.notify_all();
  if (callbacks_.on_state) callbacks_.on_state(s, snapshot);
}

void FrameSource::update_info(const std::function<void(SourceInfo&)>& edit) {
  std::lock_guard<std::mutex> lock(mutex_);
  edit(info_);
}

void FrameSource::report_error(const VideoError& e) {
  if (callbacks_.on_error) callbacks_.on_error(e);
}

void FrameSource::report_reconnect(const ReconnectInfo& r) {
  if (callbacks_.on_reconnect) callbacks_.on_reconnect(r);
}

void FrameSource::deliver(const Frame& f) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_index_ = f.index;
  }
  changed_.notify_all();
  if (callbacks_.on_frame) callbacks_.on_frame(f);
}

void FrameSource::deliver_model(const Frame& f) {
  if (callbacks_.on_model_frame) callbacks_.on_model_frame(f);
}

}  // namespace pl::core
