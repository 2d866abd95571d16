#pragma once
// The Live / Review tab: the video fills it (aspect kept, letterboxed) with the mask overlay, the
// HUD in a corner, the source/overlay row above and, for files, the transport bar below.
//
// Threading model
//   - Everything in this class runs on the GUI thread.
//   - Capture and inference run in core::LiveSession's threads. Its callbacks (capture, worker and
//     source control threads) only post to the GUI thread (QMetaObject::invokeMethod, queued, with
//     this tab as the context, so nothing is delivered after the tab is gone). The display path is
//     "on_update -> take_update()": never blocking, newest frame + newest mask, coalesced by the
//     session so at most one notification is in flight.
//   - Loading a checkpoint runs on a QtConcurrent thread; the finished segmenter is handed to the
//     session on the GUI thread. A load that finishes after a newer one was started is dropped.
#include <QFutureWatcher>
#include <QString>
#include <QTimer>
#include <QDialog>
#include <QPointer>
#include <QWidget>
#include <memory>
#include <optional>

#include "core/pipeline/live_session.h"
#include "core/review/detection_track.h"
#include "core/review/polyp_alert.h"
#include "ui/hud.h"

class QTableWidget;

namespace pl::core {
class PredictorSegmenter;
}
namespace pl::core::review {
class DetectionScan;
}
namespace pl::core::exporting {
class BatchExporter;
class Recorder;
}

namespace pl::ui {

class Settings;
class SourceBar;
class TransportBar;
class VideoView;

class LiveTab : public QWidget {
  Q_OBJECT

 public:
  explicit LiveTab(Settings& settings, QWidget* parent = nullptr);
  ~LiveTab() override;

  // A file path, a URI (rtsp://, http://, file://), a device (/dev/video0) or "test:<pattern>".
  // Opens in the background and starts playing; problems show as a banner on the video.
  void open_source(const QString& spec);
  // The same with a source built elsewhere (tests, embedders); `spec` names it in the UI.
  void open_frame_source(std::unique_ptr<core::FrameSource> source, const QString& spec);
  void close_source();
  bool has_source() const;
  QString source_description() const;  // for the status bar
  core::SourceState source_state() const { return source_state_; }

  // Loads in the background; the HUD says "loading", then "warming up" until the first mask.
  void load_checkpoint(const QString& path);
  void unload_model();
  bool model_loaded() const { return model_status_ == ModelStatus::kWarmingUp || model_status_ == ModelStatus::kRunning; }
  ModelStatus model_status() const { return model_status_; }
  QString model_summary() const;  // "ann-r50 · best.pt · cpu", or "no model"
  // "auto" | "cpu" | "cuda"; reloads a loaded model on the new device.
  void set_device(const QString& device);
  QString device() const { return device_; }

  QString overlay_mode() const { return overlay_mode_; }  // "fill" | "outline" | "off"
  void set_overlay_mode(const QString& mode);
  void cycle_overlay_mode();  // fill -> outline -> off -> fill
  double overlay_alpha() const { return overlay_alpha_; }
  void set_overlay_alpha(double alpha);
  void set_hud_visible(bool on);

  // Transport (seekable files); no-ops for live sources.
  void play_pause();
  void step(int frames);
  void jump_seconds(double seconds);
  void seek(int64_t frame);
  void set_speed(double speed);
  void next_detection();
  void previous_detection();
  bool playing() const { return source_state_ == core::SourceState::Playing; }
  int64_t current_frame() const { return shown_index_; }
  int64_t frames_shown() const { return frames_shown_; }

  // S: the frame, its mask, the overlay and a JSON sidecar into the snapshot folder (written on a
  // worker thread; a toast names the folder).
  void snapshot();
  QString snapshot_folder() const;
  void set_snapshot_folder(const QString& folder);
  // R: the annotated view to an H.264 MP4 in the recordings folder; red dot + elapsed time.
  void toggle_recording();
  bool recording() const { return recorder_ != nullptr; }
  QString recordings_folder() const;

  // Export frames…: snapshots of a whole file (every frame with a detection, or every Nth frame)
  // with a separate model instance, in the background. Returns false (with a toast) when it cannot
  // start: not a file, no model for "detections", an export already running.
  bool export_frames(const QString& out_dir, bool detections_only, int every_n);
  void cancel_export();
  bool exporting() const;

