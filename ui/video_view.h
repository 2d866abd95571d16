#pragma once
// The video surface: paints the newest frame aspect-fit and letterboxed on black with its overlay,
// and the few things that must sit on the picture: a banner for source states (lost, reconnecting, end of file), a brief toast (snapshot
// saved), the recording dot with elapsed time, and a placeholder when there is no source.
// Hosts the HUD in its top-right corner, beside the picture (never over it) and below the banner.
// Compositing (docs/architecture.md, "Overlay"): with OpenGL, a child QOpenGLWidget draws the frame
// and the mask as textures and blends the overlay in a shader (ui/gl_compositor.h): set_composite()
// hands over the frame and the mask at the model's resolution, and nothing is blended on the CPU.
// Without OpenGL (a software-only display, the offscreen platform, POLYPLENS_GL=0) set_composite()
// blends on the CPU with core/overlay and compositing_note() says so for the HUD. set_frame() shows a
// picture composed elsewhere. Decorations are painted with QPainter over either.
// Thread: GUI thread only. set_frame() takes a QImage by value (implicitly shared, no copy).
#include <memory>

#include <QElapsedTimer>
#include <QImage>
#include <QTimer>
#include <QWidget>

#include <opencv2/core.hpp>

#include "core/overlay/fov.h"
#include "core/overlay/overlay.h"

class QPainter;

namespace pl::ui {

class GlSurface;
class Hud;
struct HudState;

class VideoView : public QWidget {
  Q_OBJECT

 public:
  explicit VideoView(QWidget* parent = nullptr);

  void set_frame(QImage frame);
  // The frame (CV_8UC3 BGR, kept by reference: frames are immutable once published) with its mask
  // (any size, empty = none) and view (the frame's size or null), blended on the GPU when it can,
  // else on the CPU (same result within one grey level).
  void set_composite(const cv::Mat& bgr, const cv::Mat& mask, std::shared_ptr<const core::FieldOfView> view,
                     const core::OverlayOptions& options);
  void clear_frame();
  bool gpu_compositing() const;
  // Empty with GPU compositing; else why the overlay is blended on the CPU, for the HUD.
  QString compositing_note() const { return compositing_note_; }
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
  friend class GlSurface;
  void paintEvent(QPaintEvent*) override;
  void resizeEvent(QResizeEvent*) override;
  void mouseDoubleClickEvent(QMouseEvent*) override;

 private:
  void place_hud();
  void refresh();                          // repaint whichever widget shows the picture
  void paint_decorations(QPainter& p);     // dim, alert, placeholder, banner, recording, toast
  void drop_gpu(const QString& why);       // the GL surface failed: the CPU path from now on
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
  GlSurface* surface_ = nullptr;
  QString compositing_note_;
  // The layers the GL surface draws (set_composite); uploaded when it next paints.
  cv::Mat layer_frame_, layer_mask_;
  std::shared_ptr<const core::FieldOfView> layer_view_;
  core::OverlayOptions layer_options_;
  bool frame_dirty_ = false, mask_dirty_ = false;
};

}  // namespace pl::ui
