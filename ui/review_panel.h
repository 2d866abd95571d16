#pragma once
// ReviewPanel: the review half of the Live / Review tab for an open video file: the detection
// timeline under the seek bar, the background detection pass (Scan), Export frames…, the detection
// report (CSV) and the detection segments window. It has no widget of its own in the tab: it fills
// the transport bar's timeline strip and scan progress, shows toasts on the video, and owns the
// segments window. The tab tells it which file is open and asks it to seek nowhere itself: a click
// on a segment comes back as seek_requested().
//
// Threading model
//   - Everything in this class runs on the GUI thread.
//   - The scan and the export run in their own threads (core/review/detection_scan.h,
//     core/export/batch_export.h), each with its own model instance built by ModelLoader; their
//     callbacks only post to the GUI thread (queued, with this object as the context).
//   - The detection track is thread-safe: the scan thread writes to it directly.
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <memory>

#include "core/overlay/overlay.h"
#include "core/review/detection_track.h"
#include "core/video/frame_source.h"

class QDialog;
class QTableWidget;

namespace pl::core::review {
class DetectionScan;
}
namespace pl::core::exporting {
class BatchExporter;
}

namespace pl::ui {

class ModelLoader;
class TransportBar;
class VideoView;

class ReviewPanel : public QObject {
  Q_OBJECT

 public:
  ReviewPanel(VideoView* view, TransportBar* transport, ModelLoader* model, QObject* parent = nullptr);
  ~ReviewPanel() override;

  // A new source `spec` was opened: forgets the previous file's detections, cancels its pass.
  void reset(const QString& spec);
  // What the source reported (seekable, frame count, fps, description).
  void set_source_info(const core::SourceInfo& info);
  // How exported frames draw the overlay (the tab's current mode and alpha).
  void set_overlay(const core::OverlayOptions& options) { overlay_ = options; }

  // The detection timeline of the open file (thread-safe; the masks shown and the scan fill it).
  const std::shared_ptr<core::review::DetectionTrack>& detections() const { return track_; }

  // The background pass over the open file (its own model instance) that fills the detection
  // timeline; calling it while it runs cancels it. Returns false (with a toast) when it cannot start.
  bool scan_detections();
  bool scanning() const;

  // Export frames…: snapshots of a whole file (every frame with a detection, or every Nth frame)
  // with a separate model instance, in the background. Returns false (with a toast) when it cannot
  // start: not a file, no model for "detections", an export already running.
  bool export_frames(const QString& out_dir, bool detections_only, int every_n);
  void cancel_export();
  bool exporting() const;

  // The detection report of the open file: one CSV row per detection segment
  // (core/review/segment_report.h), replacing `path`. Returns "" or what went wrong (also toasted).
  QString export_detection_report(const QString& path);
  // The detection segments (start, end, duration, peak area) in a table; a click asks to seek to the
  // segment's start. Opens (or raises) a non-modal window and returns its table.
  QTableWidget* show_segments();

 Q_SIGNALS:
  void seek_requested(qint64 frame);
  void export_progress(double fraction);  // 0..1
  void export_finished(bool ok, const QString& message);
  void scan_finished(bool ok);

 private:
  bool is_file() const { return info_.seekable && !spec_.isEmpty(); }
  void refresh_strip();

  VideoView* view_;
  TransportBar* transport_;
  ModelLoader* model_;
  QString spec_;
  core::SourceInfo info_;
  core::OverlayOptions overlay_;
  QTimer strip_timer_;

  std::shared_ptr<core::review::DetectionTrack> track_ = std::make_shared<core::review::DetectionTrack>();
  uint64_t strip_revision_ = ~uint64_t{0};
  int strip_cells_ = 0;
  QPointer<QDialog> segments_dialog_;

  std::unique_ptr<core::exporting::BatchExporter> exporter_;
  std::unique_ptr<core::review::DetectionScan> scan_;
  bool scan_pending_ = false;  // the scan's model is being loaded
};

}  // namespace pl::ui
