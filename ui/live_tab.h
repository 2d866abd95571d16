#pragma once
// The Live / Review tab: the video fills it (aspect kept, letterboxed) with the mask overlay, the
// HUD in a corner, the source/overlay row above and, for files, the transport bar below.
//
// Threading model: everything here runs on the GUI thread. Capture and inference run in the core
// live session's own threads; the tab polls the session's newest frame + newest mask on a display
// timer (never waits on capture or inference) and composes the overlay for painting.
#include <QString>
#include <QTimer>
#include <QWidget>
#include <memory>

namespace pl::ui {

class Settings;
class SourceBar;
class TransportBar;
class VideoView;
class Hud;

class LiveTab : public QWidget {
  Q_OBJECT

 public:
  explicit LiveTab(Settings& settings, QWidget* parent = nullptr);
  ~LiveTab() override;

  // A file path, a URI (rtsp://, http://, file://), a device (/dev/video0) or "test:<pattern>".
  void open_source(const QString& spec);
  void close_source();
  bool has_source() const;
  QString source_description() const;

  void load_checkpoint(const QString& path);
  QString model_summary() const;  // "ann-r50 · best.pt · CPU", or "no model"

  QString overlay_mode() const { return overlay_mode_; }  // "fill" | "outline" | "off"
  void set_overlay_mode(const QString& mode);
  void cycle_overlay_mode();  // fill -> outline -> off -> fill
  double overlay_alpha() const { return overlay_alpha_; }
  void set_overlay_alpha(double alpha);
  void set_hud_visible(bool on);

  // Transport (files); harmless no-ops for live sources.
  void play_pause();
  void step(int frames);
  void jump_seconds(double seconds);
  void next_detection();
  void previous_detection();

  void snapshot();
  void toggle_recording();

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

 private:
  void install_shortcuts();
  void refresh_placeholder();

  Settings& settings_;
  SourceBar* source_bar_ = nullptr;
  VideoView* view_ = nullptr;
  TransportBar* transport_ = nullptr;
  QString overlay_mode_ = QStringLiteral("fill");
  double overlay_alpha_ = 0.45;
  QString source_spec_;
};

}  // namespace pl::ui
