#include "ui/hud.h"

#include <QFontDatabase>
#include <QPainter>
#include <algorithm>

#include "ui/theme.h"

namespace pl::ui {

bool mask_is_stale(const HudState& s, int frames, double floor_ms) {
  if (s.model != ModelStatus::kRunning || s.mask_age_ms < 0 || s.mask_matches_frame) return false;
  const double interval = s.capture_fps > 0 ? 1000.0 / s.capture_fps : 33.3;
  return s.mask_age_ms > std::max(floor_ms, frames * interval);
}

Hud::Hud(QWidget* parent) : QWidget(parent) {
  setAttribute(Qt::WA_TransparentForMouseEvents);
  QFont f = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  f.setPointSizeF(std::max(9.0, f.pointSizeF()));
  setFont(f);
}

void Hud::set_state(const HudState& s) {
  state_ = s;
  stale_ = mask_is_stale(s);
  update();
}

bool Hud::warning() const {
  return stale_ || state_.model == ModelStatus::kNone || state_.model == ModelStatus::kFailed;
}

QStringList Hud::lines() const {
  QStringList out;
  switch (state_.model) {
    case ModelStatus::kNone:
      out << tr("no model loaded — Model ▸ Load checkpoint…");
      break;
    case ModelStatus::kLoading:
      out << (state_.message.isEmpty() ? tr("loading model…") : tr("loading %1…").arg(state_.message));
      break;
    case ModelStatus::kWarmingUp:
      out << (state_.has_source ? tr("model warming up") : tr("model ready — open a video"));
      break;
    case ModelStatus::kFailed:
      out << tr("model failed: %1").arg(state_.message);
      break;
    case ModelStatus::kRunning:
      break;
  }
  out << tr("capture   %1 fps").arg(state_.capture_fps, 5, 'f', 1);
  if (state_.model == ModelStatus::kRunning || state_.model == ModelStatus::kWarmingUp) {
    out << tr("inference %1 fps").arg(state_.inference_fps, 5, 'f', 1);
    out << (state_.mask_matches_frame ? tr("mask age  this frame")
            : state_.mask_age_ms >= 0 ? tr("mask age  %1 ms%2")
                                          .arg(state_.mask_age_ms, 5, 'f', 0)
                                          .arg(stale_ ? tr("  STALE") : QString())
                                    : tr("mask age      —"));
    out << tr("dropped   %1 model · %2 display").arg(state_.dropped_inference).arg(state_.dropped_display);
  }
  out << tr("device    %1").arg(state_.device.isEmpty() ? tr("—") : state_.device);
  if (!state_.overlay.isEmpty()) out << tr("overlay   %1").arg(state_.overlay);
  if (!state_.note.isEmpty()) out << state_.note;
  return out;
}

QSize Hud::sizeHint() const {
  const QFontMetrics fm(font());
  const QStringList ls = lines();
  // At least as wide as a running model's lines with large counts, so the picture beside it does not
  // change size as the numbers and states change.
  int w = fm.horizontalAdvance(tr("dropped   %1 model · %2 display").arg(99999).arg(99999));
  for (const QString& l : ls) w = std::max(w, fm.horizontalAdvance(l));
  return {w + 20, static_cast<int>(ls.size()) * fm.lineSpacing() + 14};
}

void Hud::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  const QColor edge = state_.model == ModelStatus::kFailed ? colors::kDanger
                      : warning()                          ? colors::kAmber
                                                           : QColor(255, 255, 255, 60);
  p.setPen(QPen(edge, warning() ? 2 : 1));
  p.setBrush(QColor(0, 0, 0, 150));
  p.drawRoundedRect(rect().adjusted(1, 1, -1, -1), 6, 6);
  p.setPen(warning() ? colors::kAmber : colors::kText);
  const QFontMetrics fm(font());
  int y = 7 + fm.ascent();
  for (const QString& l : lines()) {
    p.drawText(10, y, l);
    y += fm.lineSpacing();
  }
}

}  // namespace pl::ui
