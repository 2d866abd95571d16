#include "ui/live_tab.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>

#include "core/export/export_paths.h"
#include "core/export/recorder.h"
#include "core/export/snapshot.h"
#include "core/log/log.h"
#include "core/overlay/overlay.h"
#include "core/pipeline/live_session_bridge.h"
#include "core/pipeline/predictor_segmenter.h"
#include "core/video/make_source.h"
#include "ui/model_loader.h"
#include "ui/review_panel.h"
#include "ui/settings.h"
#include "ui/source_bar.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"

namespace pl::ui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// What the user can do about a source error, by category.
QString advice(const core::VideoError& e) {
  using C = core::VideoErrorCategory;
  switch (e.category) {
    case C::InvalidInput: return QObject::tr("Open a video file, a stream URL (rtsp://…) or a camera.");
    case C::NotFound: return QObject::tr("Check the path or pick another source.");
    case C::PermissionDenied: return QObject::tr("Check the file or device permissions (video group for cameras).");
    case C::Busy: return QObject::tr("Close the other program using the camera, then reconnect.");
    case C::MissingPlugin:
      return QObject::tr("Install the GStreamer plugins (gstreamer1.0-libav, -plugins-good, -plugins-ugly).");
    case C::NoVideo: return QObject::tr("The file holds no video stream; pick another file.");
    case C::DecodeError: return QObject::tr("The stream is damaged or in an unsupported format.");
    case C::Network: return QObject::tr("Check the address and the network.");
    case C::DeviceLost: return QObject::tr("Check the camera's cable.");
    case C::Stalled: return QObject::tr("The source stopped sending frames.");
    case C::WriteError: return QObject::tr("Check the disk space and the folder's permissions.");
    case C::Internal: break;
  }
  return QObject::tr("See the log for details.");
}

}  // namespace

