#pragma once
// Transport controls for files under the video: play/pause, frame step, ±5 s, speed, the seek
// slider with the detection timeline, previous/next detection, and time + frame number.
// It only shows and asks; the live tab decides what a request does to the source.
// Thread: GUI thread only.
#include <QWidget>
#include <cstdint>

class QComboBox;
class QLabel;
class QToolButton;

namespace pl::ui {

class TimelineSlider;

class TransportBar : public QWidget {
  Q_OBJECT

 public:
  explicit TransportBar(QWidget* parent = nullptr);

  // frame_count <= 0: unknown length (seeking disabled). fps <= 0: times shown as frames only.
  void set_duration(int64_t frame_count, double fps);
  void set_position(int64_t frame);  // ignored while the user drags the slider
  void set_playing(bool playing);
  int64_t position() const { return position_; }
  int64_t frame_count() const { return frame_count_; }
  double fps() const { return fps_; }
  double speed() const;
  TimelineSlider* slider() const { return slider_; }
  QString time_text() const;
  // The background detection pass: fraction in [0, 1] while it runs, < 0 when idle.
  void set_scan_progress(double fraction);

 Q_SIGNALS:
  void play_pause_requested();
  void step_requested(int frames);     // +1 / -1
  void seek_requested(int64_t frame);
  void speed_changed(double speed);
  void previous_detection_requested();
  void next_detection_requested();
  void scan_requested();  // start the background detection pass, or cancel the running one

 private:
  void refresh_label();
  QToolButton *play_ = nullptr, *back_ = nullptr, *fwd_ = nullptr, *prev_det_ = nullptr, *next_det_ = nullptr;
  QToolButton* scan_ = nullptr;
  QComboBox* speed_ = nullptr;
  TimelineSlider* slider_ = nullptr;
  QLabel* time_ = nullptr;
  int64_t frame_count_ = 0, position_ = 0;
  double fps_ = 0.0;
  bool playing_ = false;
};

// "mm:ss.f" for a time in seconds (h:mm:ss.f past an hour).
QString format_clock(double seconds);

}  // namespace pl::ui
