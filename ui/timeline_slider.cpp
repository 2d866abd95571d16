#include "ui/timeline_slider.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionSlider>
#include <QToolTip>
#include <algorithm>

#include "ui/theme.h"

namespace pl::ui {

namespace {
constexpr int kStripHeight = 5;
constexpr int kLaneHeight = 3;  // event bars sit right above the strip, in two lanes so that
constexpr int kLanes = 2;       // two polyps in view at once stay apart
constexpr int kEventGap = 1;
}

TimelineSlider::TimelineSlider(QWidget* parent) : QSlider(Qt::Horizontal, parent) {
  setMinimumHeight(32);  // groove, event bars, detection strip
  setToolTip(tr("Seek. Red: frames where a polyp was detected (N / P jump between detections). Bars above: "
                "polyp events, click one to go to its first frame."));
}

void TimelineSlider::set_marks(std::vector<TimelineMark> marks) {
  marks_ = std::move(marks);
  update();
}

int TimelineSlider::strip_cells() const { return std::max(1, width() / 2); }

void TimelineSlider::set_events(std::vector<TimelineEvent> events) {
  events_ = std::move(events);
  // Each event in the first lane free at its first frame (the last lane when none is).
  lanes_.assign(events_.size(), 0);
  std::vector<int64_t> lane_end(kLanes, -1);
  for (size_t i = 0; i < events_.size(); ++i) {
    int lane = kLanes - 1;
    for (int l = 0; l < kLanes; ++l)
      if (lane_end[static_cast<size_t>(l)] < events_[i].first) {
        lane = l;
        break;
      }
    lanes_[i] = lane;
    lane_end[static_cast<size_t>(lane)] = std::max(lane_end[static_cast<size_t>(lane)], events_[i].last);
  }
  update();
}

QRect TimelineSlider::event_rect(int index) const {
  if (index < 0 || index >= static_cast<int>(events_.size()) || maximum() <= minimum()) return {};
  const TimelineEvent& ev = events_[static_cast<size_t>(index)];
  const int y = height() - kStripHeight - kEventGap - (lanes_[static_cast<size_t>(index)] + 1) * kLaneHeight;
  const int x0 = x_for_frame(ev.first);
  const int x1 = std::max(x0 + 2, x_for_frame(ev.last + 1));
  return QRect(x0, y, x1 - x0, kLaneHeight - 1);
}

int TimelineSlider::event_at(const QPoint& p) const {
  int flicker = -1;
  for (int i = 0; i < static_cast<int>(events_.size()); ++i) {
    // A little slack around the thin bars makes them clickable.
    if (!event_rect(i).adjusted(-1, 0, 1, 1).contains(p)) continue;
    if (!events_[static_cast<size_t>(i)].flicker) return i;
    if (flicker < 0) flicker = i;
  }
  return flicker;
}

bool TimelineSlider::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    const auto* help = static_cast<QHelpEvent*>(e);
    const int i = event_at(help->pos());
    if (i >= 0 && !events_[static_cast<size_t>(i)].tip.isEmpty()) {
      QToolTip::showText(help->globalPos(), events_[static_cast<size_t>(i)].tip, this);
      return true;
    }
  }
  return QSlider::event(e);
}

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
  if (maximum() <= minimum() || (marks_.empty() && events_.empty())) return;
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
  // Flicker first, so that events drawn over it stay visible.
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < static_cast<int>(events_.size()); ++i) {
      const TimelineEvent& ev = events_[static_cast<size_t>(i)];
      if (ev.flicker != (pass == 0)) continue;
      const QRect r = event_rect(i);
      if (ev.flicker) {
        p.fillRect(r, colors::kMutedText);
        continue;
      }
      p.fillRect(r, colors::kAmber);
      if (ev.false_alarm) {
        p.setPen(colors::kDanger);
        p.drawRect(r.adjusted(0, 0, -1, -1));
      }
    }
}

void TimelineSlider::mousePressEvent(QMouseEvent* e) {
  if (e->button() == Qt::LeftButton && maximum() > minimum()) {
    const int i = event_at(e->position().toPoint());
    if (i >= 0) {  // an event bar: its first frame
      setValue(static_cast<int>(events_[static_cast<size_t>(i)].first));
      Q_EMIT sliderMoved(value());
      Q_EMIT sliderReleased();
      Q_EMIT event_clicked(i);
      return;
    }
  }
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
