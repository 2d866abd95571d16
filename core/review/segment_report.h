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
// The events report (events_csv) is the review's detection report: one row per polyp event
// (polyp_events.h, docs/metrics.md §6), flicker rows marked, after comment lines that say which
// frames it covers and sum the video up:
//
//   # source: clip.mp4
//   # fps: 25.000, frames: 351
//   # covers: 176 of 351 frames segmented (50.1 %), frames 0-350; frames never segmented count as gaps
//   #   (only the frames the model processed while playing, unless Scan went over the whole file)
//   # events: regions >= 0.10 % of the frame, gaps <= 5 frames, flicker < 0.50 s
//   # summary: 3 polyp events, 2 flicker, 9.400 s with a polyp on screen (67.0 % of the video)
//   # false alarms against sample.plmasks: 1 (event 3)
//   event,first_frame,last_frame,frames,frames_seen,first_time_s,last_time_s,duration_s,first_timecode,last_timecode,peak_frame,peak_area_percent,flicker,false_alarm
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

// The events report; with `truth` (a ground-truth track of the same video) the false alarms too,
// named `truth_name` in the header.
std::string events_csv(const DetectionTrack& track, const DetectionTrack* truth = nullptr,
                       const std::string& truth_name = {});
void write_events_csv(const std::string& path, const DetectionTrack& track, bool replace = false,
                      const DetectionTrack* truth = nullptr, const std::string& truth_name = {});

}  // namespace pl::core::review