LiveTab::LiveTab(Settings& settings, QWidget* parent) : QWidget(parent), settings_(settings) {
  source_bar_ = new SourceBar(this);
  view_ = new VideoView(this);
  transport_ = new TransportBar(this);
  transport_->hide();
  model_ = new ModelLoader(settings_, this);
  review_ = new ReviewPanel(view_, transport_, model_, this);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  layout->addWidget(source_bar_);
  layout->addWidget(view_, 1);
  layout->addWidget(transport_);

  overlay_mode_ = settings_.overlay_mode();
  overlay_alpha_ = settings_.overlay_alpha();
  overlay_limit_to_view_ = settings_.overlay_limit_to_view();
  source_bar_->set_overlay_mode(overlay_mode_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
  view_->set_hud_visible(settings_.hud_visible());
  refresh_sources();
  recompose();  // hands the overlay settings to the review panel

  connect(source_bar_, &SourceBar::open_requested, this, &LiveTab::open_source);
  connect(source_bar_, &SourceBar::open_file_requested, this, &LiveTab::open_file_requested);
  connect(source_bar_, &SourceBar::stop_requested, this, &LiveTab::stop_source);
  connect(source_bar_, &SourceBar::overlay_mode_selected, this, &LiveTab::set_overlay_mode);
  connect(source_bar_, &SourceBar::overlay_alpha_changed, this, &LiveTab::set_overlay_alpha);
  connect(view_, &VideoView::double_clicked, this, &LiveTab::full_screen_toggled);
  connect(transport_, &TransportBar::play_pause_requested, this, &LiveTab::play_pause);
  connect(transport_, &TransportBar::step_requested, this, &LiveTab::step);
  connect(transport_, &TransportBar::seek_requested, this, &LiveTab::seek);
  connect(transport_, &TransportBar::speed_changed, this, &LiveTab::set_speed);
  connect(transport_, &TransportBar::next_detection_requested, this, &LiveTab::next_detection);
  connect(transport_, &TransportBar::previous_detection_requested, this, &LiveTab::previous_detection);
  connect(review_, &ReviewPanel::seek_requested, this, [this](qint64 frame) { seek(frame); });
  connect(model_, &ModelLoader::segmenter_ready, this, &LiveTab::on_segmenter);
  connect(model_, &ModelLoader::changed, this, &LiveTab::refresh_hud);
  connect(model_, &ModelLoader::failed, this, [this](const QString& file, const QString& error) {
    view_->show_toast(tr("Cannot load %1: %2 — load a checkpoint written by 'polyplens train' or the "
                         "Training tab.").arg(file, error),
                      8000);
  });

  session_ = std::make_unique<core::LiveSession>();
  connect_session();

  install_shortcuts();
  hud_timer_.setInterval(250);  // mask age keeps growing while nothing new arrives
  connect(&hud_timer_, &QTimer::timeout, this, &LiveTab::refresh_hud);
  hud_timer_.start();
  view_->set_placeholder(
      tr("No video source.\n\nFile ▸ Open video… (Ctrl+O), File ▸ Open stream URL… (Ctrl+U),\n"
         "pick a camera above, or drop a video file here."));
  refresh_hud();
}

LiveTab::~LiveTab() {
  if (recorder_) recorder_->stop();  // finalises the file
  if (session_) session_->stop();
}

void LiveTab::connect_session() {
  using B = core::LiveSessionBridge;
  bridge_ = new B(*session_, this);
  connect(bridge_, &B::updateReady, this, &LiveTab::pull);
  connect(bridge_, &B::stateChanged, this, &LiveTab::on_state);
  connect(bridge_, &B::errorOccurred, this, &LiveTab::on_error);
  connect(bridge_, &B::reconnecting, this, &LiveTab::on_reconnect);
  connect(bridge_, &B::maskFootprint, this, [this](qint64 frame, const cv::Mat& mask) { on_mask(frame, mask); });
  connect(bridge_, &B::inferenceFailed, this, [this](const QString& message) {
    model_->set_message(message);
    view_->show_toast(tr("Inference failed: %1").arg(message), 4000);
  });
}

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
  record_ = new QAction(tr("Record"), this);
  record_->setObjectName(QStringLiteral("Record"));
  record_->setShortcut(QKeySequence(Qt::Key_R));
  record_->setShortcutContext(Qt::WindowShortcut);
  record_->setCheckable(true);
  record_->setToolTip(tr("The annotated view to an MP4 in the recordings folder"));
  connect(record_, &QAction::triggered, this, [this] {
    toggle_recording();
    record_->setChecked(recording());  // stays off when recording could not start
  });
  connect(this, &LiveTab::recording_changed, record_, &QAction::setChecked);
  addAction(record_);
}

void LiveTab::refresh_sources() { source_bar_->refresh(settings_.recent_urls(), settings_.recent_files()); }

// --- Source ----------------------------------------------------------------------------------

void LiveTab::open_source(const QString& spec) {
  std::unique_ptr<core::FrameSource> source;
  try {
    source = core::make_frame_source(spec.toStdString());
  } catch (const std::exception& e) {
    view_->set_banner(tr("Cannot open '%1': %2").arg(spec, q(e.what())));
    return;
  }
  start(std::move(source), spec, true);
}

void LiveTab::open_frame_source(std::unique_ptr<core::FrameSource> source, const QString& spec) {
  start(std::move(source), spec, false);
}

void LiveTab::start(std::unique_ptr<core::FrameSource> source, const QString& spec, bool remember) {
  source_spec_ = spec;
  source_ok_ = false;
  remember_ = remember;
  source_bar_->set_current(spec);
  source_info_ = {};
  source_info_.description = source->info().description;
  source_error_.clear();
  shown_ = {};
  shown_mask_.reset();
  shown_index_ = -1;
  frames_shown_ = 0;
  view_->clear_frame();
  view_->set_dimmed(false);
  view_->set_alert(false);
  view_->set_banner(tr("Opening %1…").arg(spec), false);
  review_->reset(spec);
  alert_.reset();
  transport_->set_duration(0, 0);
  transport_->hide();
  pl::log::get("ui")->info("opening source {}", core::redact_credentials(spec.toStdString()));
  source_description_ = source ? source->info().description : std::string();
  session_->set_source(std::move(source));
  // The session counts drops over its whole life; the HUD shows this source's.
  const core::SessionStats st = session_->stats();
  dropped_inference_base_ = st.dropped_inference;
  dropped_display_base_ = st.dropped_display;
  session_->start();
  source_bar_->set_stop_enabled(true);
  Q_EMIT source_changed(source_description());
}

