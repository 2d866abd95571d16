#include "ui/review_panel.h"

#include <QDialog>
#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "core/export/batch_export.h"
#include "core/log/log.h"
#include "core/review/detection_scan.h"
#include "core/review/segment_report.h"
#include "ui/model_loader.h"
#include "ui/timeline_slider.h"
#include "ui/transport_bar.h"
#include "ui/video_view.h"

namespace pl::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

ReviewPanel::ReviewPanel(VideoView* view, TransportBar* transport, ModelLoader* model, QObject* parent)
    : QObject(parent), view_(view), transport_(transport), model_(model) {
  connect(transport_, &TransportBar::scan_requested, this, &ReviewPanel::scan_detections);
  strip_timer_.setInterval(250);  // the track changes with every mask; the strip follows at 4 Hz
  connect(&strip_timer_, &QTimer::timeout, this, &ReviewPanel::refresh_strip);
  strip_timer_.start();
}

ReviewPanel::~ReviewPanel() {
  scan_.reset();      // cancels and joins
  exporter_.reset();  // cancels and joins
}

void ReviewPanel::reset(const QString& spec) {
  spec_ = spec;
  info_ = {};
  scan_.reset();  // a pass over the previous file is of no use now
  scan_pending_ = false;
  transport_->set_scan_progress(-1);
  track_->reset(0, 0);
  track_->set_source(spec.toStdString());
  strip_revision_ = ~uint64_t{0};
  transport_->slider()->set_marks({});
}

void ReviewPanel::set_source_info(const core::SourceInfo& info) {
  info_ = info;
  if (info.seekable && track_->known_frames() == 0 && track_->frame_count() != info.frame_count) {
    track_->reset(info.frame_count, info.fps);
  }
}

void ReviewPanel::refresh_strip() {
  if (!transport_->isVisible()) return;
  const int cells = transport_->slider()->strip_cells();
  const uint64_t rev = track_->revision();
  if (rev == strip_revision_ && cells == strip_cells_) return;
  strip_revision_ = rev;
  strip_cells_ = cells;
  std::vector<TimelineMark> marks;
  const auto strip = track_->strip(cells);
  marks.reserve(strip.size());
  float peak = 0;
  for (const auto& c : strip) peak = std::max(peak, c.peak_area);
  for (const auto& c : strip) {
    TimelineMark m;
    m.first = c.first;
    m.last = c.last;
    m.state = c.state == core::review::StripCell::State::Detected ? TimelineMark::State::Detected
              : c.state == core::review::StripCell::State::Clear  ? TimelineMark::State::Clear
                                                                   : TimelineMark::State::Unknown;
    m.strength = peak > 0 ? c.peak_area / peak : 1.0f;
    marks.push_back(m);
  }
  transport_->slider()->set_marks(std::move(marks));
}

// --- Detection pass --------------------------------------------------------------------------

bool ReviewPanel::scanning() const { return scan_pending_ || (scan_ && scan_->running()); }

