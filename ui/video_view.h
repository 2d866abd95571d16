#pragma once
// The video surface: paints the newest composed frame (video + overlay, already blended by
// core/overlay) aspect-fit and letterboxed on black, and the few things that must sit on the
// picture: a banner for source states (lost, reconnecting, end of file), a brief toast (snapshot
// saved), the recording dot with elapsed time, and a placeholder when there is no source.
// Hosts the HUD in its top-right corner, beside the picture (never over it) and below the banner.
// Thread: GUI thread only. set_frame() takes a QImage by value (implicitly shared, no copy).
#include <QElapsedTimer>
#include <QImage>
#include <QTimer>
#include <QWidget>

namespace pl::ui {

class Hud;
struct HudState;

class VideoView : public QWidget {
  Q_OBJECT

 public:
  explicit VideoView(QWidget* parent = nullptr);

  void set_frame(QImage frame);
  void clear_frame();
  const QImage& frame() const { return frame_; }
  bool has_frame() const { return !frame_.isNull(); }
  // Where the frame is drawn inside the widget (aspect kept, clear of the HUD's column while the HUD
  // is shown); empty without a frame.
  QRect frame_rect() const;
  // The banner's band across the top (its text wraps); empty without a banner.
  QRect banner_rect() const;

  // Shown centred when there is no frame (e.g. how to open a source).
  void set_placeholder(const QString& text);
  // A persistent banner across the top of the picture; empty clears it. `warning` = amber.
  void set_banner(const QString& text, bool warning = true);
  QString banner() const { return banner_; }
  // Greys the picture out (source lost, end of file) so a frozen frame never looks live.
  void set_dimmed(bool on);
  bool dimmed() const { return dimmed_; }
  // A red frame around the picture while a polyp is in view (debounced by the caller).
  void set_alert(bool on);
  bool alert() const { return alert_; }
  // A short message at the bottom that fades after `ms`.
  void show_toast(const QString& text, int ms = 2500);
  QString toast() const { return toast_; }
  // Red dot + elapsed time while recording.
  void set_recording(bool on);
  bool recording() const { return recording_; }

  Hud* hud() const { return hud_; }
  void set_hud_state(const HudState& s);  // updates the HUD and keeps it in the corner
  void set_hud_visible(bool on);

 Q_SIGNALS:
  void double_clicked();

 protected:
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;

 private:
  void place_hud();
  int hud_column() const;  // width kept free for the HUD at the right (0 when hidden)
  QImage frame_;
  QString placeholder_, banner_, toast_;
  bool banner_warning_ = true;
  bool recording_ = false;
  bool dimmed_ = false;
  bool alert_ = false;
  QElapsedTimer record_clock_;
  QTimer toast_timer_, record_tick_;
  Hud* hud_ = nullptr;
};

}  // namespace pl::ui