void LiveTab::remember_source(bool ok) {
  if (!remember_) return;
  const QString spec = source_spec_;
  const bool device_or_pattern = spec == QStringLiteral("test") || spec.startsWith(QStringLiteral("test:")) ||
                                 spec.startsWith(QStringLiteral("/dev/video"));
  if (!ok) {
    settings_.remove_recent(spec);
    if (settings_.last_source() == spec) settings_.set_last_source({});
  } else {
    if (spec.contains(QStringLiteral("://")) && !spec.startsWith(QStringLiteral("file://"))) {
      settings_.add_recent_url(spec);
    } else if (!device_or_pattern) {
      settings_.add_recent_file(spec);
      settings_.set_last_folder("video", QFileInfo(spec).absolutePath());
    }
    settings_.set_last_source(spec);
  }
  refresh_sources();
  source_bar_->set_current(spec);
  if (ok) Q_EMIT source_opened(spec);
}

void LiveTab::stop_source() {
  if (source_spec_.isEmpty()) return;
  settings_.set_last_source({});
  close_source();
  view_->show_toast(tr("Source closed"), 1500);
}

void LiveTab::close_source() {
  session_->stop();
  source_spec_.clear();
  source_state_ = core::SourceState::Idle;
  source_info_ = {};
  shown_ = {};
  shown_mask_.reset();
  view_->clear_frame();
  view_->set_banner({});
  view_->set_dimmed(false);
  view_->set_alert(false);
  transport_->hide();
  source_bar_->set_stop_enabled(false);
  if (recorder_) toggle_recording();  // nothing more to record
  Q_EMIT source_changed(source_description());
  refresh_hud();
}

bool LiveTab::has_source() const { return !source_spec_.isEmpty(); }

QString LiveTab::source_description() const {
  if (source_spec_.isEmpty()) return tr("no source");
  QString d = source_info_.description.empty() ? source_spec_ : q(source_info_.description);
  if (source_info_.width > 0) d += QStringLiteral(" · %1×%2").arg(source_info_.width).arg(source_info_.height);
  if (source_info_.fps > 0) d += tr(" · %1 fps").arg(source_info_.fps, 0, 'f', source_info_.fps < 10 ? 1 : 0);
  d += QStringLiteral(" · ") + q(core::to_string(source_state_));
  return d;
}

void LiveTab::on_state(core::SourceState s, const core::SourceInfo& info) {
  using S = core::SourceState;
  if (source_spec_.isEmpty() && s != S::Stopped) return;  // a late report from a closed source
  // A report the previous source sent before it was replaced, still queued for this thread: it must
  // not count as the new source playing (it would enter Recent although it fails).
  if (s != S::Stopped && !source_description_.empty() && info.description != source_description_) return;
  source_state_ = s;
  source_info_ = info;
  review_->set_source_info(info);
  switch (s) {
    case S::Opening:
      view_->set_banner(info.live ? tr("Connecting to %1…").arg(q(info.description))
                                  : tr("Opening %1…").arg(q(info.description)),
                        false);
      break;
    case S::Paused:
    case S::Playing:
      if (!source_ok_) {
        source_ok_ = true;
        remember_source(true);
      }
      view_->set_banner({});
      view_->set_dimmed(false);
      source_error_.clear();
      if (info.seekable) {
        if (transport_->frame_count() != info.frame_count || transport_->fps() != info.fps) {
          transport_->set_duration(info.frame_count, info.fps);
        }
        transport_->show();
      } else {
        transport_->hide();
      }
      transport_->set_playing(s == S::Playing);
      break;
    case S::Reconnecting:
      view_->set_dimmed(true);
      break;
    case S::EndOfStream:
      view_->set_banner(tr("End of file — Space plays it again from the start"), false);
      transport_->set_playing(false);
      break;
    case S::Failed:
      view_->set_dimmed(true);
      view_->set_banner(source_error_.isEmpty() ? tr("The source failed; open it again or pick another.")
                                                : source_error_);
      transport_->set_playing(false);
      if (!source_ok_) remember_source(false);  // never played: not kept in Recent
      break;
    case S::Idle:
    case S::Stopped:
      break;
  }
  Q_EMIT source_changed(source_description());
  refresh_hud();
}

