#include "ui/transport_bar.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <cmath>

#include "ui/icons.h"
#include "ui/timeline_slider.h"

namespace pl::ui {

QString format_clock(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  const auto tenths = static_cast<long long>(std::floor(seconds * 10));
  const long long s = tenths / 10, t = tenths % 10;
  if (s >= 3600) {
    return QStringLiteral("%1:%2:%3.%4").arg(s / 3600).arg((s / 60) % 60, 2, 10, QChar('0'))
        .arg(s % 60, 2, 10, QChar('0')).arg(t);
  }
  return QStringLiteral("%1:%2.%3").arg(s / 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0')).arg(t);
}

namespace {

QToolButton* tool(QWidget* parent, TransportIcon icon, const QString& tip) {
  auto* b = new QToolButton(parent);
  b->setIcon(transport_icon(icon));
  b->setIconSize(QSize(18, 18));
  b->setToolTip(tip);
  b->setAutoRaise(true);
  b->setFocusPolicy(Qt::NoFocus);
  return b;
}

}  // namespace

TransportBar::TransportBar(QWidget* parent) : QWidget(parent) {
  play_ = tool(this, TransportIcon::Play, tr("Play / pause (Space)"));
  back_ = tool(this, TransportIcon::StepBack, tr("Previous frame (←); 5 s back: Shift+←"));
  fwd_ = tool(this, TransportIcon::StepForward, tr("Next frame (→); 5 s forward: Shift+→"));
  prev_det_ = tool(this, TransportIcon::PreviousDetection, tr("Previous detection (P)"));
  next_det_ = tool(this, TransportIcon::NextDetection, tr("Next detection (N)"));
  scan_ = new QToolButton(this);
  scan_->setFocusPolicy(Qt::NoFocus);
  scan_->setAutoRaise(true);
  scan_->setToolTip(tr("Run the model over the whole file in the background so the timeline shows every "
                       "detection (click again to cancel)"));
  slider_ = new TimelineSlider(this);
  slider_->setFocusPolicy(Qt::NoFocus);
  speed_ = new QComboBox(this);
  speed_->setFocusPolicy(Qt::NoFocus);
  speed_->setToolTip(tr("Playback speed"));
  for (double s : {0.25, 0.5, 1.0, 1.5, 2.0, 4.0}) speed_->addItem(QStringLiteral("%1×").arg(s), s);
  speed_->setCurrentIndex(2);
  time_ = new QLabel(this);
  time_->setMinimumWidth(time_->fontMetrics().horizontalAdvance("00:00.0 / 00:00.0  frame 000000") + 8);

  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(6, 2, 6, 2);
  row->setSpacing(4);
  for (QWidget* w : {static_cast<QWidget*>(play_), static_cast<QWidget*>(back_), static_cast<QWidget*>(fwd_),
                     static_cast<QWidget*>(prev_det_)}) {
    row->addWidget(w);
  }
  row->addWidget(slider_, 1);
  row->addWidget(next_det_);
  row->addWidget(scan_);
  row->addWidget(time_);
  row->addWidget(speed_);

  connect(play_, &QToolButton::clicked, this, &TransportBar::play_pause_requested);
  connect(back_, &QToolButton::clicked, this, [this] { Q_EMIT step_requested(-1); });
  connect(fwd_, &QToolButton::clicked, this, [this] { Q_EMIT step_requested(+1); });
  connect(prev_det_, &QToolButton::clicked, this, &TransportBar::previous_detection_requested);
  connect(next_det_, &QToolButton::clicked, this, &TransportBar::next_detection_requested);
  connect(scan_, &QToolButton::clicked, this, &TransportBar::scan_requested);
  connect(speed_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this] { Q_EMIT speed_changed(speed()); });
  connect(slider_, &QSlider::sliderMoved, this, [this](int v) {
    position_ = v;
    refresh_label();
  });
  connect(slider_, &QSlider::sliderReleased, this, [this] { Q_EMIT seek_requested(slider_->value()); });
  set_duration(0, 0);
  set_scan_progress(-1);
}

void TransportBar::set_scan_progress(double fraction) {
  scan_->setText(fraction < 0 ? tr("Scan") : tr("Scanning %1%").arg(static_cast<int>(fraction * 100)));
}

double TransportBar::speed() const { return speed_->currentData().toDouble(); }

void TransportBar::set_duration(int64_t frame_count, double fps) {
  frame_count_ = frame_count;
  fps_ = fps;
  slider_->setRange(0, frame_count > 1 ? static_cast<int>(frame_count - 1) : 0);
  slider_->setEnabled(frame_count > 1);
  slider_->setPageStep(fps > 0 ? static_cast<int>(std::lround(fps * 5)) : 25);
  refresh_label();
}

void TransportBar::set_position(int64_t frame) {
  if (slider_->isSliderDown()) return;
  position_ = frame;
  {
    const QSignalBlocker block(slider_);
    slider_->setValue(static_cast<int>(frame));
  }
  refresh_label();
}

void TransportBar::set_playing(bool playing) {
  playing_ = playing;
  play_->setIcon(transport_icon(playing ? TransportIcon::Pause : TransportIcon::Play));
}

QString TransportBar::time_text() const { return time_->text(); }

void TransportBar::refresh_label() {
  QString text;
  if (fps_ > 0) {
    text = format_clock(position_ / fps_);
    if (frame_count_ > 0) text += QStringLiteral(" / ") + format_clock(frame_count_ / fps_);
    text += QStringLiteral("  ");
  }
  text += tr("frame %1").arg(position_);
  time_->setText(text);
}

}  // namespace pl::ui
