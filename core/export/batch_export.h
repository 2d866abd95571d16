#pragma once
// Batch export: snapshots (snapshot.h) of many frames of a video file — every frame with a detection,
// or every Nth frame — into a new folder, with progress and cancel.
//
// The frames go into "<out_dir>/<video>_frames_<YYYYmmdd-HHMMSS>" (a new folder each run, "_2" ... if
// taken), so a batch never mixes with or overwrites an earlier one. Each file is written atomically;
// the first failure (read-only folder, disk full) stops the batch with outcome Failed, an error that
// names the file, and every file written before it intact. Cancelling keeps what was written.
//
// Threading model
//   - start(), cancel(), wait(), running(), progress(), result(), summary(): any thread.
//   - Decoding, the segmenter and all file writes run on the exporter's own thread; the segmenter is
//     owned by the exporter (give it its own model instance).
//   - Callbacks: see JobRunner (job thread; post to the GUI thread).
//   - The destructor cancels and joins.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/export/snapshot.h"
#include "core/pipeline/frame_segmenter.h"
#include "core/review/job.h"

namespace pl::core::exporting {

enum class BatchSelection {
  Detections,  // frames whose mask covers more than `area_threshold` (needs a segmenter)
  EveryNth,    // frames 0, N, 2N, ... (with masks and overlays when a segmenter is given)
};
const char* to_string(BatchSelection s);
// "detections" | "every-nth"; throws std::invalid_argument naming the value.
BatchSelection batch_selection_from_string(const std::string& s);

struct BatchExportOptions {
  BatchSelection selection = BatchSelection::Detections;
  int every_n = 25;               // EveryNth: N >= 1
  double area_threshold = 0.002;  // Detections: fraction of the frame, [0, 1)
  int64_t max_frames = 0;         // stop after this many exported frames; 0 = no limit
  bool subfolder = true;          // false: write straight into snapshot.out_dir
  SnapshotOptions snapshot;       // out_dir, which files, overlay look (stem is set per frame)

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

struct BatchSummary {
  std::string folder;           // where the files went
  int64_t frames_exported = 0;
  int64_t files_written = 0;
  std::string failed_path;      // the file that could not be written (outcome Failed), else empty
};

class BatchExporter {
 public:
  explicit BatchExporter(pl::core::review::JobCallbacks callbacks = {});
  ~BatchExporter();
  BatchExporter(const BatchExporter&) = delete;
  BatchExporter& operator=(const BatchExporter&) = delete;

  // Starts exporting `video_path`. `meta` fills the sidecars (source, model preset, checkpoint hash,
  // device); frame index, time and mask fields are set per frame. `segmenter` may be null only for
  // EveryNth (then only frames and sidecars are written). Throws std::invalid_argument for bad
  // options or a missing segmenter, std::logic_error while running. Unreadable videos and
  // unwritable folders end the job with outcome Failed and the reason in the result.
  void start(const std::string& video_path, std::unique_ptr<FrameSegmenter> segmenter, const SnapshotMeta& meta,
             const BatchExportOptions& options);
  void cancel();
  pl::core::review::JobResult wait();
  bool running() const;
  pl::core::review::JobProgress progress() const;  // done = frames decoded, total = frame count
  pl::core::review::JobResult result() const;
  BatchSummary summary() const;

 private:
  mutable std::mutex mutex_;
  BatchSummary summary_;  // written by the job thread under mutex_
  pl::core::review::JobRunner job_;  // last: destroyed (joined) first
};

}  // namespace pl::core::exporting
