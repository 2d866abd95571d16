#include "core/review/segment_report.h"

#include <cstdio>
#include <sstream>

#include "core/export/file_writer.h"
#include "core/export/timecode.h"

namespace pl::core::review {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Quotes a free-text field for CSV when it needs it.
std::string csv_text(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    if (c != '\n' && c != '\r') out += c;
  }
  return out + "\"";
}

}  // namespace

std::string segments_csv(const DetectionTrack& track) {
  using pl::core::exporting::timecode;
  // One consistent view: segments and counters are read back to back; a scan still recording may
  // add frames in between, which only makes the header counts slightly newer than the rows.
  const auto segments = track.segments();
  const double fps = track.fps();
  const SegmentOptions o = track.options();
  std::ostringstream s;
  s << "# source: " << csv_text(track.source()) << "\n";
  s << "# fps: " << (fps > 0 ? fixed(fps, 3) : "unknown") << ", frames: " << track.frame_count()
    << ", frames segmented: " << track.known_frames() << "\n";
  s << "# enter_area: " << o.enter_area << ", keep_area: " << o.keep_area << ", max_gap: " << o.max_gap
    << ", min_frames: " << o.min_frames << "\n";
  s << "segment,start_frame,end_frame,frames,start_time_s,end_time_s,duration_s,start_timecode,end_timecode,"
       "peak_frame,peak_area_percent\n";
  int n = 0;
  for (const auto& seg : segments) {
    s << ++n << ',' << seg.start << ',' << seg.end << ',' << seg.length() << ',';
    if (fps > 0) {
      const double t0 = static_cast<double>(seg.start) / fps, t1 = static_cast<double>(seg.end + 1) / fps;
      s << fixed(t0, 3) << ',' << fixed(t1, 3) << ',' << fixed(t1 - t0, 3) << ',' << timecode(t0) << ','
        << timecode(t1) << ',';
    } else {
      s << ",,,,,";
    }
    s << seg.peak_frame << ',' << fixed(seg.peak_area * 100.0, 2) << "\n";
  }
  return s.str();
}

void write_segments_csv(const std::string& path, const DetectionTrack& track, bool replace) {
  pl::core::exporting::write_file_atomic(path, segments_csv(track), replace);
}

}  // namespace pl::core::review
