#include "core/review/segments.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace pl::core::review {

void SegmentOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument("segment options: " + what); };
  if (!(enter_area >= 0 && enter_area < 1)) bad("enter_area must be in [0, 1), got " + std::to_string(enter_area));
  if (!(keep_area >= 0 && keep_area <= enter_area))
    bad("keep_area must be in [0, enter_area=" + std::to_string(enter_area) + "], got " + std::to_string(keep_area));
  if (max_gap < 0) bad("max_gap must be >= 0, got " + std::to_string(max_gap));
  if (min_frames < 1) bad("min_frames must be >= 1, got " + std::to_string(min_frames));
}

std::vector<DetectionSegment> find_segments(const std::vector<float>& area, const SegmentOptions& options) {
  options.validate();
  std::vector<DetectionSegment> out;
  const auto keep = static_cast<float>(options.keep_area);
  const auto enter = static_cast<float>(options.enter_area);

  bool open = false;
  DetectionSegment cur;
  auto close = [&] {
    if (open && cur.peak_area > enter && cur.length() >= options.min_frames) out.push_back(cur);
    open = false;
  };
  const auto n = static_cast<int64_t>(area.size());
  for (int64_t i = 0; i < n; ++i) {
    const float a = area[static_cast<size_t>(i)];
    if (!(a > keep)) continue;  // unknown (negative), clear or NaN: a gap frame
    if (open && i - cur.end - 1 > options.max_gap) close();
    if (!open) {
      cur = DetectionSegment{i, i, i, a};
      open = true;
    } else {
      cur.end = i;
      if (a > cur.peak_area) {
        cur.peak_area = a;
        cur.peak_frame = i;
      }
    }
  }
  close();
  return out;
}

int64_t next_segment_start(const std::vector<DetectionSegment>& segments, int64_t frame) {
  const auto it = std::upper_bound(segments.begin(), segments.end(), frame,
                                   [](int64_t f, const DetectionSegment& s) { return f < s.start; });
  return it == segments.end() ? -1 : it->start;
}

int64_t previous_segment_start(const std::vector<DetectionSegment>& segments, int64_t frame) {
  const auto it = std::lower_bound(segments.begin(), segments.end(), frame,
                                   [](const DetectionSegment& s, int64_t f) { return s.start < f; });
  return it == segments.begin() ? -1 : std::prev(it)->start;
}

}  // namespace pl::core::review