void LiveTab::on_error(const core::VideoError& e) {
  source_error_ = tr("%1 %2").arg(q(e.message), advice(e));
  pl::log::get("ui")->warn("source error: {}", e.to_string());
  view_->set_banner(source_error_);
  if (!e.transient) view_->set_dimmed(true);
}

void LiveTab::on_reconnect(const core::ReconnectInfo& r) {
  // Never leave a frozen picture that looks live: grey it out and say what is happening, with the
  // reason (a source that never connected was not "lost": say why it cannot connect).
  view_->set_dimmed(true);
  const QString delay = QString::number(r.delay_ms / 1000.0, 'f', r.delay_ms % 1000 ? 1 : 0);
  const QString reason = r.reason.message.empty() ? QString() : q(r.reason.message);
  if (!source_ok_) {
    view_->set_banner(tr("%1 %2 Retrying in %3 s (attempt %4); Stop gives up.")
                          .arg(reason.isEmpty() ? tr("Cannot connect to %1.").arg(source_spec_) : reason,
                               advice(r.reason), delay)
                          .arg(r.attempt));
  } else {
    view_->set_banner(tr("Source lost%1 — reconnecting in %2 s… (attempt %3)")
                          .arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason, delay)
                          .arg(r.attempt));
  }
}

// --- Display ---------------------------------------------------------------------------------

void LiveTab::pull() {
  core::DisplayUpdate u = session_->take_update();
  if (u.frame.empty()) return;
  const bool changed = u.new_frame || u.new_mask || shown_.empty();
  shown_ = std::move(u.frame);
  if (u.mask) shown_mask_ = std::move(u.mask);
  mask_matches_frame_ = u.mask_matches_frame;
  if (u.new_mask) model_->mark_running();
  if (!changed) return;
  recompose();
  if (u.new_frame) {
    shown_index_ = shown_.index;
    ++frames_shown_;
    transport_->set_position(shown_index_);
    if (!view_->banner().isEmpty() && source_error_.isEmpty() && source_state_ == core::SourceState::Playing) {
      view_->set_banner({});
    }
    view_->set_dimmed(false);
    if (recorder_) recorder_->push(composed_);
    Q_EMIT frame_shown(shown_index_);
  }
  refresh_hud();
}

core::OverlayOptions LiveTab::overlay_options() const {
  core::OverlayOptions o;
  o.mode = core::overlay_mode_from_string(overlay_mode_.toStdString());
  o.alpha = overlay_alpha_;
  o.limit_to_view = overlay_limit_to_view_;
  return o;
}

std::shared_ptr<const core::FieldOfView> LiveTab::shown_view() const {
  if (!shown_mask_ || shown_.empty()) return nullptr;
  return core::view_for_frame(shown_mask_->view, shown_.bgr.size());
}

cv::Mat LiveTab::cpu_composite() const {
  if (shown_.empty()) return {};
  const bool with_mask = shown_mask_ && model_->loaded();
  try {
    return core::compose_overlay(shown_.bgr, with_mask ? shown_mask_->mask : cv::Mat(), overlay_options(),
                                 with_mask ? shown_view().get() : nullptr);
  } catch (const std::exception& e) {  // a malformed mask must not take the picture away
    pl::log::get("ui")->warn("overlay failed: {}", e.what());
    return shown_.bgr;
  }
}

