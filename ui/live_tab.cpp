#include "ui/live_tab.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QVBoxLayout>

#include "core/log/log.h"
#include "ui/hud.h"
#include "ui/settings.h"
#include "ui/source_bar.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"

namespace pl::ui {

LiveTab::LiveTab(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  source_bar_ = new SourceBar(this);
  view_ = new VideoView(this);
  transport_ = new TransportBar(this);
  transport_->hide();

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  layout->addWidget(source_bar_);
  layout->addWidget(view_, 1);
  layout->addWidget(transport_);

  overlay_mode_ = settings_.overlay_mode();
  overlay_alpha_ = settings_.overlay_alpha();
  source_bar_->set_overlay_mode(overlay_mode_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
  view_->set_hud_visible(settings_.hud_visible());
  refresh_sources();

  connect(source_bar_, &SourceBar::open_requested, this, &LiveTab::open_source);
  connect(source_bar_, &SourceBar::open_file_requested, this, &LiveTab::open_file_requested);
  connect(source_bar_, &SourceBar::overlay_mode_selected, this, &LiveTab::set_overlay_mode);
  connect(source_bar_, &SourceBar::overlay_alpha_changed, this, &LiveTab::set_overlay_alpha);
  connect(view_, &VideoView::double_clicked, this, &LiveTab::full_screen_toggled);
  connect(transport_, &TransportBar::play_pause_requested, this, &LiveTab::play_pause);
  connect(transport_, &TransportBar::step_requested, this, &LiveTab::step);
  connect(transport_, &TransportBar::next_detection_requested, this, &LiveTab::next_detection);
  connect(transport_, &TransportBar::previous_detection_requested, this, &LiveTab::previous_detection);

  install_shortcuts();
  HudState hud;
  view_->set_hud_state(hud);
  refresh_placeholder();
}

LiveTab::~LiveTab() = default;

Hud* LiveTab::hud() const { return view_->hud(); }

void LiveTab::install_shortcuts() {
  // Window-wide keys that only mean something here; the main window disables this tab's actions
  // while another tab is current (QWidget::actions() of this widget).
  auto add = [this](const QString& name, const QKeySequence& key, auto fn) {
    auto* a = new QAction(name, this);
    a->setObjectName(name);
    a->setShortcut(key);
    a->setShortcutContext(Qt::WindowShortcut);
    connect(a, &QAction::triggered, this, fn);
    addAction(a);
  };
  add(tr("Play / pause"), QKeySequence(Qt::Key_Space), [this] { play_pause(); });
  add(tr("Previous frame"), QKeySequence(Qt::Key_Left), [this] { step(-1); });
  add(tr("Next frame"), QKeySequence(Qt::Key_Right), [this] { step(+1); });
  add(tr("Back 5 s"), QKeySequence(Qt::SHIFT | Qt::Key_Left), [this] { jump_seconds(-5); });
  add(tr("Forward 5 s"), QKeySequence(Qt::SHIFT | Qt::Key_Right), [this] { jump_seconds(+5); });
  add(tr("Next detection"), QKeySequence(Qt::Key_N), [this] { next_detection(); });
  add(tr("Previous detection"), QKeySequence(Qt::Key_P), [this] { previous_detection(); });
  add(tr("Record"), QKeySequence(Qt::Key_R), [this] { toggle_recording(); });
}

void LiveTab::refresh_sources() { source_bar_->refresh(settings_.recent_urls(), settings_.recent_files()); }

void LiveTab::refresh_placeholder() {
  view_->set_placeholder(
      tr("No video source.\n\nFile ▸ Open video… (Ctrl+O), File ▸ Open stream URL… (Ctrl+U),\n"
         "pick a camera above, or drop a video file here."));
}

void LiveTab::open_source(const QString& spec) {
  source_spec_ = spec;
  view_->set_banner(tr("Cannot play '%1': video playback is not part of this build yet.").arg(spec));
  Q_EMIT source_changed(source_description());
}

void LiveTab::close_source() {
  source_spec_.clear();
  view_->clear_frame();
  view_->set_banner({});
  transport_->hide();
  Q_EMIT source_changed(source_description());
}

bool LiveTab::has_source() const { return !source_spec_.isEmpty(); }

QString LiveTab::source_description() const {
  return source_spec_.isEmpty() ? tr("no source") : source_spec_;
}

void LiveTab::load_checkpoint(const QString& path) {
  view_->show_toast(tr("Cannot load '%1': models are not part of this build yet.").arg(QFileInfo(path).fileName()));
}

QString LiveTab::model_summary() const { return tr("no model"); }

void LiveTab::set_overlay_mode(const QString& mode) {
  if (mode != "fill" && mode != "outline" && mode != "off") return;
  if (mode == overlay_mode_) return;
  overlay_mode_ = mode;
  settings_.set_overlay_mode(mode);
  source_bar_->set_overlay_mode(mode);
  view_->show_toast(tr("Overlay: %1").arg(mode), 1200);
  Q_EMIT overlay_mode_changed(mode);
}

void LiveTab::cycle_overlay_mode() {
  set_overlay_mode(overlay_mode_ == "fill" ? QStringLiteral("outline")
                   : overlay_mode_ == "outline" ? QStringLiteral("off")
                                                : QStringLiteral("fill"));
}

void LiveTab::set_overlay_alpha(double alpha) {
  overlay_alpha_ = std::clamp(alpha, 0.0, 1.0);
  settings_.set_overlay_alpha(overlay_alpha_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
}

void LiveTab::set_hud_visible(bool on) {
  view_->set_hud_visible(on);
  settings_.set_hud_visible(on);
}

void LiveTab::play_pause() {}
void LiveTab::step(int) {}
void LiveTab::jump_seconds(double) {}

void LiveTab::next_detection() {}
void LiveTab::previous_detection() {}

void LiveTab::snapshot() {
  if (!view_->has_frame()) {
    view_->show_toast(tr("Nothing to snapshot: no video on screen"));
    return;
  }
  QString folder = settings_.last_folder("snapshot");
  if (folder.isEmpty()) {
    folder = QDir(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)).filePath("PolypLens");
  }
  QDir().mkpath(folder);
  const QString path = QDir(folder).filePath(
      QStringLiteral("polyplens-%1.png").arg(QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss-zzz")));
  if (view_->frame().save(path)) {
    view_->show_toast(tr("Snapshot saved to %1").arg(QDir::toNativeSeparators(path)));
  } else {
    view_->show_toast(tr("Snapshot failed: cannot write %1").arg(QDir::toNativeSeparators(path)), 4000);
  }
}

void LiveTab::toggle_recording() {
  view_->show_toast(tr("Recording is not part of this build yet"));
}

}  // namespace pl::ui
