#pragma once
// Transport icons drawn in the theme's text colour: the style's media icons are dark grey and
// nearly vanish on the dark palette. Detection jumps are drawn in the polyp red.
#include <QIcon>

namespace pl::ui {

enum class TransportIcon { Play, Pause, StepBack, StepForward, PreviousDetection, NextDetection };

QIcon transport_icon(TransportIcon kind);

}  // namespace pl::ui