bool ReviewPanel::scan_detections() {
  if (scanning()) {
    if (scan_) scan_->cancel();
    return false;
  }
  if (!is_file()) {
    view_->show_toast(tr("The detection pass works on video files"), 3000);
    return false;
  }
  if (model_->checkpoint().isEmpty()) {
    view_->show_toast(tr("The detection pass needs a model: Model ▸ Load checkpoint…"), 4000);
    return false;
  }
  core::review::JobCallbacks cb;
  cb.on_progress = [this](const core::review::JobProgress& p) {
    QMetaObject::invokeMethod(this, [this, f = p.fraction()] { transport_->set_scan_progress(f); },
                              Qt::QueuedConnection);
  };
  cb.on_finished = [this](const core::review::JobResult& r) {
    QMetaObject::invokeMethod(this, [this, r] {
      transport_->set_scan_progress(-1);
      using O = core::review::JobOutcome;
      view_->show_toast(r.outcome == O::Finished    ? tr("Detection pass finished: %1 segment(s)")
                                                          .arg(track_->segments().size())
                        : r.outcome == O::Cancelled ? tr("Detection pass cancelled")
                                                    : tr("Detection pass failed: %1").arg(q(r.error)),
                        4000);
      Q_EMIT scan_finished(r.outcome == O::Finished);
    }, Qt::QueuedConnection);
  };
  scan_ = std::make_unique<core::review::DetectionScan>(track_, cb);
  scan_pending_ = true;
  transport_->set_scan_progress(0);
  // Its own model instance (the live pipeline keeps using its own), built off the GUI thread.
  auto* watcher = new QFutureWatcher<ModelLoader::Instance>(this);
  connect(watcher, &QFutureWatcher<ModelLoader::Instance>::finished, this,
          [this, watcher, video = spec_.toStdString(), scan = scan_.get()] {
            ModelLoader::Instance r = watcher->result();
            watcher->deleteLater();
            if (scan != scan_.get()) return;  // another file was opened meanwhile
            scan_pending_ = false;
            if (!r.segmenter) {
              transport_->set_scan_progress(-1);
              view_->show_toast(tr("Detection pass: cannot load the model: %1").arg(r.error), 6000);
              Q_EMIT scan_finished(false);
              return;
            }
            core::review::ScanOptions options;
            options.stride = 2;  // every other frame: half the cost, segments stay whole (max_gap 5)
            try {
              scan_->start(video, core::share_segmenter(std::move(r.segmenter)), options);
            } catch (const std::exception& e) {
              transport_->set_scan_progress(-1);
              view_->show_toast(tr("Detection pass: %1").arg(q(e.what())), 6000);
              Q_EMIT scan_finished(false);
            }
          });
  watcher->setFuture(model_->build_instance());
  return true;
}

// --- Export frames ---------------------------------------------------------------------------

bool ReviewPanel::exporting() const { return exporter_ && exporter_->running(); }

void ReviewPanel::cancel_export() {
  if (exporter_) exporter_->cancel();
}

bool ReviewPanel::export_frames(const QString& out_dir, bool detections_only, int every_n) {
  if (exporting()) {
    view_->show_toast(tr("An export is already running"));
    return false;
  }
  if (!is_file()) {
    view_->show_toast(tr("Export frames works on video files: open one first (File ▸ Open video…)"), 5000);
    return false;
  }
  if (detections_only && model_->checkpoint().isEmpty()) {
    view_->show_toast(tr("Exporting detections needs a model: Model ▸ Load checkpoint…"), 5000);
    return false;
  }
  core::exporting::BatchExportOptions options;
  options.selection = detections_only ? core::exporting::BatchSelection::Detections
                                      : core::exporting::BatchSelection::EveryNth;
  options.every_n = std::max(1, every_n);
  options.snapshot.out_dir = out_dir.toStdString();
  options.snapshot.overlay_options = overlay_;
  core::exporting::SnapshotMeta meta;
  meta.source = info_.description;
  meta.model_preset = model_->preset().toStdString();
  meta.checkpoint = QFileInfo(model_->checkpoint()).fileName().toStdString();
  meta.device = model_->model_device().toStdString();
  const std::string video = spec_.toStdString();

  core::review::JobCallbacks cb;
  cb.on_progress = [this](const core::review::JobProgress& p) {
    QMetaObject::invokeMethod(this, [this, f = p.fraction()] { Q_EMIT export_progress(f); }, Qt::QueuedConnection);
  };
  cb.on_finished = [this](const core::review::JobResult& r) {
    QMetaObject::invokeMethod(this, [this, r] {
      const auto summary = exporter_ ? exporter_->summary() : core::exporting::BatchSummary{};
      using O = core::review::JobOutcome;
      const QString message =
          r.outcome == O::Finished    ? tr("Exported %1 frames to %2").arg(summary.frames_exported).arg(q(summary.folder))
          : r.outcome == O::Cancelled ? tr("Export cancelled after %1 frames (kept in %2)")
                                            .arg(summary.frames_exported).arg(q(summary.folder))
                                      : tr("Export failed: %1").arg(q(r.error));
      view_->show_toast(message, 6000);
      Q_EMIT export_finished(r.outcome == O::Finished, message);
    }, Qt::QueuedConnection);
  };
  exporter_ = std::make_unique<core::exporting::BatchExporter>(cb);
  const auto start = [this, video, meta, options](std::unique_ptr<core::FrameSegmenter> segmenter) {
    try {
      exporter_->start(video, std::move(segmenter), meta, options);
    } catch (const std::exception& e) {
      view_->show_toast(tr("Cannot export: %1").arg(q(e.what())), 6000);
      Q_EMIT export_finished(false, q(e.what()));
    }
  };
  view_->show_toast(tr("Exporting frames to %1…").arg(QDir::toNativeSeparators(out_dir)));
  if (model_->checkpoint().isEmpty()) {  // every Nth frame without a model: frames only
    start(nullptr);
    return true;
  }
  // The exporter needs its own model instance (the live pipeline keeps its own); building it takes
  // seconds, so it happens off the GUI thread.
  auto* watcher = new QFutureWatcher<ModelLoader::Instance>(this);
  connect(watcher, &QFutureWatcher<ModelLoader::Instance>::finished, this, [this, watcher, start] {
    ModelLoader::Instance r = watcher->result();
    watcher->deleteLater();
    if (!r.segmenter) {
      view_->show_toast(tr("Cannot export: %1").arg(r.error), 6000);
      Q_EMIT export_finished(false, r.error);
      return;
    }
    start(core::share_segmenter(std::move(r.segmenter)));
  });
  watcher->setFuture(model_->build_instance());
  return true;
}

