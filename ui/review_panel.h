#pragma once
// ReviewPanel: the review half of the Live / Review tab for an open video file: the detection
// timeline under the seek bar with its polyp events (docs/metrics.md §6), the background detection
// pass (Scan), Export frames…, the detection report (CSV, one row per polyp event) and the polyp
// events window with the video's summary. A ground-truth mask track of the file (named like it,
// .plmasks, or loaded) adds the false alarms. It has no widget of its own in the tab: it fills
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
//   - Polyp events are tracked on a QtConcurrent thread after the track changed (at most one run at
//     a time; the result is dropped when another file was opened meanwhile), and so is reading a
//     ground-truth track; their results are applied on the GUI thread.
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <memory>

#include "core/overlay/overlay.h"
#include "core/review/detection_track.h"
#include "core/review/polyp_events.h"
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

  // The detection report of the open file: one CSV row per polyp event, with the frames it covers,
  // the summary and, with a ground truth, the false alarms (core/review/segment_report.h, events_csv),
  // replacing `path`. Returns "" or what went wrong (also toasted).
  QString export_detection_report(const QString& path);
  // The polyp events (first seen, last seen, duration, peak area, kind) in a table under the video's
  // summary; a click asks to seek to the event's first frame. Opens (or raises) a non-modal window
  // and returns its table.
  QTableWidget* show_segments();

  // The polyp events of the open file as last tracked (events_changed() after each update), and the
  // ids of those that are false alarms against the ground truth (empty without one).
  const std::vector<core::review::PolypEvent>& events() const { return events_; }
  const std::vector<int>& false_alarms() const { return false_alarms_; }
  // Reads a ground-truth mask track of the open file in the background; ground_truth_loaded() says
  // how it went (and a toast, unless `quiet`). A track named like the video (.plmasks) is loaded,
  // quietly, when the video opens.
  void load_ground_truth(const QString& path, bool quiet = false);
  bool has_ground_truth() const { return truth_ != nullptr; }
  // The video in one line: polyp events, time with a polyp on screen, flicker, false alarms (with a
  // ground truth) and how many frames were segmented.
  QString summary() const;

 Q_SIGNALS:
  void seek_requested(qint64 frame);
  void export_progress(double fraction);  // 0..1
  void export_finished(bool ok, const QString& message);
  void scan_finished(bool ok);
  void events_changed();
  void ground_truth_loaded(bool ok, const QString& message);

 private:
  bool is_file() const { return info_.seekable && !spec_.isEmpty(); }
  void refresh_strip();
  void update_events();      // starts a tracking run when the track changed
  void show_events_on_timeline();
  void fill_events_table();

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

  uint64_t generation_ = 0;  // counts reset(): results of an older file are dropped
  std::vector<core::review::PolypEvent> events_;
  std::vector<int> false_alarms_;
  uint64_t events_revision_ = ~uint64_t{0};  // track revision the events were tracked at
  bool events_running_ = false;
  bool events_stale_ = false;  // the ground truth changed: track again
  std::shared_ptr<const core::review::DetectionTrack> truth_;
  QString truth_name_;

  std::unique_ptr<core::exporting::BatchExporter> exporter_;
  std::unique_ptr<core::review::DetectionScan> scan_;
  bool scan_pending_ = false;  // the scan's model is being loaded
};

}  // namespace pl::ui
