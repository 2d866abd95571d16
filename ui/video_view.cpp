#include "ui/video_view.h"

#include <QMouseEvent>
#include <QOpenGLFunctions>
#include <QOpenGLWidget>
#include <QPainter>
#include <algorithm>

#include "core/log/log.h"
#include "ui/gl_compositor.h"
#include "ui/hud.h"
#include "ui/image_convert.h"
#include "ui/theme.h"

namespace pl::ui {

// The picture on the GPU: fills the VideoView, draws the layers with GlCompositor, then the view's
// decorations with QPainter. Mouse events go on to the view (double-click: full screen).
class GlSurface : public QOpenGLWidget {
 public:
  explicit GlSurface(VideoView* view) : QOpenGLWidget(view), view_(view) {
    setAttribute(Qt::WA_TransparentForMouseEvents);
  }
  ~GlSurface() override {
    if (!context()) return;
    makeCurrent();
    compositor_.release();
    doneCurrent();
  }
  bool failed() const { return failed_; }

 protected:
  void initializeGL() override {
    QString error;
    if (!compositor_.initialize(&error)) {
      failed_ = true;
      QMetaObject::invokeMethod(view_, [v = view_, error] { v->drop_gpu(error); }, Qt::QueuedConnection);
    }
  }
  void paintGL() override {
    auto* f = context()->functions();
    f->glClearColor(0.f, 0.f, 0.f, 1.f);
    f->glClear(GL_COLOR_BUFFER_BIT);
    QPainter p(this);
    if (!failed_ && view_->has_frame()) {
      p.beginNativePainting();
      try {
        if (view_->frame_dirty_) compositor_.set_frame(view_->layer_frame_);
        if (view_->mask_dirty_) {
          compositor_.set_mask(view_->layer_mask_, view_->layer_view_);
          compositor_.set_options(view_->layer_options_);
        }
        view_->frame_dirty_ = view_->mask_dirty_ = false;
        const qreal dpr = devicePixelRatioF();
        const QRect r = view_->frame_rect();
        const QRect target(qRound(r.x() * dpr), qRound(r.y() * dpr), qRound(r.width() * dpr), qRound(r.height() * dpr));
        compositor_.draw(target, QSize(qRound(width() * dpr), qRound(height() * dpr)));
      } catch (const std::exception& e) {
        pl::log::get("ui")->warn("GPU overlay failed: {}", e.what());
      }
      p.endNativePainting();
    }
    view_->paint_decorations(p);
  }

