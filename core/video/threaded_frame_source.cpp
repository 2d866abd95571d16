#include "core/video/threaded_frame_source.h"

namespace pl::core {

void ThreadedFrameSource::open() {
  if (thread_.joinable()) return;
  set_state(SourceState::Opening);
  thread_ = std::thread([this] { run(); });
}

void ThreadedFrameSource::start() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    play_requested_ = true;
  }
  wake_.notify_all();
}

void ThreadedFrameSource::pause() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    play_requested_ = false;
  }
  wake_.notify_all();
}

void ThreadedFrameSource::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (state() != SourceState::Idle) set_state(SourceState::Stopped);
}

void ThreadedFrameSource::request_seek(int64_t index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    seek_target_ = index;
  }
  wake_.notify_all();
}

void ThreadedFrameSource::store_rate(double rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  rate_ = rate;
}

}  // namespace pl::core
