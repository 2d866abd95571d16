#include "core/pipeline/rate_meter.h"

#include <algorithm>

namespace pl::core {

void RateMeter::tick(Clock::time_point t) {
  std::lock_guard<std::mutex> lock(mutex_);
  times_[count_ % kWindow] = t;
  ++count_;
}

double RateMeter::rate(Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t n = std::min(count_, kWindow);
  if (n < 2) return 0.0;
  const Clock::time_point newest = times_[(count_ - 1) % kWindow];
  const Clock::time_point oldest = times_[(count_ - n) % kWindow];
  const double span_s = std::chrono::duration<double>(newest - oldest).count();
  if (span_s <= 0.0) return 0.0;
  const double interval_s = span_s / static_cast<double>(n - 1);
  const double idle_s = std::chrono::duration<double>(now - newest).count();
  if (idle_s > std::max(1.5, 2.0 * interval_s)) return 0.0;
  return static_cast<double>(n - 1) / span_s;
}

void RateMeter::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  count_ = 0;
}

}  // namespace pl::core
