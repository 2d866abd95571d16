#pragma once
// The dark look: Fusion style, a dark palette and a few shared colours. The room is dim during a
// procedure and the video must stay the brightest thing on screen.
#include <QColor>

class QApplication;

namespace pl::ui {

namespace colors {
inline const QColor kWindow{37, 40, 45};
inline const QColor kBase{27, 29, 33};
inline const QColor kText{222, 224, 228};
inline const QColor kMutedText{150, 155, 163};
inline const QColor kAccent{64, 200, 170};    // the icon's teal
inline const QColor kAmber{255, 176, 32};     // stale mask, warnings
inline const QColor kDanger{230, 70, 60};     // recording dot, errors, polyp marks
inline const QColor kOk{90, 200, 110};
}  // namespace colors

// Applies Fusion + the dark palette + the small style sheet to the whole application.
void apply_dark_theme(QApplication& app);

}  // namespace pl::ui
