#pragma once
// PolypAlert: a debounced "polyp appeared" signal for a visual or audible cue during live use.
//
// It enters the alerting state after `enter_frames` consecutive masks with an area above
// `area_threshold`, and leaves it after `leave_frames` consecutive masks at or below it. One noisy
// mask never starts an alert, and one missed mask never ends one, so the cue does not chatter.
// Feed it every mask in order (LiveSession's on_mask); a frame without a mask is simply not fed.
//
// With whole masks (update_mask), it alerts once per polyp event (polyp_events.h, docs/metrics.md §6):
// regions are followed by overlap, Appeared fires when a new event has been seen in `enter_frames`
// masks, and not again for that event however long it stays or flickers; a second polyp appearing
// beside the first is a new event and alerts again. Cleared comes when no alerted event is open any
// more (each unseen for `leave_frames` masks). Regions below `area_threshold` of the frame count
// as no polyp.
//
// Threading model: not thread-safe; one thread feeds and reads it (e.g. the inference thread calls
// update() and forwards the returned event to the GUI with a queued call).
#include <cstdint>
#include <memory>
#include <set>

#include <opencv2/core.hpp>

#include "core/review/polyp_events.h"

namespace pl::core::review {

struct AlertOptions {
  double area_threshold = 0.002;  // fraction of the frame (0.2 %)
  int enter_frames = 3;           // K: consecutive positive masks to raise the alert (>= 1)
  int leave_frames = 10;          // M: consecutive negative masks to clear it (>= 1)

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

class PolypAlert {
 public:
  enum class Event { None, Appeared, Cleared };

  explicit PolypAlert(const AlertOptions& options = {});  // validates

  // Feeds the area fraction of the next mask; returns Appeared / Cleared on the mask that changes
  // the state, None otherwise.
  Event update(double area_fraction);
  // Feeds the next mask (CV_8U, non-zero = polyp; the same size each time): one alert per event.
  // Throws std::invalid_argument for a bad mask (see EventTracker::add).
  Event update_mask(const cv::Mat& mask);
  void reset();  // back to not alerting, events forgotten (a new source)

  bool active() const { return active_; }
  int64_t alerts() const { return alerts_; }  // Appeared events so far
  const AlertOptions& options() const { return options_; }

 private:
  AlertOptions options_;
  bool active_ = false;
  int run_ = 0;  // consecutive masks disagreeing with the current state
  int64_t alerts_ = 0;
  std::unique_ptr<EventTracker> tracker_;  // update_mask() only; made on its first call
  int64_t masks_ = 0;                      // masks fed to update_mask()
  std::set<int> alerted_;                  // events that raised Appeared
};

const char* to_string(PolypAlert::Event e);

}  // namespace pl::core::review
