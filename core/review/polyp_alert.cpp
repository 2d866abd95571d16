#include "core/review/polyp_alert.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace pl::core::review {

void AlertOptions::validate() const {
  if (!(area_threshold >= 0 && area_threshold < 1))
    throw std::invalid_argument("alert: area_threshold must be in [0, 1), got " + std::to_string(area_threshold));
  if (enter_frames < 1) throw std::invalid_argument("alert: enter_frames must be >= 1, got " + std::to_string(enter_frames));
  if (leave_frames < 1) throw std::invalid_argument("alert: leave_frames must be >= 1, got " + std::to_string(leave_frames));
}

PolypAlert::PolypAlert(const AlertOptions& options) : options_(options) { options_.validate(); }

PolypAlert::Event PolypAlert::update(double area_fraction) {
  const bool positive = std::isfinite(area_fraction) && area_fraction > options_.area_threshold;
  if (positive == active_) {
    run_ = 0;
    return Event::None;
  }
  ++run_;
  if (run_ < (active_ ? options_.leave_frames : options_.enter_frames)) return Event::None;
  run_ = 0;
  active_ = !active_;
  if (active_) ++alerts_;
  return active_ ? Event::Appeared : Event::Cleared;
}

void PolypAlert::reset() {
  active_ = false;
  run_ = 0;
}

const char* to_string(PolypAlert::Event e) {
  switch (e) {
    case PolypAlert::Event::None: return "none";
    case PolypAlert::Event::Appeared: return "appeared";
    case PolypAlert::Event::Cleared: return "cleared";
  }
  return "unknown";
}

}  // namespace pl::core::review
