#pragma once
// The seek slider of the transport bar with the detection timeline drawn under its groove: red
// where polyps were seen (brighter for larger polyps), a faint band where frames were segmented and
// nothing was found, nothing where no frame was segmented yet. Values are frame numbers; a click
// jumps there.
// Thread: GUI thread only.
#include <QSlider>
#include <cstdint>
#include <vector>

namespace pl::ui {

struct TimelineMark {
  enum class State : uint8_t { Unknown, Clear, Detected };
  State state = State::Unknown;
  int64_t first = 0, last = 0;  // frames covered (inclusive)
  float strength = 1.0f;        // 0..1, detection intensity (e.g. relative polyp area)
};

class TimelineSlider : public QSlider {
  Q_OBJECT

 public:
  explicit TimelineSlider(QWidget* parent = nullptr);

  void set_marks(std::vector<TimelineMark> marks);
  const std::vector<TimelineMark>& marks() const { return marks_; }
  // How many cells the strip can show at the current width (one per ~2 px).
  int strip_cells() const;

 protected:
  void paintEvent(QPaintEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;

 private:
  int x_for_frame(int64_t frame) const;
  std::vector<TimelineMark> marks_;
};

}  // namespace pl::ui
