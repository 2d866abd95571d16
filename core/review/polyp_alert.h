#pragma once
// PolypAlert: a debounced "polyp appeared" signal for a visual or audible cue during live use.
//
// It enters the alerting state after `enter_frames` consecutive masks with an area above
// `area_threshold`, and leaves it after `leave_frames` consecutive masks at or below it. One noisy
// mask never starts an alert, and one missed mask never ends one, so the cue does not chatter.
// Feed it every mask in order (LiveSession's on_mask); a frame without a mask is simply not fed.
//
// Threading model: not thread-safe; one thread feeds and reads it (e.g. the inference thread calls
// update() and forwards the returned event to the GUI with a queued call).
#include <cstdint>

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
  void reset();  // back to not alerting (a new source)

  bool active() const { return active_; }
  int64_t alerts() const { return alerts_; }  // Appeared events so far
  const AlertOptions& options() const { return options_; }

 private:
  AlertOptions options_;
  bool active_ = false;
  int run_ = 0;  // consecutive masks disagreeing with the current state
  int64_t alerts_ = 0;
};

const char* to_string(PolypAlert::Event e);

}  // namespace pl::core::review
