#pragma once
// Video-level evaluation of a detection aid as clinical CADe studies judge one (docs/metrics.md §6):
// per-polyp sensitivity, time to first detection, false-positive events per minute, and per-frame
// sensitivity and specificity, from a ground-truth mask track and the model's masks of the same
// frames. Both are read as polyp events (polyp_events.h) with the same options.
//
// Threading model: not thread-safe; one thread feeds and reads an evaluator.
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/base/json.h"
#include "core/review/polyp_events.h"

namespace pl::core::review {

// A ground-truth polyp (a non-flicker truth event) and what the model did with it.
struct PolypOutcome {
  PolypEvent truth;
  bool found = false;                 // a predicted region overlapped the polyp's region in some frame
  int64_t first_detection_frame = -1;  // first such frame
  int64_t delay_frames = -1;          // first_detection_frame - truth.first_frame
  double delay_ms = -1;               // delay_frames * 1000 / fps
  int64_t frames_detected = 0;        // frames of the polyp with an overlapping predicted region
  std::vector<int> predicted_events;  // ids of the predicted events that overlapped it
  bool in_view_at_start = false;      // seen in the clip's first frame: it appeared before the clip, so
                                      // its delay (counted from frame 0) is left out of DelayStats
};

// Median, 90th percentile and maximum of the delays of the found polyps that appear during the clip
// (not in_view_at_start; none: all zero, n = 0).
// Median: the middle value, or the mean of the two middle ones; p90: nearest rank (the
// ceil(0.9 n)-th smallest).
struct DelayStats {
  int n = 0;
  double median_ms = 0, p90_ms = 0, max_ms = 0;
  double median_frames = 0, p90_frames = 0, max_frames = 0;
};

struct EventEvalReport {
  double fps = 0;
  int64_t frames = 0;
  double minutes = 0;  // frames / fps / 60
  EventOptions options;
  std::vector<PolypEvent> truth_events, predicted_events;  // all, flicker included

  // Per polyp
  std::vector<PolypOutcome> polyps;  // non-flicker truth events
  int truth_flicker = 0;             // truth events shorter than min_duration_s (not scored as polyps)
  int polyps_found = 0;
  double polyp_sensitivity = 0;      // polyps_found / polyps (NaN without polyps)
  DelayStats delay;

  // False-positive events: predicted events whose regions never overlap a truth region
  std::vector<int> false_positive_events;  // ids
  int predicted_flicker = 0;               // predicted events shorter than min_duration_s
  int fp_events = 0, fp_events_over_0_5s = 0, fp_events_over_1s = 0;  // "over": duration strictly longer
  double fp_per_minute = 0, fp_per_minute_over_0_5s = 0, fp_per_minute_over_1s = 0;

  // Per frame (regions of at least min_region_area)
  int64_t frames_tp = 0;  // truth present, a predicted region overlaps a truth region
  int64_t frames_fn = 0;  // truth present, no overlapping prediction (misplaced_frames of them had one elsewhere)
  int64_t frames_misplaced = 0;
  int64_t frames_fp = 0;  // no truth, a predicted region
  int64_t frames_tn = 0;  // neither
  double frame_sensitivity = 0;  // tp / (tp + fn), NaN without truth frames
  double frame_specificity = 0;  // tn / (tn + fp), NaN without truth-free frames

  std::string to_text() const;   // the lines `polyplens eval --clip` prints
  pl::json::Json to_json() const;
};

class EventEvaluator {
 public:
  // fps > 0. Throws std::invalid_argument for bad options or fps.
  EventEvaluator(const EventOptions& options, double fps);

  // The next frame (0, 1, 2, ...): truth and pred CV_8U, non-zero = polyp, same size; prob empty or
  // CV_32F polyp probability; truth_identity empty or the truth's polyp names (EventTracker::add).
  // Throws std::invalid_argument naming the frame for bad input.
  void add(const cv::Mat& truth, const cv::Mat& pred, const cv::Mat& prob = {}, const cv::Mat& truth_identity = {});

  int64_t frames() const { return frames_; }
  EventEvalReport report() const;

 private:
  EventTracker truth_, pred_;
  int64_t frames_ = 0;
  struct Hit {
    int64_t first = -1, frames = 0;
    std::vector<int> predicted;
  };
  std::vector<Hit> hits_;          // by truth id - 1
  std::vector<bool> pred_hit_;     // by predicted id - 1
  int64_t tp_ = 0, fn_ = 0, misplaced_ = 0, fp_ = 0, tn_ = 0;
};

// Median / p90 / max as DelayStats defines them.
DelayStats delay_stats(const std::vector<PolypOutcome>& polyps, double fps);

}  // namespace pl::core::review
