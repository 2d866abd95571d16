#pragma once
// The detection report of a video: one CSV row per detection segment, for a spreadsheet or a paper.
//
//   # source: clip.mp4
//   # fps: 25, frames: 351, frames segmented: 351
//   # enter_area: 0.002, keep_area: 0.001, max_gap: 5, min_frames: 3
//   segment,start_frame,end_frame,frames,start_time_s,end_time_s,duration_s,start_timecode,end_timecode,peak_frame,peak_area_percent
//   1,12,87,76,0.480,3.480,3.040,00:00:00.480,00:00:03.480,40,13.52
//
// Times are frame / fps (end_time_s is the end of the last frame, so duration = frames / fps); without
// a frame rate the time columns are empty. The "#" lines are comments most CSV readers can skip
// (pandas: comment='#').
//
// Threading model: free functions; the track is read through its thread-safe accessors.
#include <string>
#include <vector>

#include "core/review/detection_track.h"

namespace pl::core::review {

// The CSV text (header comments + table).
std::string segments_csv(const DetectionTrack& track);

// Writes segments_csv() to `path` atomically; an existing file is replaced only when `replace` is true
// (the Save dialog asked). Throws pl::core::exporting::ExportError naming the path.
void write_segments_csv(const std::string& path, const DetectionTrack& track, bool replace = false);

}  // namespace pl::core::review