void LiveTab::recompose() {
  const core::OverlayOptions o = overlay_options();
  review_->set_overlay(o);
  if (shown_.empty()) return;
  const bool with_mask = shown_mask_ && model_->loaded();
  // The view blends on the GPU when it can (the mask stays at the model's resolution), else on the CPU.
  view_->set_composite(shown_.bgr, with_mask ? shown_mask_->mask : cv::Mat(), with_mask ? shown_view() : nullptr, o);
  if (recorder_) composed_ = cpu_composite();
  else composed_.release();
}

void LiveTab::refresh_hud() {
  const core::SessionStats st = session_->stats();
  HudState h;
  h.model = model_->status();
  h.message = model_->message();
  if (h.model == ModelStatus::kWarmingUp && st.masks > 0 && !st.warming_up) h.model = ModelStatus::kRunning;
  h.capture_fps = st.capture_fps;
  h.inference_fps = st.inference_fps;
  h.mask_age_ms = st.mask_age_ms;
  h.mask_matches_frame = mask_matches_frame_;
  h.dropped_inference = st.dropped_inference - dropped_inference_base_;
  h.dropped_display = st.dropped_display - dropped_display_base_;
  h.has_source = !source_spec_.isEmpty();
  if (training_) {
    h.note = model_->model_device().startsWith(QStringLiteral("cuda"))
                 ? tr("training runs too (GPU shared)")
                 : tr("training shares the CPU: slower");
  }
  h.device = model_->model_device().isEmpty() ? tr("no model") : model_->model_device();
  h.overlay = view_->gpu_compositing() ? tr("GPU") : tr("CPU (no OpenGL)");
  view_->set_hud_state(h);
}

void LiveTab::set_training_running(bool on) {
  if (on == training_) return;
  training_ = on;
  if (on && model_->loaded()) {
    view_->show_toast(tr("Training is running: live inference shares the processor with it and runs slower"), 5000);
  }
  refresh_hud();
}

// --- Model -----------------------------------------------------------------------------------

void LiveTab::on_segmenter(std::shared_ptr<core::PredictorSegmenter> segmenter) {
  if (!segmenter) {  // unloaded
    session_->set_segmenter(nullptr);
    shown_mask_.reset();
    recompose();
    refresh_hud();
    return;
  }
  session_->set_segmenter(core::share_segmenter(std::move(segmenter)));
  // A paused file gets no new frames: deliver the one on screen again so it gets its mask.
  if (core::FrameSource* src = session_->source();
      src && source_info_.seekable && source_state_ != core::SourceState::Playing && shown_index_ >= 0) {
    src->seek_to_frame(shown_index_);
  }
  view_->show_toast(tr("Model loaded: %1").arg(model_->summary()));
  refresh_hud();
}

// --- Overlay ---------------------------------------------------------------------------------

void LiveTab::set_overlay_mode(const QString& mode) {
  if (mode != "fill" && mode != "outline" && mode != "off") return;
  if (mode == overlay_mode_) return;
  overlay_mode_ = mode;
  settings_.set_overlay_mode(mode);
  source_bar_->set_overlay_mode(mode);
  view_->show_toast(tr("Overlay: %1").arg(mode), 1200);
  recompose();
  Q_EMIT overlay_mode_changed(mode);
}

void LiveTab::cycle_overlay_mode() {
  set_overlay_mode(overlay_mode_ == "fill"      ? QStringLiteral("outline")
                   : overlay_mode_ == "outline" ? QStringLiteral("off")
                                                : QStringLiteral("fill"));
}

void LiveTab::set_overlay_alpha(double alpha) {
  overlay_alpha_ = std::clamp(alpha, 0.0, 1.0);
  settings_.set_overlay_alpha(overlay_alpha_);
  source_bar_->set_overlay_alpha(overlay_alpha_);
  recompose();
}

void LiveTab::set_overlay_limit_to_view(bool on) {
  if (on == overlay_limit_to_view_) return;
  overlay_limit_to_view_ = on;
  settings_.set_overlay_limit_to_view(on);
  view_->show_toast(on ? tr("Overlay only inside the scope's view") : tr("Overlay over the whole frame"), 1200);
  recompose();
}

