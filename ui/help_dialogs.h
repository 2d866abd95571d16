#pragma once
// Help ▸ Keyboard shortcuts and Help ▸ About. The About text names the model, the paper, the data
// set's terms of use and says that PolypLens is a research tool, not a certified medical device.
#include <QString>

class QWidget;

namespace pl::ui {

// `preset`: the loaded model's preset ("ann-r18-live"), empty when none is loaded; `model`: the
// window's model summary ("ann-r18-live · default.pt · cpu").
QString about_html(const QString& preset = {}, const QString& model = {});
// "ResNet-18 backbone, <the preset's description>", or "" for an unknown preset.
QString describe_preset(const QString& preset);
QString shortcuts_html();
void show_about(QWidget* parent, const QString& preset = {}, const QString& model = {});
void show_shortcuts(QWidget* parent);

}  // namespace pl::ui