 private:
  VideoView* view_;
  GlCompositor compositor_;
  bool failed_ = false;
};

namespace {

QString format_elapsed(qint64 ms) {
  const qint64 s = ms / 1000;
  return QStringLiteral("%1:%2").arg(s / 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
}

}  // namespace

VideoView::VideoView(QWidget* parent) : QWidget(parent) {
  setAttribute(Qt::WA_OpaquePaintEvent);
  setMinimumSize(320, 200);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  QString why;
  if (gpu_compositing_available(&why)) {
    surface_ = new GlSurface(this);
    surface_->setGeometry(rect());
  } else {
    compositing_note_ = tr("overlay on the CPU (no OpenGL: %1)").arg(why);
  }
  hud_ = new Hud(this);
  toast_timer_.setSingleShot(true);
  connect(&toast_timer_, &QTimer::timeout, this, [this] {
    toast_.clear();
    refresh();
  });
  record_tick_.setInterval(500);
  connect(&record_tick_, &QTimer::timeout, this, &VideoView::refresh);
}

void VideoView::refresh() {
  update();
  if (surface_) surface_->update();
}

bool VideoView::gpu_compositing() const { return surface_ && !surface_->failed(); }

void VideoView::drop_gpu(const QString& why) {
  if (!surface_) return;
  pl::log::get("ui")->warn("GPU compositing unavailable, blending the overlay on the CPU: {}", why.toStdString());
  surface_->hide();
  surface_->deleteLater();
  surface_ = nullptr;
  compositing_note_ = tr("overlay on the CPU (%1)").arg(why);
  if (!layer_frame_.empty()) set_composite(layer_frame_, layer_mask_, layer_view_, layer_options_);
}

void VideoView::set_frame(QImage frame) {
  frame_ = std::move(frame);
  layer_frame_.release();
  layer_mask_.release();
  layer_view_.reset();
  refresh();
}

void VideoView::set_composite(const cv::Mat& bgr, const cv::Mat& mask, std::shared_ptr<const core::FieldOfView> view,
                              const core::OverlayOptions& options) {
  if (!gpu_compositing()) {
    cv::Mat composed;
    try {
      composed = core::compose_overlay(bgr, mask, options, view.get());
    } catch (const std::exception& e) {  // a malformed mask must not take the picture away
      pl::log::get("ui")->warn("overlay failed: {}", e.what());
      composed = bgr;
    }
    set_frame(to_qimage(composed));
    layer_frame_ = bgr;
    layer_mask_ = mask;
    layer_view_ = std::move(view);
    layer_options_ = options;
    return;
  }
  frame_dirty_ |= bgr.data != layer_frame_.data || bgr.size() != layer_frame_.size();
  mask_dirty_ = true;
  layer_frame_ = bgr;
  layer_mask_ = mask;
  layer_view_ = std::move(view);
  layer_options_ = options;
  frame_ = to_qimage(bgr);  // size and presence; the picture itself is drawn by the surface
  refresh();
}

void VideoView::clear_frame() {
  frame_ = QImage();
  layer_frame_.release();
  layer_mask_.release();
  layer_view_.reset();
  refresh();
}

int VideoView::hud_column() const { return hud_->isHidden() ? 0 : hud_->width() + 24; }

QRect VideoView::frame_rect() const {
  if (frame_.isNull()) return {};
  const int free_width = std::max(1, width() - hud_column());
  const QSize scaled = frame_.size().scaled(QSize(free_width, height()), Qt::KeepAspectRatio);
  // Centred in the whole view when that leaves the HUD's column free, else in what is left of it.
  int x = (width() - scaled.width()) / 2;
  if (x + scaled.width() > free_width) x = (free_width - scaled.width()) / 2;
  return QRect(QPoint(x, (height() - scaled.height()) / 2), scaled);
}

QRect VideoView::banner_rect() const {
  if (banner_.isEmpty()) return {};
  const QFontMetrics fm(font());
  const QRect text = fm.boundingRect(QRect(0, 0, std::max(1, width() - 24), 10000),
                                     Qt::AlignCenter | Qt::TextWordWrap, banner_);
  return QRect(0, 0, width(), text.height() + 16);
}

void VideoView::set_placeholder(const QString& text) {
  placeholder_ = text;
  refresh();
}

void VideoView::set_banner(const QString& text, bool warning) {
  banner_ = text;
  banner_warning_ = warning;
  place_hud();
  refresh();
}

void VideoView::set_dimmed(bool on) {
  if (on == dimmed_) return;
  dimmed_ = on;
  refresh();
}

void VideoView::set_alert(bool on) {
  if (on == alert_) return;
  alert_ = on;
  refresh();
}

void VideoView::show_toast(const QString& text, int ms) {
  toast_ = text;
  toast_timer_.start(ms);
  refresh();
}

void VideoView::set_recording(bool on) {
  if (on == recording_) return;
  recording_ = on;
  if (on) {
    record_clock_.start();
    record_tick_.start();
  } else {
    record_tick_.stop();
  }
  refresh();
}

void VideoView::set_hud_visible(bool on) {
  hud_->setVisible(on);
  refresh();  // the picture takes the HUD's column, or gives it back
}

void VideoView::set_hud_state(const HudState& s) {
  hud_->set_state(s);
  if (hud_->size() != hud_->sizeHint()) place_hud();
}

void VideoView::place_hud() {
  const QSize before = hud_->size();
  hud_->resize(hud_->sizeHint());
  const QRect band = banner_rect();
  hud_->move(width() - hud_->width() - 12, band.isEmpty() ? 12 : band.bottom() + 9);
  if (hud_->size() != before) refresh();
}

void VideoView::resizeEvent(QResizeEvent*) {
  if (surface_) surface_->setGeometry(rect());
  place_hud();
}

void VideoView::mouseDoubleClickEvent(QMouseEvent* e) {
  if (e->button() == Qt::LeftButton) Q_EMIT double_clicked();
}

void VideoView::paintEvent(QPaintEvent*) {
  if (gpu_compositing()) return;  // the GL surface covers the view and paints everything
  QPainter p(this);
  p.fillRect(rect(), Qt::black);
  if (!frame_.isNull()) {
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(frame_rect(), frame_);
  }
  paint_decorations(p);
}

void VideoView::paint_decorations(QPainter& p) {
  if (!frame_.isNull()) {
    if (dimmed_) p.fillRect(frame_rect(), QColor(0, 0, 0, 150));
    if (alert_ && !dimmed_) {
      p.setPen(QPen(colors::kDanger, 4));
      p.setBrush(Qt::NoBrush);
      p.drawRect(frame_rect().adjusted(2, 2, -2, -2));
    }
  } else if (!placeholder_.isEmpty()) {
    p.setPen(colors::kMutedText);
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 1.25);
    p.setFont(f);
    p.drawText(rect().adjusted(40, 40, -40, -40), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
    p.setFont(font());
  }

  p.setRenderHint(QPainter::Antialiasing);
  const QFontMetrics fm(font());
  const QRect band = banner_rect();
  if (!band.isEmpty()) {
    p.fillRect(band, banner_warning_ ? QColor(120, 80, 0, 215) : QColor(20, 20, 20, 200));
    p.setPen(banner_warning_ ? QColor(255, 228, 170) : colors::kText);
    p.drawText(band.adjusted(12, 8, -12, -8), Qt::AlignCenter | Qt::TextWordWrap, banner_);
  }
  if (recording_) {
    const int top = band.isEmpty() ? 14 : band.bottom() + 13;
    p.setPen(Qt::NoPen);
    p.setBrush(colors::kDanger);
    p.drawEllipse(QPoint(22, top + fm.height() / 2), 7, 7);
    p.setPen(Qt::white);
    p.drawText(36, top + fm.ascent(), tr("REC %1").arg(format_elapsed(record_clock_.elapsed())));
  }
  if (!toast_.isEmpty()) {
    const int w = std::min(width() - 40, fm.horizontalAdvance(toast_) + 32);
    const QRect box((width() - w) / 2, height() - fm.height() - 40, w, fm.height() + 16);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0, 0, 0, 190));
    p.drawRoundedRect(box, 8, 8);
    p.setPen(colors::kText);
    p.drawText(box, Qt::AlignCenter, fm.elidedText(toast_, Qt::ElideMiddle, w - 16));
  }
}

}  // namespace pl::ui
