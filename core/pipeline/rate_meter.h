#pragma once
// RateMeter: events per second over the last few events (frames captured, masks produced).
//
// Threading model: tick() from one producer thread, rate() from any thread; both take a small lock.
#include <array>
#include <cstddef>
#include <mutex>

#include "core/video/frame.h"

namespace pl::core {

class RateMeter {
 public:
  void tick(Clock::time_point t = Clock::now());
  // Events per second over the last (up to) 30 events; 0 when the newest event is older than two
  // of the recent intervals (at least 1.5 s), i.e. the stream has stopped.
  double rate(Clock::time_point now = Clock::now()) const;
  void reset();

 private:
  static constexpr std::size_t kWindow = 30;
  mutable std::mutex mutex_;
  std::array<Clock::time_point, kWindow> times_{};
  std::size_t count_ = 0;  // total ticks (ring position = count_ % kWindow)
};

}  // namespace pl::core
