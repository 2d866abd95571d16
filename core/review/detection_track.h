#pragma once
// DetectionTrack: per-frame polyp area of one video file, filled in from two sides (the masks of the
// frames shown while the file plays, and a background pass over the whole file, detection_scan.h)
// and read as detection segments, next/previous detection and a strip for the seek bar.
//
// Areas are fractions of the frame in [0, 1]; frames never segmented are "unknown". Recording the
// same frame again overwrites it (the newest model wins).
//
// Polyp events (polyp_events.h, docs/metrics.md §6): record_mask() also keeps where the frame's
// regions were, as a 32x24 footprint (a cell is set when a region of at least min_region_area
// covers any of its pixels; 96 bytes a frame), and events() follows them by overlap across gaps.
// Frames recorded by area alone (record()) are one region of unknown place when their area reaches
// min_region_area. Frames never segmented are gaps. Peak areas are the frame's area shared among its
// events by footprint cells. Without a frame rate, durations assume 25 fps.
//
// Threading model
//   - All methods are thread-safe (one mutex). record() is O(1) and is meant to be called straight
//     from the inference thread (LiveSession's on_mask) or the scan thread.
//   - Readers (segments(), strip(), next/previous) run on the GUI thread; segments are computed once
//     per revision() and cached, so a repaint after no change costs a lock and a copy.
//   - revision() increases with every change: poll it from a GUI timer (or after on_mask was
//     signalled) and repaint when it changed.
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "core/review/polyp_events.h"
#include "core/review/segments.h"

namespace pl::core::review {

// One cell of the seek-bar strip: frames [first, last] of the video.
struct StripCell {
  enum class State : uint8_t { Unknown, Clear, Detected };
  State state = State::Unknown;  // Detected: a detection segment covers a frame of the cell;
                                 // Clear: some frames were segmented and none is in a segment
  float peak_area = 0;           // largest recorded area in the cell (for colour intensity)
  float coverage = 0;            // share of the cell's frames that were segmented, [0, 1]
  int64_t first = 0, last = 0;
};

class DetectionTrack {
 public:
  // frame_count <= 0: unknown length (the track grows as frames are recorded).
  explicit DetectionTrack(int64_t frame_count = 0, double fps = 0, SegmentOptions options = {});

  // Forgets all areas (a new file was opened). Keeps the segment options.
  void reset(int64_t frame_count, double fps);
  void set_source(const std::string& source);  // for reports; free text
  std::string source() const;

  // Records a frame's polyp area fraction (clamped to [0, 1]); grows the track past its end.
  // Negative frames are ignored.
  void record(int64_t frame, double area_fraction);
  // Same from a mask (CV_8U, non-zero = polyp), with its footprint for events(); an empty mask is
  // ignored.
  void record_mask(int64_t frame, const cv::Mat& mask);
  // Marks a frame as never segmented again.
  void forget(int64_t frame);

  void set_options(const SegmentOptions& options);  // validates; throws std::invalid_argument
  SegmentOptions options() const;

  int64_t frame_count() const;
  double fps() const;
  int64_t known_frames() const;  // frames with an area
  bool known(int64_t frame) const;
  float area(int64_t frame) const;  // kUnknownArea when unknown or out of range
  std::vector<float> areas() const;  // a copy of all areas
  uint64_t revision() const;

  std::vector<DetectionSegment> segments() const;
  int64_t next_detection(int64_t frame) const;      // start of the next segment after `frame`, -1 if none
  int64_t previous_detection(int64_t frame) const;  // see previous_segment_start()
  // The segment containing `frame`, if any (index into segments()), else -1.
  int segment_at(int64_t frame) const;

  // Polyp events of the frames recorded so far, flicker included (PolypEvent::flicker), in order of
  // their first frame; cached per revision.
  std::vector<PolypEvent> events() const;
  // Validates (throws std::invalid_argument). min_region_area applies to masks recorded from then on
  // (footprints keep the regions that passed when they were made); the rest at once.
  void set_event_options(const EventOptions& options);
  EventOptions event_options() const;
  double event_fps() const;  // the frame rate durations use: fps(), or 25 when unknown
  // Index into events() of the event whose span holds `frame` (a non-flicker one first), else -1.
  int event_at(int64_t frame) const;
  // Ids of the events none of whose regions overlaps a region of `truth` in the same frame (frames
  // `truth` does not know count as polyp-free): the false alarms against a ground-truth track.
  std::vector<int> false_alarms(const DetectionTrack& truth) const;
  // First and last frame recorded (-1, -1 when none).
  std::pair<int64_t, int64_t> known_range() const;

  // The whole track in `cells` cells (>= 1) of about equal length, for a strip under the seek slider.
  // Empty for an empty track.
  std::vector<StripCell> strip(int cells) const;

 private:
  static constexpr int kGridW = 32, kGridH = 24;
  using Footprint = std::array<uint32_t, kGridH>;  // bit x of row y: cell (x, y)
  // What events are computed from, copied under the lock so the tracking runs outside it.
  struct Snapshot {
    std::vector<float> area;
    std::vector<Footprint> footprint;
    std::vector<uint8_t> has_footprint;
    EventOptions options;
    double fps = 25;
    uint64_t revision = 0;
    cv::Mat grid(size_t frame) const;  // the frame's regions on the grid, CV_8U 0/1
  };

  void record_impl(int64_t frame, double area_fraction, const Footprint* footprint);
  const std::vector<DetectionSegment>& segments_locked() const;
  Snapshot snapshot() const;
  // Runs the event tracker over the snapshot's known frames; `each` (optional) sees every frame's
  // event ids on the grid.
  static std::vector<PolypEvent> track(const Snapshot& s, const std::function<void(int64_t, const cv::Mat&)>& each);

  mutable std::mutex mutex_;
  std::vector<float> area_;
  int64_t known_ = 0;
  double fps_ = 0;
  std::string source_;
  SegmentOptions options_;
  uint64_t revision_ = 0;
  mutable uint64_t cached_revision_ = ~uint64_t{0};
  mutable std::vector<DetectionSegment> cached_;
  std::vector<Footprint> footprint_;  // parallel to area_ where has_footprint_
  std::vector<uint8_t> has_footprint_;
  EventOptions event_options_;
  mutable uint64_t events_revision_ = ~uint64_t{0};
  mutable std::vector<PolypEvent> events_;
};

}  // namespace pl::core::review
