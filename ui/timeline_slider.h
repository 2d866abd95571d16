#pragma once
// The seek slider of the transport bar with the detection timeline drawn under its groove: red
// where polyps were seen (brighter for larger polyps), a faint band where frames were segmented and
// nothing was found, nothing where no frame was segmented yet. Above that strip, one bar per polyp
// event (docs/metrics.md §6), in two lanes so that polyps in view together stay apart: amber,
// red-outlined when it is a false alarm against a ground-truth track, grey for flicker. Values are frame numbers; a click jumps there, a click on an
// event bar jumps to the event's first frame.
// Thread: GUI thread only.
#include <QSlider>
#include <QString>
#include <cstdint>
#include <vector>

namespace pl::ui {

struct TimelineMark {
  enum class State : uint8_t { Unknown, Clear, Detected };
  State state = State::Unknown;
  int64_t first = 0, last = 0;  // frames covered (inclusive)
  float strength = 1.0f;        // 0..1, detection intensity (e.g. relative polyp area)
};

struct TimelineEvent {
  int64_t first = 0, last = 0;  // frames spanned (inclusive)
  bool flicker = false;         // shorter than the events' minimum duration
  bool false_alarm = false;     // overlaps no region of the loaded ground truth
  QString tip;                  // tooltip text
};

class TimelineSlider : public QSlider {
  Q_OBJECT

 public:
  explicit TimelineSlider(QWidget* parent = nullptr);

  void set_marks(std::vector<TimelineMark> marks);
  const std::vector<TimelineMark>& marks() const { return marks_; }
  // How many cells the strip can show at the current width (one per ~2 px).
  int strip_cells() const;

  void set_events(std::vector<TimelineEvent> events);
  const std::vector<TimelineEvent>& events() const { return events_; }
  // Where event `index` is drawn (empty for a bad index); the event under a point, -1 if none
  // (non-flicker events win over flicker where both are drawn).
  QRect event_rect(int index) const;
  int event_at(const QPoint& p) const;

 Q_SIGNALS:
  void event_clicked(int index);  // after the slider moved to the event's first frame

 protected:
  void paintEvent(QPaintEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  bool event(QEvent* e) override;  // tooltips of event bars

 private:
  int x_for_frame(int64_t frame) const;
  std::vector<TimelineMark> marks_;
  std::vector<TimelineEvent> events_;
  std::vector<int> lanes_;  // per event
};

}  // namespace pl::ui
