#include "ui/source_bar.h"

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

#include "core/video/device_list.h"

namespace pl::ui {

SourceBar::SourceBar(QWidget* parent) : QWidget(parent) {
  sources_ = new QComboBox(this);
  sources_->setMinimumContentsLength(28);
  sources_->setMaximumWidth(520);
  sources_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  sources_->setToolTip(tr("Capture devices found on this machine, recent stream URLs and files"));
  sources_->setFocusPolicy(Qt::NoFocus);
  open_ = new QToolButton(this);
  open_->setText(tr("Connect"));
  open_->setToolTip(tr("Open the selected source"));
  open_->setFocusPolicy(Qt::NoFocus);
  stop_ = new QToolButton(this);
  stop_->setText(tr("Stop"));
  stop_->setObjectName(QStringLiteral("stop"));
  stop_->setToolTip(tr("Close the source (stops reconnecting; not reopened at the next start)"));
  stop_->setFocusPolicy(Qt::NoFocus);
  stop_->setEnabled(false);
  file_ = new QToolButton(this);
  file_->setIcon(style()->standardIcon(QStyle::SP_DialogOpenButton));
  file_->setToolTip(tr("Open video file… (Ctrl+O)"));
  file_->setFocusPolicy(Qt::NoFocus);

  mode_ = new QComboBox(this);
  mode_->addItem(tr("Fill"), "fill");
  mode_->addItem(tr("Outline"), "outline");
  mode_->addItem(tr("Off"), "off");
  mode_->setToolTip(tr("Overlay mode (O cycles)"));
  mode_->setFocusPolicy(Qt::NoFocus);
  alpha_ = new QSlider(Qt::Horizontal, this);
  alpha_->setRange(0, 100);
  alpha_->setFixedWidth(110);
  alpha_->setToolTip(tr("Overlay opacity"));
  alpha_->setFocusPolicy(Qt::NoFocus);

  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(6, 4, 6, 4);
  row->addWidget(new QLabel(tr("Source"), this));
  row->addWidget(sources_, 1);
  row->addWidget(open_);
  row->addWidget(stop_);
  row->addWidget(file_);
  row->addStretch(1);
  row->addWidget(new QLabel(tr("Overlay"), this));
  row->addWidget(mode_);
  row->addWidget(alpha_);

  connect(open_, &QToolButton::clicked, this, [this] {
    const QString spec = sources_->currentData().toString();
    if (!spec.isEmpty()) Q_EMIT open_requested(spec);
  });
  connect(file_, &QToolButton::clicked, this, &SourceBar::open_file_requested);
  connect(stop_, &QToolButton::clicked, this, &SourceBar::stop_requested);
  connect(mode_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this] { Q_EMIT overlay_mode_selected(mode_->currentData().toString()); });
  connect(alpha_, &QSlider::valueChanged, this, [this](int v) { Q_EMIT overlay_alpha_changed(v / 100.0); });
}

QList<SourceBar::Device> SourceBar::find_devices() {
  QList<Device> out;
  for (const auto& d : core::list_video_devices()) {
    if (d.path.empty()) continue;  // not addressable as a V4L2 node
    const QString path = QString::fromStdString(d.path);
    out.push_back({path, QStringLiteral("%1 (%2)").arg(QString::fromStdString(d.name), path)});
  }
  return out;
}

void SourceBar::refresh(const QStringList& recent_urls, const QStringList& recent_files) {
  const QString current = sources_->currentData().toString();
  sources_->clear();
  for (const Device& d : find_devices()) sources_->addItem(d.label, d.spec);
  for (const QString& u : recent_urls) sources_->addItem(u, u);
  for (const QString& f : recent_files) sources_->addItem(QFileInfo(f).fileName(), f);
  sources_->addItem(tr("Test pattern"), QStringLiteral("test:"));
  const int i = sources_->findData(current);
  if (i >= 0) sources_->setCurrentIndex(i);
}

QStringList SourceBar::sources() const {
  QStringList out;
  for (int i = 0; i < sources_->count(); ++i) out << sources_->itemData(i).toString();
  return out;
}

void SourceBar::set_current(const QString& spec) {
  const int i = sources_->findData(spec);
  if (i >= 0) sources_->setCurrentIndex(i);
}

void SourceBar::set_stop_enabled(bool on) { stop_->setEnabled(on); }
bool SourceBar::stop_enabled() const { return stop_->isEnabled(); }

void SourceBar::set_overlay_mode(const QString& mode) {
  const QSignalBlocker block(mode_);
  mode_->setCurrentIndex(std::max(0, mode_->findData(mode)));
}

void SourceBar::set_overlay_alpha(double alpha) {
  const QSignalBlocker block(alpha_);
  alpha_->setValue(static_cast<int>(alpha * 100 + 0.5));
}

}  // namespace pl::ui
