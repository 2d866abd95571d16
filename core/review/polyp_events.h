#pragma once
// Polyp events: one polyp seen over many frames is one event. Connected mask regions are followed
// from frame to frame by overlap, across short gaps (an occlusion, a missed mask, frames never
// segmented), and each event keeps its first and last frame, peak area and mean confidence. Events
// shorter than a minimum duration are "flicker", counted apart. The same tracker reads a model's
// masks and a ground-truth mask track; the definitions are docs/metrics.md §6.
//
// Rules, per frame, in frame order:
//   1. Regions: 8-connected components of the mask (non-zero = polyp) of at least `min_region_area`
//      of the frame; smaller ones are speckle and ignored.
//   2. Matching: a region continues the open event whose footprint (its regions in the last frame it
//      was seen) shares the most pixels with it; ties go to the older event. A region that touches
//      no footprint starts a new event. Several regions may continue one event (a polyp split by a
//      fold); a region touching two footprints continues one of them, the other stays open.
//      A ground truth that names its polyps (identity 1-254, core/sample/mask_track.h) is followed by
//      name instead: a named region continues the open event of that name, or starts one.
//   3. Gaps: an event stays open while it has been unseen for at most `max_gap` frames; frames that
//      are skipped (never fed) count as unseen.
//   4. Flicker: an event whose duration (first to last frame, inclusive, / fps) is below
//      `min_duration_s` is flicker.
//
// Threading model: not thread-safe; one thread feeds and reads a tracker.
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include <opencv2/core.hpp>

namespace pl::core::review {

struct EventOptions {
  double min_region_area = 0.001;  // fraction of the frame (0.1 %) a region needs to count
  int max_gap = 5;                 // unseen frames bridged inside one event (0 = none)
  double min_duration_s = 0.5;     // shorter events are flicker (0 = none is)

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

struct PolypEvent {
  int id = 0;                  // 1, 2, ... in the order events start
  int identity = 0;            // the polyp's name in a named ground truth (1-254), else 0
  int64_t first_frame = 0;     // first frame with a region of the event
  int64_t last_frame = 0;      // last such frame (inclusive)
  int64_t frames_seen = 0;     // frames with a region of the event (gaps excluded)
  int64_t peak_frame = 0;      // frame of the largest area
  double peak_area = 0;        // largest area in one frame, fraction of the frame
  double mean_confidence = std::numeric_limits<double>::quiet_NaN();  // mean over frames seen of the
                               // mean polyp probability inside the event's regions; NaN without
                               // probabilities (a ground-truth track)
  double duration_s = 0;       // length() / fps
  bool flicker = false;        // duration_s < min_duration_s

  int64_t length() const { return last_frame - first_frame + 1; }
  bool contains(int64_t frame) const { return frame >= first_frame && frame <= last_frame; }
};

class EventTracker {
 public:
  // fps > 0 (durations are in seconds). Throws std::invalid_argument for bad options or fps.
  EventTracker(const EventOptions& options, double fps);

  // Feeds frame `frame` (greater than the previous one). mask: CV_8U, non-zero = polyp, the same size
  // every frame. prob: empty, or CV_32F polyp probability of the same size. identity: empty, or
  // CV_8U of the same size naming each polyp pixel (1-254; 255 = unnamed: matched by overlap).
  // Returns the event id of every pixel (CV_32S, 0 = no event), valid until the next call. Throws
  // std::invalid_argument naming the frame for out-of-order frames, wrong types or sizes.
  const cv::Mat& add(int64_t frame, const cv::Mat& mask, const cv::Mat& prob = {}, const cv::Mat& identity = {});

  const std::vector<int>& started() const { return started_; }  // events started by the last add()
  // Events that can still continue (seen within max_gap frames of the last frame fed).
  std::vector<int> open_events() const;
  const PolypEvent& event(int id) const;  // id from add()/started(); throws std::out_of_range

  // All events so far, in order of their first frame (open ones up to their last frame seen).
  std::vector<PolypEvent> events() const;
  double fps() const { return fps_; }
  const EventOptions& options() const { return options_; }

 private:
  struct Open {
    cv::Mat footprint;  // CV_8U, its regions in the last frame seen
    double confidence_sum = 0;
    int64_t confidence_frames = 0;
  };
  void close_stale(int64_t frame);

  EventOptions options_;
  double fps_;
  cv::Size size_;
  int64_t last_frame_ = -1;
  std::vector<PolypEvent> events_;  // index = id - 1
  std::map<int, Open> open_;
  std::vector<int> started_;
  cv::Mat labels_, ids_;
};

// Convenience: events of a whole sequence of masks, frame i = masks[i] (empty Mats = frames not seen).
std::vector<PolypEvent> track_events(const std::vector<cv::Mat>& masks, const EventOptions& options, double fps);

// Summary of a list of events over a video of `frames` frames.
struct EventSummary {
  int events = 0;             // not flicker
  int flicker = 0;            // flicker events
  int64_t frames_on_screen = 0;  // frames inside at least one (non-flicker) event's span
  double seconds_on_screen = 0;  // frames_on_screen / fps
};
EventSummary summarize_events(const std::vector<PolypEvent>& events, double fps);

}  // namespace pl::core::review
