#include "ui/theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyleFactory>

namespace pl::ui {

void apply_dark_theme(QApplication& app) {
  app.setStyle(QStyleFactory::create("Fusion"));

  QPalette p;
  p.setColor(QPalette::Window, colors::kWindow);
  p.setColor(QPalette::WindowText, colors::kText);
  p.setColor(QPalette::Base, colors::kBase);
  p.setColor(QPalette::AlternateBase, colors::kWindow);
  p.setColor(QPalette::ToolTipBase, colors::kBase);
  p.setColor(QPalette::ToolTipText, colors::kText);
  p.setColor(QPalette::PlaceholderText, colors::kMutedText);
  p.setColor(QPalette::Text, colors::kText);
  p.setColor(QPalette::Button, QColor(48, 52, 58));
  p.setColor(QPalette::ButtonText, colors::kText);
  p.setColor(QPalette::BrightText, Qt::white);
  p.setColor(QPalette::Link, colors::kAccent);
  p.setColor(QPalette::Highlight, QColor(42, 130, 112));
  p.setColor(QPalette::HighlightedText, Qt::white);
  p.setColor(QPalette::Light, QColor(70, 75, 82));
  p.setColor(QPalette::Midlight, QColor(58, 62, 68));
  p.setColor(QPalette::Mid, QColor(44, 47, 52));
  p.setColor(QPalette::Dark, QColor(20, 22, 25));
  p.setColor(QPalette::Shadow, Qt::black);
  for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) {
    p.setColor(QPalette::Disabled, role, QColor(110, 114, 120));
  }
  p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(60, 64, 70));
  app.setPalette(p);

  // Only what the palette cannot say: flatter tabs, a quieter status bar, and the "changed from the
  // paper's default" marker used by the training form.
  app.setStyleSheet(QStringLiteral(
      "QTabWidget::pane { border: 0; }"
      "QTabBar::tab { padding: 6px 18px; }"
      "QStatusBar { color: #a0a5ad; }"
      "QStatusBar::item { border: 0; }"
      "QToolTip { color: #dee0e4; background: #1b1d21; border: 1px solid #40c8aa; }"
      "QGroupBox { font-weight: bold; border: 1px solid #3a3e44; border-radius: 4px; margin-top: 1.2em;"
      "            padding-top: 0.4em; }"
      "QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }"
      "*[changed=\"true\"] { background: #4a3b12; }"));
}

}  // namespace pl::ui