  // The background pass over the open file (its own model instance) that fills the detection
  // timeline; calling it while it runs cancels it. Returns false (with a toast) when it cannot start.
  bool scan_detections();
  bool scanning() const;

  // The detection report of the open file: one CSV row per detection segment
  // (core/review/segment_report.h), replacing `path`. Returns "" or what went wrong (also toasted).
  QString export_detection_report(const QString& path);
  // The detection segments (start, end, duration, peak area) in a table; a click seeks to the segment's
  // start. Opens (or raises) a non-modal window and returns its table.
  QTableWidget* show_segments();

  // The detection timeline of the open file (filled by the masks shown; thread-safe).
  const std::shared_ptr<core::review::DetectionTrack>& detections() const { return track_; }
  bool polyp_alert() const { return alert_.active(); }

  VideoView* view() const { return view_; }
  Hud* hud() const;
  TransportBar* transport() const { return transport_; }
  SourceBar* source_bar() const { return source_bar_; }
  void refresh_sources();

 Q_SIGNALS:
  void source_changed(const QString& description);
  void model_changed(const QString& summary);
  void overlay_mode_changed(const QString& mode);
  void full_screen_toggled();
  void open_file_requested();
  void frame_shown(qint64 index);  // after a new frame was painted (tests wait on it)
  void snapshot_written(const QString& folder, int files);  // empty folder: failed (see toast)
  void recording_changed(bool on);
  void export_progress(double fraction);  // 0..1
  void export_finished(bool ok, const QString& message);
  void scan_finished(bool ok);

 private:
  struct LoadResult {
    int generation = 0;
    QString path;
    std::shared_ptr<core::PredictorSegmenter> segmenter;
    QString error;
  };

  void install_shortcuts();
  void pull();  // takes the session's newest frame + mask and repaints
  void recompose();
  void refresh_hud();
  void on_state(core::SourceState s, const core::SourceInfo& info);
  void on_error(const core::VideoError& e);
  void on_reconnect(const core::ReconnectInfo& r);
  void on_loaded(const LoadResult& r);
  void on_mask_area(int64_t frame, double area);
  void refresh_strip();

  Settings& settings_;
  SourceBar* source_bar_ = nullptr;
  VideoView* view_ = nullptr;
  TransportBar* transport_ = nullptr;
  QTimer hud_timer_;

  QString overlay_mode_ = QStringLiteral("fill");
  double overlay_alpha_ = 0.45;

  // Source (GUI thread copies of what the session reported).
  QString source_spec_;
  QPointer<QDialog> segments_dialog_;
  core::SourceState source_state_ = core::SourceState::Idle;
  core::SourceInfo source_info_;
  QString source_error_;

  // Model.
  ModelStatus model_status_ = ModelStatus::kNone;
  QString model_message_;
  QString checkpoint_;
  QString device_ = QStringLiteral("auto");
  QString model_preset_, model_device_;
  int load_generation_ = 0;
  QFutureWatcher<LoadResult> loader_;

  // What is on screen.
  core::Frame shown_;
  std::optional<core::MaskResult> shown_mask_;
  int64_t shown_index_ = -1;
  int64_t frames_shown_ = 0;
  bool mask_matches_frame_ = false;
  cv::Mat composed_;  // the picture on screen as BGR (what the recorder gets)

  // Review: detections per frame and the debounced "polyp in view" cue.
  std::shared_ptr<core::review::DetectionTrack> track_ = std::make_shared<core::review::DetectionTrack>();
  uint64_t strip_revision_ = ~uint64_t{0};
  int strip_cells_ = 0;
  core::review::PolypAlert alert_;

  std::unique_ptr<core::exporting::Recorder> recorder_;
  std::unique_ptr<core::exporting::BatchExporter> exporter_;
  std::unique_ptr<core::review::DetectionScan> scan_;
  bool scan_pending_ = false;  // the scan's model is being loaded

  std::unique_ptr<core::LiveSession> session_;  // last: destroyed (threads joined) first
};

}  // namespace pl::ui
