#pragma once
// Detection segments: the stretches of a video where a polyp is in view, from per-frame polyp areas,
// cleaned up so that a flickering mask does not turn one polyp into a dozen segments.
//
//   1. Hysteresis: a segment needs at least one frame above `enter_area`; once in it, frames above the
//      lower `keep_area` still count as detections (a polyp shrinking at the edge of the view).
//   2. Gap merging: detections separated by at most `max_gap` frames that are not detections
//      (clear, below `keep_area`, or never segmented) belong to the same segment. Frames never
//      segmented count as gap frames, so sparse sampling during playback (every 2nd-3rd frame) still
//      gives whole segments, while two far-apart stretches seen around a seek stay apart.
//   3. Minimum length: segments spanning fewer than `min_frames` frames (first to last detection,
//      inclusive) are dropped.
//
// Pure functions, no state: safe from any thread.
#include <cstdint>
#include <vector>

namespace pl::core::review {

struct SegmentOptions {
  double enter_area = 0.002;  // fraction of the frame (0.2 %) a frame needs to start a segment
  double keep_area = 0.001;   // fraction a frame needs to continue one; <= enter_area
  int max_gap = 5;            // non-detection frames bridged inside a segment (0 = none)
  int min_frames = 3;         // shortest segment kept, in frames (>= 1)

  // Throws std::invalid_argument naming the bad field and value.
  void validate() const;
};

struct DetectionSegment {
  int64_t start = 0;       // first detected frame
  int64_t end = 0;         // last detected frame (inclusive)
  int64_t peak_frame = 0;  // frame of the largest area
  float peak_area = 0;     // largest area fraction in [0, 1]

  int64_t length() const { return end - start + 1; }
  bool contains(int64_t frame) const { return frame >= start && frame <= end; }
  bool operator==(const DetectionSegment& o) const {
    return start == o.start && end == o.end && peak_frame == o.peak_frame && peak_area == o.peak_area;
  }
};

// A negative area marks a frame that was never segmented.
constexpr float kUnknownArea = -1.0f;

// area[i] is the polyp area fraction of frame i (or kUnknownArea). Segments come back in frame order,
// never overlapping. Throws std::invalid_argument for bad options.
std::vector<DetectionSegment> find_segments(const std::vector<float>& area, const SegmentOptions& options);

// Start of the first segment that starts after `frame`, or -1.
int64_t next_segment_start(const std::vector<DetectionSegment>& segments, int64_t frame);
// Start of the last segment that starts before `frame`, or -1 (from inside a segment this is its own
// start, as "previous chapter" does in media players; pressed again, the segment before).
int64_t previous_segment_start(const std::vector<DetectionSegment>& segments, int64_t frame);

}  // namespace pl::core::review
