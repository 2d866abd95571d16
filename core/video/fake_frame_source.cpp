#include "core/video/fake_frame_source.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

#include "core/base/fit.h"
#include "core/video/index_pattern.h"

namespace pl::core {

void FakeSourceOptions::validate() const {
  if (size.width < 16 || size.height < 16)
    throw std::invalid_argument("fake source size must be at least 16x16, got " + std::to_string(size.width) +
                                "x" + std::to_string(size.height));
  if (num_frames == 0 || num_frames < -1 || num_frames > 65536)
    throw std::invalid_argument("fake source num_frames must be -1 or 1..65536, got " + std::to_string(num_frames));
}

FakeFrameSource::FakeFrameSource(FakeSourceOptions options) : options_(std::move(options)) {
  options_.validate();
  update_info([&](SourceInfo& i) {
    i.description = "fake source";
    i.live = options_.live;
    i.seekable = !options_.live && options_.num_frames > 0;
    i.width = options_.size.width;
    i.height = options_.size.height;
    i.fps = options_.fps > 0 ? options_.fps : 0.0;
    i.frame_count = options_.num_frames;
    if (options_.fps > 0 && options_.num_frames > 0)
      i.duration_ns = static_cast<int64_t>(options_.num_frames * 1e9 / options_.fps);
  });
}

FakeFrameSource::~FakeFrameSource() { stop(); }

bool FakeFrameSource::seek_to_frame(int64_t index) {
  if (!info().seekable || index < 0 || index >= options_.num_frames) return false;
  request_seek(index);
  return true;
}

bool FakeFrameSource::seek_to_time(int64_t pts_ns) {
  if (options_.fps <= 0) return false;
  return seek_to_frame(static_cast<int64_t>(pts_ns * options_.fps / 1e9 + 1e-6));
}

bool FakeFrameSource::step(int frames) { return seek_to_frame(std::max<int64_t>(0, last_frame_index() + frames)); }

bool FakeFrameSource::set_rate(double rate) {
  if (!info().seekable || !(rate > 0.0 && rate <= 16.0)) return false;
  store_rate(rate);
  return true;
}

Frame FakeFrameSource::make_frame(int64_t index, bool preroll) const {
  Frame f;
  if (options_.picture) {
    f.bgr = options_.picture(index).clone();  // each frame owns its pixels (core/video/frame.h)
    if (f.bgr.type() != CV_8UC3 || f.bgr.size() != options_.size)
      throw std::invalid_argument("fake source picture for frame " + std::to_string(index) + " must be CV_8UC3 " +
                                  std::to_string(options_.size.width) + "x" + std::to_string(options_.size.height) +
                                  ", got type " + std::to_string(f.bgr.type()) + " " + std::to_string(f.bgr.cols) +
                                  "x" + std::to_string(f.bgr.rows));
  } else {
    f.bgr = make_index_pattern(index % 65536, options_.size);  // the pattern holds 16 bits; endless sources wrap
  }
  f.index = index;
  f.pts_ns = options_.fps > 0 ? static_cast<int64_t>(index * 1e9 / options_.fps) : -1;
  f.preroll = preroll;
  if (options_.frame_cost.count() > 0) {
    // Busy-wait rather than sleep: a slow decoder occupies its thread.
    const auto until = Clock::now() + options_.frame_cost;
    while (Clock::now() < until) {
    }
  }
  f.captured = Clock::now();
  return f;
}

void FakeFrameSource::set_model_box(int in_h, int in_w) {
  box_h_ = std::max(0, in_h);
  box_w_ = std::max(0, in_w);
}

bool FakeFrameSource::has_model_branch() const { return options_.model_branch && box_h_ > 0 && box_w_ > 0; }

void FakeFrameSource::deliver_frame(const Frame& f) {
  deliver(f);
  if (!has_model_branch()) return;
  const FitSize fit = fit_into(f.bgr.rows, f.bgr.cols, box_h_, box_w_);
  Frame m = f;
  m.source_size = f.bgr.size();
  cv::resize(f.bgr, m.bgr, cv::Size(static_cast<int>(fit.w), static_cast<int>(fit.h)), 0, 0, cv::INTER_AREA);
  m.captured = Clock::now();
  deliver_model(m);
}

void FakeFrameSource::run() {
  try {
    play();
  } catch (const std::invalid_argument& e) {  // a test's picture callback returned the wrong image
    report_error({VideoErrorCategory::Internal, e.what(), "", false});
    set_state(SourceState::Failed);
  }
}

void FakeFrameSource::play() {
  if (options_.open_delay.count() > 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, options_.open_delay, [&] { return stop_requested_; });
    if (stop_requested_) return;
  }
  if (options_.fail_on_open) {
    report_error(*options_.fail_on_open);
    set_state(SourceState::Failed);
    return;
  }
  set_state(SourceState::Paused);

  int64_t next = 0;
  Clock::time_point due = Clock::now();
  while (true) {
    bool play = false;
    int64_t seek = -1;
    double rate = 1.0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!play_requested_ && state() == SourceState::Playing) {
        lock.unlock();
        set_state(SourceState::Paused);
        lock.lock();
      }
      const bool ended = options_.num_frames > 0 && next >= options_.num_frames;
      const bool stalled = options_.stall_after_frames >= 0 && produced_ >= options_.stall_after_frames;
      wake_.wait(lock, [&] {
        return stop_requested_ || seek_target_ >= 0 || (play_requested_ && !ended && !stalled);
      });
      if (stop_requested_) return;
      play = play_requested_;
      std::swap(seek, seek_target_);
      rate = rate_;
    }
    if (seek >= 0) {
      next = seek;
      if (!play) {
        deliver_frame(make_frame(next, true));
        ++next;
        set_state(SourceState::Paused);
        continue;
      }
      due = Clock::now();
    }
    if (state() != SourceState::Playing) {
      set_state(SourceState::Playing);
      due = Clock::now();
    }

    if (options_.fps > 0) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_until(lock, due, [&] { return stop_requested_ || seek_target_ >= 0 || !play_requested_; })) {
        if (stop_requested_) return;
        if (!play_requested_) {
          lock.unlock();
          set_state(SourceState::Paused);
        }
        continue;
      }
      due += std::chrono::nanoseconds(static_cast<int64_t>(1e9 / (options_.fps * rate)));
    }
    deliver_frame(make_frame(next, false));
    ++next;
    const int64_t produced = ++produced_;
    if (options_.fail_after_frames >= 0 && produced >= options_.fail_after_frames) {
      report_error(options_.failure);
      set_state(SourceState::Failed);
      return;
    }
    if (options_.num_frames > 0 && next >= options_.num_frames) set_state(SourceState::EndOfStream);
  }
}

}  // namespace pl::core
