#include "ui/video_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>

#include "ui/hud.h"
#include "ui/theme.h"

namespace pl::ui {

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
  hud_ = new Hud(this);
  toast_timer_.setSingleShot(true);
  connect(&toast_timer_, &QTimer::timeout, this, [this] {
    toast_.clear();
    update();
  });
  record_tick_.setInterval(500);
  connect(&record_tick_, &QTimer::timeout, this, qOverload<>(&QWidget::update));
}

void VideoView::set_frame(QImage frame) {
  frame_ = std::move(frame);
  update();
}

void VideoView::clear_frame() {
  frame_ = QImage();
  update();
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
  update();
}

void VideoView::set_banner(const QString& text, bool warning) {
  banner_ = text;
  banner_warning_ = warning;
  place_hud();
  update();
}

void VideoView::set_dimmed(bool on) {
  if (on == dimmed_) return;
  dimmed_ = on;
  update();
}

void VideoView::set_alert(bool on) {
  if (on == alert_) return;
  alert_ = on;
  update();
}

void VideoView::show_toast(const QString& text, int ms) {
  toast_ = text;
  toast_timer_.start(ms);
  update();
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
  update();
}

void VideoView::set_hud_visible(bool on) {
  hud_->setVisible(on);
  update();  // the picture takes the HUD's column, or gives it back
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
  if (hud_->size() != before) update();
}

void VideoView::resizeEvent(QResizeEvent*) { place_hud(); }

void VideoView::mouseDoubleClickEvent(QMouseEvent* e) {
  if (e->button() == Qt::LeftButton) Q_EMIT double_clicked();
}

void VideoView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), Qt::black);
  if (!frame_.isNull()) {
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(frame_rect(), frame_);
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
