#include "ui/help_dialogs.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QMessageBox>
#include <QVBoxLayout>

#include "model/presets.h"

namespace pl::ui {

QString describe_preset(const QString& preset) {
  try {
    const auto options = pl::model::preset(preset.toStdString());
    return QObject::tr("ResNet-%1 backbone, %2")
        .arg(options.depth)
        .arg(QString::fromStdString(pl::model::preset_description(preset.toStdString())));
  } catch (const std::exception&) {
    return {};
  }
}

QString about_html(const QString& preset, const QString& model) {
  QString loaded;
  if (model.isEmpty() || preset.isEmpty()) {
    loaded = QObject::tr("No model is loaded now.");
  } else {
    const QString what = describe_preset(preset);
    loaded = QObject::tr("Loaded now: <b>%1</b>%2.").arg(model.toHtmlEscaped(),
                                                          what.isEmpty() ? QString() : " — " + what.toHtmlEscaped());
  }
  return QStringLiteral(
      "<h2>PolypLens %1</h2>"
      "<p>Real-time polyp segmentation overlay for colonoscopy video.</p>"
      "<p><b>Model.</b> ANN: a dilated ResNet encoder (output stride 8) with an asymmetric non-local "
      "decoder — AFNB fuses stages 4 and 5, APNB adds pyramid-sampled self-attention — and an FCN "
      "auxiliary head used in training. The paper's model (ann-r50) uses ResNet-50; the live presets "
      "use ResNet-18 so a CPU keeps up with the video.</p>"
      "<p>%2</p>"
      "<p><b>Paper.</b> Farhan, Thulnoon &amp; Jasem, <i>Developing an efficient polyp segmentation "
      "using residual learning in asymmetric non-local neural networks</i>, Journal of University of "
      "Anbar for Pure Science (JUAPS), 2025.</p>"
      "<p><b>Data set.</b> Kvasir-SEG (Jha et al., <i>Kvasir-SEG: A Segmented Polyp Dataset</i>, MMM "
      "2020). Its images and masks may be used for research and education only; cite the paper and do "
      "not redistribute them commercially. Models trained on it inherit those terms.</p>"
      "<p style='color:#ffb020'><b>PolypLens is a research tool, not a certified medical device.</b> "
      "It must not be used to make or support clinical decisions.</p>")
      .arg(QStringLiteral(POLYPLENS_VERSION), loaded);
}

QString shortcuts_html() {
  const char* rows[][2] = {
      {"Space", "Play / pause"},
      {"← / →", "Previous / next frame"},
      {"Shift+← / Shift+→", "Jump 5 s back / forward"},
      {"N / P", "Next / previous detection"},
      {"O", "Cycle overlay: fill → outline → off"},
      {"S", "Snapshot"},
      {"R", "Start / stop recording (File ▸ Record)"},
      {"H", "HUD on / off"},
      {"F11, double-click", "Full screen"},
      {"Esc", "Leave full screen"},
      {"Ctrl+O", "Open video…"},
      {"Ctrl+U", "Open stream URL…"},
      {"Ctrl+W", "Close the source (Stop)"},
      {"Ctrl+L", "Load checkpoint…"},
      {"Ctrl+1 / Ctrl+2", "Live / Review tab, Training tab"},
      {"Ctrl+G", "Detection segments (click one to go there)"},
      {"Ctrl+Q", "Quit"},
  };
  QString html = QStringLiteral("<table cellspacing='0' cellpadding='4'>");
  for (const auto& r : rows) {
    html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(QString::fromUtf8(r[0]),
                                                                          QString::fromUtf8(r[1]));
  }
  return html + QStringLiteral("</table>");
}

void show_about(QWidget* parent, const QString& preset, const QString& model) {
  QMessageBox box(parent);
  box.setWindowTitle(QObject::tr("About PolypLens"));
  box.setIconPixmap(QPixmap(QStringLiteral(":/icons/polyplens.png")).scaled(96, 96, Qt::KeepAspectRatio,
                                                                             Qt::SmoothTransformation));
  box.setTextFormat(Qt::RichText);
  box.setText(about_html(preset, model));
  box.exec();
}

void show_shortcuts(QWidget* parent) {
  QDialog dialog(parent);
  dialog.setWindowTitle(QObject::tr("Keyboard shortcuts"));
  auto* layout = new QVBoxLayout(&dialog);
  auto* label = new QLabel(shortcuts_html(), &dialog);
  label->setTextFormat(Qt::RichText);
  layout->addWidget(label);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
  QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  layout->addWidget(buttons);
  dialog.exec();
}

}  // namespace pl::ui
