#pragma once
// The Live / Review tab: the video fills it (aspect kept, letterboxed) with the mask overlay, the
// HUD in a corner, the source/overlay row above and, for files, the transport bar below. This class
// is the view, the transport and the source; the model is a ModelLoader (ui/model_loader.h) and the
// review of a file (scan, export, report, segments) a ReviewPanel (ui/review_panel.h).
//
// Threading model
//   - Everything in this class runs on the GUI thread.
//   - Capture and inference run in core::LiveSession's threads. Their callbacks reach this tab as
//     the signals of a core::LiveSessionBridge, queued to the GUI thread (the bridge is this tab's
//     child, so nothing is delivered after the tab is gone). The display path is
//     "updateReady -> take_update()": never blocking, newest frame + newest mask, coalesced by the
//     session so at most one notification is in flight.
#include <QAction>
#include <QString>
#include <QTimer>
#include <QWidget>
#include <memory>
#include <optional>

#include "core/overlay/overlay.h"
#include "core/pipeline/live_session.h"
#include "core/review/polyp_alert.h"
#include "ui/hud.h"

namespace pl::core {
class LiveSessionBridge;
class PredictorSegmenter;
}  // namespace pl::core
namespace pl::core::exporting {
class Recorder;
}

namespace pl::ui {

class ModelLoader;
class ReviewPanel;
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
  // Such a source is not remembered (Recent, reopened at the next start).
  void open_frame_source(std::unique_ptr<core::FrameSource> source, const QString& spec);
  void close_source();
  // Stop / Disconnect: closes the source; it is not reopened at the next start.
  void stop_source();
  bool has_source() const;
  QString source_spec() const { return source_spec_; }
  QString source_description() const;  // for the status bar
  core::SourceState source_state() const { return source_state_; }

  ModelLoader* model() const { return model_; }
  ReviewPanel* review() const { return review_; }

  QString overlay_mode() const { return overlay_mode_; }  // "fill" | "outline" | "off"
  void set_overlay_mode(const QString& mode);
  void cycle_overlay_mode();  // fill -> outline -> off -> fill
  double overlay_alpha() const { return overlay_alpha_; }
  void set_overlay_alpha(double alpha);
  // Paint the overlay only inside the scope's field of view (the mask's MaskResult::view), so the
  // black border around the picture stays black; off paints the whole frame.
  bool overlay_limit_to_view() const { return overlay_limit_to_view_; }
  void set_overlay_limit_to_view(bool on);
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
  QAction* record_action() const { return record_; }  // R, checkable (File ▸ Record)
  QString recordings_folder() const;

  bool polyp_alert() const { return alert_.active(); }
  // Training runs in the Training tab: on the CPU it shares the cores with live inference, which
  // then runs slower; the HUD says so (and a toast when it starts).
  void set_training_running(bool on);

  VideoView* view() const { return view_; }
  Hud* hud() const;
  TransportBar* transport() const { return transport_; }
  SourceBar* source_bar() const { return source_bar_; }
  void refresh_sources();

 Q_SIGNALS:
  void source_changed(const QString& description);
  void overlay_mode_changed(const QString& mode);
  void full_screen_toggled();
  void open_file_requested();
  // A source opened with open_source() played: it is now in Recent and reopened at the next start.
  void source_opened(const QString& spec);
  void frame_shown(qint64 index);  // after a new frame was painted (tests wait on it)
  void snapshot_written(const QString& folder, int files);  // empty folder: failed (see toast)
  void recording_changed(bool on);

 private:
  void start(std::unique_ptr<core::FrameSource> source, const QString& spec, bool remember);
  void remember_source(bool ok);  // into Recent once it played; out of it when it never did
  void install_shortcuts();
  void connect_session();
  void pull();  // takes the session's newest frame + mask and repaints
  void recompose();
  core::OverlayOptions overlay_options() const;
  // The shown mask's field of view at the frame's size (scaled when it was found on the model's copy
  // of the frame), or null when it belongs to a frame of another shape (a new stream resolution).
  std::shared_ptr<const core::FieldOfView> shown_view() const;
  // The picture on screen blended on the CPU at the frame's size (what the recorder gets).
  cv::Mat cpu_composite() const;
  void refresh_hud();
  void on_state(core::SourceState s, const core::SourceInfo& info);
  void on_error(const core::VideoError& e);
  void on_reconnect(const core::ReconnectInfo& r);
  void on_segmenter(std::shared_ptr<core::PredictorSegmenter> segmenter);
  void on_mask(int64_t frame, const cv::Mat& mask);

  Settings& settings_;
  SourceBar* source_bar_ = nullptr;
  VideoView* view_ = nullptr;
  TransportBar* transport_ = nullptr;
  ModelLoader* model_ = nullptr;
  ReviewPanel* review_ = nullptr;
  QTimer hud_timer_;
  QAction* record_ = nullptr;

  QString overlay_mode_ = QStringLiteral("fill");
  double overlay_alpha_ = 0.45;
  bool overlay_limit_to_view_ = true;

  // Source (GUI thread copies of what the session reported).
  QString source_spec_;
  std::string source_description_;  // SourceInfo::description of the source opened last
  core::SourceState source_state_ = core::SourceState::Idle;
  core::SourceInfo source_info_;
  QString source_error_;
  bool source_ok_ = false;   // this source reached Playing or Paused
  bool remember_ = false;    // opened by spec (Recent, reopened at the next start)
  bool training_ = false;    // the Training tab runs a training
  int64_t dropped_inference_base_ = 0, dropped_display_base_ = 0;  // the session's counts at open

  // What is on screen.
  core::Frame shown_;
  std::optional<core::MaskResult> shown_mask_;
  int64_t shown_index_ = -1;
  int64_t frames_shown_ = 0;
  bool mask_matches_frame_ = false;
  cv::Mat composed_;  // the picture on screen as BGR while recording (the recorder's input)
  core::review::PolypAlert alert_;  // the debounced "polyp in view" cue

  std::unique_ptr<core::exporting::Recorder> recorder_;
  core::LiveSessionBridge* bridge_ = nullptr;
  std::unique_ptr<core::LiveSession> session_;  // last: destroyed (threads joined) first
};

}  // namespace pl::ui