void LiveTab::set_hud_visible(bool on) {
  view_->set_hud_visible(on);
  settings_.set_hud_visible(on);
}

// --- Transport -------------------------------------------------------------------------------

void LiveTab::play_pause() {
  core::FrameSource* src = session_->source();
  if (!src) return;
  switch (source_state_) {
    case core::SourceState::Playing:
      if (source_info_.seekable) session_->pause();
      break;
    case core::SourceState::EndOfStream:
      src->seek_to_frame(0);
      session_->start();
      break;
    default:
      session_->start();
  }
}

void LiveTab::step(int frames) {
  core::FrameSource* src = session_->source();
  if (!src || !source_info_.seekable) return;
  if (source_state_ == core::SourceState::Playing) session_->pause();
  src->step(frames);
}

void LiveTab::jump_seconds(double seconds) {
  if (source_info_.fps <= 0) return;
  seek(shown_index_ + static_cast<int64_t>(std::lround(seconds * source_info_.fps)));
}

void LiveTab::seek(int64_t frame) {
  core::FrameSource* src = session_->source();
  if (!src || !source_info_.seekable) return;
  int64_t last = source_info_.frame_count > 0 ? source_info_.frame_count - 1 : frame;
  src->seek_to_frame(std::clamp<int64_t>(frame, 0, std::max<int64_t>(0, last)));
}

void LiveTab::set_speed(double speed) {
  if (core::FrameSource* src = session_->source(); src && source_info_.seekable) src->set_rate(speed);
}

void LiveTab::next_detection() {
  if (!source_info_.seekable) return;
  const int64_t f = review_->detections()->next_detection(shown_index_);
  if (f < 0) {
    view_->show_toast(tr("No later detection (so far: only frames shown or scanned are known)"), 2000);
    return;
  }
  if (source_state_ == core::SourceState::Playing) session_->pause();
  seek(f);
}

void LiveTab::previous_detection() {
  if (!source_info_.seekable) return;
  const int64_t f = review_->detections()->previous_detection(shown_index_);
  if (f < 0) {
    view_->show_toast(tr("No earlier detection"), 2000);
    return;
  }
  if (source_state_ == core::SourceState::Playing) session_->pause();
  seek(f);
}

// Each mask's footprint (LiveSessionBridge::maskFootprint): the review's polyp events and the alert,
// once per new event rather than on every flicker (docs/metrics.md §6).
void LiveTab::on_mask(int64_t frame, const cv::Mat& mask) {
  if (source_spec_.isEmpty()) return;  // a late mask of a closed source
  review_->detections()->record_mask(frame, mask);
  using E = core::review::PolypAlert::Event;
  E e = E::None;
  try {
    e = alert_.update_mask(mask);
  } catch (const std::invalid_argument&) {  // a mask of another size: a new source's first mask
    alert_.reset();
    e = alert_.update_mask(mask);
  }
  if (e == E::Appeared) view_->set_alert(true);
  if (e == E::Cleared) view_->set_alert(false);
}

// --- Capture ---------------------------------------------------------------------------------

QString LiveTab::snapshot_folder() const {
  const QString f = settings_.last_folder("snapshot");
  return !f.isEmpty() ? f : q(core::exporting::default_snapshot_dir());
}

void LiveTab::set_snapshot_folder(const QString& folder) { settings_.set_last_folder("snapshot", folder); }

QString LiveTab::recordings_folder() const {
  const QString f = settings_.last_folder("recordings");
  return !f.isEmpty() ? f : q(core::exporting::default_recording_dir());
}