// --- Report and segments ---------------------------------------------------------------------

QString ReviewPanel::export_detection_report(const QString& path) {
  QString error;
  if (track_->segments().empty()) {
    error = tr("No detections to report yet: play the file with a model loaded, or scan it (Scan).");
  } else {
    try {
      core::review::write_segments_csv(path.toStdString(), *track_, true);
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    }
  }
  if (error.isEmpty()) {
    view_->show_toast(tr("Detection report saved: %1").arg(path), 3000);
    pl::log::get("ui")->info("detection report written to {}", path.toStdString());
  } else {
    view_->show_toast(tr("Detection report not saved: %1").arg(error), 5000);
  }
  return error;
}

QTableWidget* ReviewPanel::show_segments() {
  if (!segments_dialog_) {
    segments_dialog_ = new QDialog(view_->window());
    segments_dialog_->setWindowTitle(tr("Detection segments"));
    auto* layout = new QVBoxLayout(segments_dialog_);
    auto* note = new QLabel(tr("Frames shown or scanned so far. Click a row to go to its start."), segments_dialog_);
    auto* table = new QTableWidget(0, 5, segments_dialog_);
    table->setObjectName(QStringLiteral("segments"));
    table->setHorizontalHeaderLabels({tr("Start"), tr("End"), tr("Duration"), tr("Peak area"), tr("Peak frame")});
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(table, &QTableWidget::cellClicked, this, [this, table](int row, int) {
      const QTableWidgetItem* item = table->item(row, 0);
      if (item) Q_EMIT seek_requested(item->data(Qt::UserRole).toLongLong());
    });
    layout->addWidget(note);
    layout->addWidget(table);
    segments_dialog_->resize(520, 320);
  }
  auto* table = segments_dialog_->findChild<QTableWidget*>(QStringLiteral("segments"));
  const double fps = info_.fps > 0 ? info_.fps : 0.0;
  const auto when = [fps](int64_t frame) {
    if (fps <= 0) return QString::number(frame);
    const double t = double(frame) / fps;
    return QStringLiteral("%1:%2 (%3)")
        .arg(int(t) / 60)
        .arg(t - 60 * (int(t) / 60), 4, 'f', 1, QLatin1Char('0'))
        .arg(frame);
  };
  const auto segments = track_->segments();
  table->setRowCount(int(segments.size()));
  for (int r = 0; r < int(segments.size()); ++r) {
    const auto& g = segments[size_t(r)];
    auto* start = new QTableWidgetItem(when(g.start));
    start->setData(Qt::UserRole, qlonglong(g.start));
    table->setItem(r, 0, start);
    table->setItem(r, 1, new QTableWidgetItem(when(g.end)));
    table->setItem(r, 2, new QTableWidgetItem(fps > 0 ? tr("%1 s").arg(double(g.length()) / fps, 0, 'f', 2)
                                                      : tr("%1 frames").arg(g.length())));
    table->setItem(r, 3, new QTableWidgetItem(QStringLiteral("%1 %").arg(100.0 * g.peak_area, 0, 'f', 1)));
    table->setItem(r, 4, new QTableWidgetItem(QString::number(g.peak_frame)));
  }
  segments_dialog_->show();
  segments_dialog_->raise();
  return table;
}

}  // namespace pl::ui
