#pragma once
// Snapshot export: one video frame as up to four files sharing a stem, e.g.
//   case12_f000123_20261126-143502_frame.png    the frame as decoded (BGR -> PNG)
//   case12_f000123_20261126-143502_mask.png     the polyp mask, 0 / 255, the frame's size
//   case12_f000123_20261126-143502_overlay.png  the frame with the overlay (core/overlay)
//   case12_f000123_20261126-143502.json         the sidecar: where it came from and with what model
// A stem already used in the folder gets "_2", "_3", ...: nothing is ever overwritten.
//
// Sidecar fields (JSON object, "format": "polyplens-snapshot", "version": 1):
//   source, frame (index), timestamp_s (stream time, null if unknown), width, height,
//   model {preset, checkpoint, checkpoint_hash, device} (null without a model),
//   polyp_area_percent (null without a mask), mask_frame (the frame the mask was computed from),
//   mask_age_ms (how much older that frame is than the snapshot's frame, by capture time: 0 for the
//   frame's own mask, as the HUD's "this frame"; null without a mask), overlay {mode, alpha,
//   limit_to_view}, field_of_view_percent (the share of the frame inside the scope's field of view
//   that the overlay was limited to, core/overlay/fov.h; null when it painted the whole frame),
//   files {frame, mask, overlay} (names in the same folder), app {name, version},
//   exported_at (ISO 8601 UTC).
//
// Threading model: write_snapshot() is a free function with no shared state; call it from any thread
// (the GUI calls it on a worker thread: PNG encoding of a full-HD frame takes tens of ms).
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "core/overlay/overlay.h"

namespace pl::core::exporting {

// What the caller knows about the frame and the model (the images come separately).
struct SnapshotMeta {
  std::string source;           // SourceInfo::description (credentials already stripped)
  int64_t frame_index = -1;
  int64_t pts_ns = -1;          // stream time of the frame, -1 if unknown
  std::string model_preset;     // e.g. "ann_r50"; empty = no model
  std::string checkpoint;       // file name or path of the checkpoint
  std::string checkpoint_hash;  // PredictorInfo::content_hash
  std::string device;           // "cpu", "cuda"
  int64_t mask_frame_index = -1;  // the frame the mask came from (-1: the same frame)
  double mask_age_ms = -1;      // the mask's frame's capture -> this frame's capture; 0: its own mask; < 0 unknown
};

struct SnapshotOptions {
  std::string out_dir;
  bool frame = true, mask = true, overlay = true, sidecar = true;  // which files to write
  OverlayOptions overlay_options;  // for the overlay PNG (Off is promoted to Fill: an overlay file
                                   // that shows no overlay would be a copy of the frame)
  std::string stem;                // file-name stem; empty = "<source>_f<frame>_<local time>"

  void validate() const;  // throws std::invalid_argument naming the bad field
};

struct SnapshotFiles {
  std::string stem;                           // the stem actually used (with "_2" etc.)
  std::string frame, mask, overlay, sidecar;  // full paths; empty when not written
  double polyp_area_percent = -1;             // -1 without a mask
  int count() const;                          // files written
};

// Writes the files in the order mask, frame, overlay, sidecar (the sidecar last, so its presence
// means the set is complete). `mask` may be empty (no model yet): then no mask/overlay file is written
// and the sidecar says so. A mask of another size is resized (nearest) to the frame's size.
// `view` is the scope's field of view in the frame (MaskResult::view; null = the whole frame): the
// overlay is not painted outside it unless overlay_options.limit_to_view is off, as on screen.
// Throws ExportError (path and reason) on the first file that fails; files written before stay.
// Throws std::invalid_argument for an empty or non-BGR frame, or a view of another size than the frame.
SnapshotFiles write_snapshot(const cv::Mat& bgr, const cv::Mat& mask01, const SnapshotMeta& meta,
                             const SnapshotOptions& options, const FieldOfView* view = nullptr);

// The default stem: "<source_stem>_f<frame, 6 digits>_<YYYYmmdd-HHMMSS>".
std::string default_snapshot_stem(const SnapshotMeta& meta);

}  // namespace pl::core::exporting
