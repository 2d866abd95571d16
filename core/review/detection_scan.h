#pragma once
// DetectionScan: the background pass that fills a DetectionTrack for a whole file — decode every
// frame, segment it, record its polyp area — so the seek bar shows every detection without playing
// the file through. The user starts and cancels it; it reports progress and one result.
//
// Threading model
//   - start(), cancel(), wait(), running(), progress(), result(): any thread (the GUI thread).
//   - Decoding and the segmenter run on the scan's own thread; the segmenter is owned by the scan and
//     used only there (give it its own model instance: the live pipeline keeps using its own).
//   - The track is shared (thread-safe, detection_track.h): the GUI reads it while the scan records
//     into it, so the strip fills in as the scan goes.
//   - Callbacks: see JobRunner (job thread; post to the GUI thread).
//   - The destructor cancels and joins (within one frame's segmentation time).
#include <memory>
#include <string>

#include "core/pipeline/frame_segmenter.h"
#include "core/review/detection_track.h"
#include "core/review/job.h"

namespace pl::core::review {

struct ScanOptions {
  int stride = 1;          // segment every stride-th frame (the others are decoded and skipped);
                           // keep it <= SegmentOptions::max_gap + 1 so segments stay whole
  bool skip_known = true;  // frames already recorded (e.g. during playback) are not segmented again

  void validate() const;   // throws std::invalid_argument naming the bad value
};

class DetectionScan {
 public:
  explicit DetectionScan(std::shared_ptr<DetectionTrack> track, JobCallbacks callbacks = {});
  ~DetectionScan();
  DetectionScan(const DetectionScan&) = delete;
  DetectionScan& operator=(const DetectionScan&) = delete;

  // Starts a pass over `video_path`. Throws std::invalid_argument for a null segmenter or bad
  // options and std::logic_error while a pass is running. A file that cannot be decoded ends the
  // pass with outcome Failed and the reason (naming the file) in the result.
  void start(const std::string& video_path, std::unique_ptr<FrameSegmenter> segmenter,
             const ScanOptions& options = {});
  void cancel();
  JobResult wait();
  bool running() const;
  JobProgress progress() const;  // done = frames decoded, total = the container's frame count
  JobResult result() const;

  const std::shared_ptr<DetectionTrack>& track() const { return track_; }

 private:
  std::shared_ptr<DetectionTrack> track_;
  JobRunner job_;  // last: destroyed (joined) first
};

}  // namespace pl::core::review
