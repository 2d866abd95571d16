#include "core/review/segment_report.h"

#include <algorithm>
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

std::string events_csv(const DetectionTrack& track, const DetectionTrack* truth, const std::string& truth_name) {
  using pl::core::exporting::timecode;
  const auto events = track.events();
  const auto alarms = truth ? track.false_alarms(*truth) : std::vector<int>{};
  const double fps = track.fps();
  const double efps = track.event_fps();
  const int64_t frames = track.frame_count(), known = track.known_frames();
  const auto [first, last] = track.known_range();
  const EventOptions o = track.event_options();
  const EventSummary sum = summarize_events(events, efps);
  std::ostringstream s;
  s << "# source: " << csv_text(track.source()) << "\n";
  s << "# fps: " << (fps > 0 ? fixed(fps, 3) : "unknown (durations assume 25)") << ", frames: " << frames << "\n";
  s << "# covers: " << known << " of " << frames << " frames segmented ("
    << fixed(frames > 0 ? 100.0 * static_cast<double>(known) / static_cast<double>(frames) : 0.0, 1) << " %)";
  if (first >= 0) s << ", frames " << first << "-" << last;
  s << "; frames never segmented count as gaps\n";
  if (known < frames)
    s << "#   (only the frames the model processed while playing, unless Scan went over the whole file)\n";
  s << "# events: regions >= " << fixed(o.min_region_area * 100, 2) << " % of the frame, gaps <= " << o.max_gap
    << " frames, flicker < " << fixed(o.min_duration_s, 2) << " s\n";
  s << "# summary: " << sum.events << " polyp events, " << sum.flicker << " flicker, " << fixed(sum.seconds_on_screen, 3)
    << " s with a polyp on screen ("
    << fixed(frames > 0 ? 100.0 * static_cast<double>(sum.frames_on_screen) / static_cast<double>(frames) : 0.0, 1)
    << " % of the video)\n";
  if (truth) {
    s << "# false alarms against " << csv_text(truth_name.empty() ? truth->source() : truth_name) << ": "
      << alarms.size();
    if (!alarms.empty()) {
      s << " (event";
      for (int id : alarms) s << " " << id;
      s << ")";
    }
    s << "\n";
  }
  s << "event,first_frame,last_frame,frames,frames_seen,first_time_s,last_time_s,duration_s,first_timecode,"
       "last_timecode,peak_frame,peak_area_percent,flicker,false_alarm\n";
  for (const auto& e : events) {
    const double t0 = static_cast<double>(e.first_frame) / efps, t1 = static_cast<double>(e.last_frame + 1) / efps;
    const bool alarm = std::find(alarms.begin(), alarms.end(), e.id) != alarms.end();
    s << e.id << ',' << e.first_frame << ',' << e.last_frame << ',' << e.length() << ',' << e.frames_seen << ','
      << fixed(t0, 3) << ',' << fixed(t1, 3) << ',' << fixed(t1 - t0, 3) << ',' << timecode(t0) << ','
      << timecode(t1) << ',' << e.peak_frame << ',' << fixed(e.peak_area * 100.0, 2) << ',' << (e.flicker ? 1 : 0)
      << ',' << (truth ? (alarm ? "1" : "0") : "") << "\n";
  }
  return s.str();
}

void write_events_csv(const std::string& path, const DetectionTrack& track, bool replace, const DetectionTrack* truth,
                      const std::string& truth_name) {
  pl::core::exporting::write_file_atomic(path, events_csv(track, truth, truth_name), replace);
}

}  // namespace pl::core::review