void LiveTab::snapshot() {
  if (shown_.empty()) {
    view_->show_toast(tr("Nothing to snapshot: no video on screen"));
    return;
  }
  core::exporting::SnapshotMeta meta;
  meta.source = source_info_.description.empty() ? source_spec_.toStdString() : source_info_.description;
  meta.frame_index = shown_.index;
  meta.pts_ns = shown_.pts_ns;
  cv::Mat mask;
  std::shared_ptr<const core::FieldOfView> view;
  if (shown_mask_ && model_->loaded()) {
    mask = shown_mask_->mask;
    view = shown_view();
    meta.model_preset = model_->preset().toStdString();
    meta.checkpoint = QFileInfo(model_->checkpoint()).fileName().toStdString();
    meta.device = model_->model_device().toStdString();
    meta.mask_frame_index = shown_mask_->frame_index;
    // How far the mask lags the picture (the HUD's mask age): 0 for the frame's own mask, however
    // long it has been paused.
    meta.mask_age_ms = shown_mask_->frame_index == shown_.index
                           ? 0.0
                           : std::max(0.0, core::ms_between(shown_mask_->captured, shown_.captured));
  }
  core::exporting::SnapshotOptions options;
  options.out_dir = snapshot_folder().toStdString();
  options.overlay_options = overlay_options();
  QDir().mkpath(snapshot_folder());
  // PNG encoding of a full-HD frame takes tens of ms: off the GUI thread.
  auto* watcher = new QFutureWatcher<QString>(this);
  connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, folder = snapshot_folder()] {
    const QString error = watcher->result();
    watcher->deleteLater();
    if (error.isEmpty()) {
      view_->show_toast(tr("Snapshot saved to %1").arg(QDir::toNativeSeparators(folder)));
      Q_EMIT snapshot_written(folder, 1);
    } else {
      view_->show_toast(tr("Snapshot failed: %1").arg(error), 6000);
      Q_EMIT snapshot_written({}, 0);
    }
  });
  watcher->setFuture(QtConcurrent::run([frame = shown_.bgr, mask, view, meta, options]() -> QString {
    try {
      core::exporting::write_snapshot(frame, mask, meta, options, view.get());
      return {};
    } catch (const std::exception& e) {
      return QString::fromStdString(e.what());
    }
  }));
}

void LiveTab::toggle_recording() {
  if (recorder_) {
    // Finalising the MP4 takes tens of ms; do it off the GUI thread and say where the file went.
    std::shared_ptr<core::exporting::Recorder> r(recorder_.release());
    view_->set_recording(false);
    Q_EMIT recording_changed(false);
    auto* watcher = new QFutureWatcher<QString>(this);
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, path = q(r->options().path)] {
      const QString error = watcher->result();
      watcher->deleteLater();
      view_->show_toast(error.isEmpty() ? tr("Recording saved to %1").arg(QDir::toNativeSeparators(path))
                                        : tr("Recording %1 ended with an error: %2").arg(path, error),
                        error.isEmpty() ? 3000 : 8000);
    });
    watcher->setFuture(QtConcurrent::run([r]() { return QString::fromStdString(r->stop().error); }));
    return;
  }
  if (shown_.empty()) {
    view_->show_toast(tr("Nothing to record: no video on screen"));
    return;
  }
  composed_ = cpu_composite();
  core::exporting::RecorderOptions o;
  o.path = core::exporting::new_recording_path(
      recordings_folder().toStdString(), source_info_.description.empty() ? "live" : source_info_.description);
  o.width = composed_.cols;
  o.height = composed_.rows;
  o.fps = source_info_.fps > 0 ? source_info_.fps : 25.0;
  o.on_error = [this](const std::string& message) {
    QMetaObject::invokeMethod(this, [this, m = q(message)] {
      view_->show_toast(tr("Recording stopped: %1").arg(m), 8000);
      if (recorder_) toggle_recording();
    }, Qt::QueuedConnection);
  };
  try {
    auto r = std::make_unique<core::exporting::Recorder>(o);
    r->start();
    recorder_ = std::move(r);
  } catch (const std::exception& e) {
    view_->show_toast(tr("Cannot record: %1").arg(q(e.what())), 8000);
    return;
  }
  recorder_->push(composed_);
  view_->set_recording(true);
  view_->show_toast(tr("Recording to %1").arg(QDir::toNativeSeparators(q(o.path))));
  Q_EMIT recording_changed(true);
}

}  // namespace pl::ui
