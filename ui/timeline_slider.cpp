#include "ui/timeline_slider.h"

#include <QMouseEvent>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionSlider>
#include <algorithm>

#include "ui/theme.h"

namespace pl::ui {

namespace {
constexpr int kStripHeight = 5;
}

TimelineSlider::TimelineSlider(QWidget* parent) : QSlider(Qt::Horizontal, parent) {
  setMinimumHeight(26);
  setToolTip(tr("Seek. Red: frames where a polyp was detected (N / P jump between detections)."));
}

void TimelineSlider::set_marks(std::vector<TimelineMark> marks) {
  marks_ = std::move(marks);
  update();
}

int TimelineSlider::strip_cells() const { return std::max(1, width() / 2); }

int TimelineSlider::x_for_frame(int64_t frame) const {
  QStyleOptionSlider opt;
  initStyleOption(&opt);
  const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
  const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
  const int span = groove.width() - handle.width();
  const int pos = QStyle::sliderPositionFromValue(minimum(), maximum(), static_cast<int>(frame), span);
  return groove.left() + handle.width() / 2 + pos;
}

void TimelineSlider::paintEvent(QPaintEvent* e) {
  QSlider::paintEvent(e);
  if (maximum() <= minimum() || marks_.empty()) return;
  QPainter p(this);
  const int y = height() - kStripHeight;
  for (const TimelineMark& m : marks_) {
    if (m.state == TimelineMark::State::Unknown) continue;
    const int x0 = x_for_frame(m.first);
    const int x1 = std::max(x0 + 1, x_for_frame(m.last + 1));
    QColor c;
    if (m.state == TimelineMark::State::Detected) {
      c = colors::kDanger;
      c.setAlphaF(0.55f + 0.45f * std::clamp(m.strength, 0.0f, 1.0f));
    } else {
      c = QColor(90, 110, 100, 110);
    }
    p.fillRect(QRect(x0, y, x1 - x0, kStripHeight), c);
  }
}

void TimelineSlider::mousePressEvent(QMouseEvent* e) {
  // Jump to the click instead of paging: that is what a seek bar does.
  if (e->button() == Qt::LeftButton && maximum() > minimum()) {
    QStyleOptionSlider opt;
    initStyleOption(&opt);
    const QRect groove = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
    const QRect handle = style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
    if (!handle.contains(e->position().toPoint())) {
      const int x = static_cast<int>(e->position().x()) - groove.left() - handle.width() / 2;
      setValue(QStyle::sliderValueFromPosition(minimum(), maximum(), x, groove.width() - handle.width()));
      Q_EMIT sliderMoved(value());
      Q_EMIT sliderReleased();
      return;
    }
  }
  QSlider::mousePressEvent(e);
}

}  // namespace pl::ui
