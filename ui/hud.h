#pragma once
// The small heads-up display in a corner of the video: capture FPS, inference FPS, mask age,
// dropped frames, device. It says plainly when there is no model, while the model loads or warms
// up, and turns amber when the mask on screen is stale so nobody trusts an old mask.
// Thread: GUI thread only; the live tab feeds it a HudState snapshot per repaint.
#include <QString>
#include <QWidget>

namespace pl::ui {

enum class ModelStatus {
  kNone,       // no checkpoint loaded: video plays without an overlay
  kLoading,    // checkpoint being read / model being built
  kWarmingUp,  // model ready, no mask yet
  kRunning,    // masks arriving
  kFailed,     // load or inference failed (message says why)
};

struct HudState {
  ModelStatus model = ModelStatus::kNone;
  QString message;               // detail for kFailed (or kLoading: the file name)
  double capture_fps = 0.0;
  double inference_fps = 0.0;
  double mask_age_ms = -1.0;     // now - capture time of the mask's frame; < 0 = no mask
  bool mask_matches_frame = false;  // the mask was computed from the frame on screen (paused file)
  long long dropped_inference = 0;  // frames captured but never run through the model
  long long dropped_display = 0;    // frames captured but never painted
  QString device;                // "CPU", "CUDA:0", ...
  bool has_source = true;        // false: no video open (a loaded model then waits for one)
  QString overlay;               // where the overlay is blended: "GPU", "CPU (no OpenGL)"; "" = no line
  QString note;                  // a last line, e.g. training sharing the CPU
};

// A mask counts as stale when it is older than `frames` frame intervals at the capture rate, and
// never younger than `floor_ms` (so a 120 fps camera does not flash amber on every jitter). A mask
// of the very frame on screen (a paused file) is never stale, however old.
bool mask_is_stale(const HudState& s, int frames = 3, double floor_ms = 150.0);

class Hud : public QWidget {
  Q_OBJECT

 public:
  explicit Hud(QWidget* parent = nullptr);

  void set_state(const HudState& s);
  const HudState& state() const { return state_; }
  // What the HUD shows, line by line (the same text it paints; tests read it).
  QStringList lines() const;
  bool stale() const { return stale_; }
  bool warning() const;  // amber or red frame: stale mask, no model, or failure

  QSize sizeHint() const override;

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  HudState state_;
  bool stale_ = false;
};

}  // namespace pl::ui
