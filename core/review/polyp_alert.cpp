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

PolypAlert::Event PolypAlert::update_mask(const cv::Mat& mask) {
  if (!tracker_) {
    EventOptions o;
    o.min_region_area = options_.area_threshold;
    o.max_gap = options_.leave_frames - 1;  // closed after leave_frames masks without it
    o.min_duration_s = 0;                   // durations are not used here; masks are counted, not timed
    tracker_ = std::make_unique<EventTracker>(o, 1.0);
  }
  tracker_->add(masks_++, mask);
  bool fresh = false, alerted_open = false;
  for (int id : tracker_->open_events()) {
    if (alerted_.count(id)) alerted_open = true;
    if (alerted_.count(id) || tracker_->event(id).frames_seen < options_.enter_frames) continue;
    alerted_.insert(id);
    ++alerts_;
    fresh = true;
  }
  if (fresh) {
    active_ = true;
    return Event::Appeared;
  }
  if (active_ && !alerted_open) {
    active_ = false;
    return Event::Cleared;
  }
  return Event::None;
}

void PolypAlert::reset() {
  active_ = false;
  run_ = 0;
  tracker_.reset();
  masks_ = 0;
  alerted_.clear();
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
