#pragma once
// Help ▸ Keyboard shortcuts and Help ▸ About. The About text names the model, the paper, the data
// set's terms of use and says that PolypLens is a research tool, not a certified medical device.
#include <QString>

class QWidget;

namespace pl::ui {

QString about_html();
QString shortcuts_html();
void show_about(QWidget* parent);
void show_shortcuts(QWidget* parent);

}  // namespace pl::ui
