#include "ui/model_loader.h"

#include <QFileInfo>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

#include "core/log/log.h"
#include "ui/settings.h"

namespace pl::ui {

ModelLoader::ModelLoader(Settings& settings, QObject* parent) : QObject(parent), settings_(settings) {
  device_ = settings_.device();
  connect(&watcher_, &QFutureWatcher<LoadResult>::finished, this, [this] { on_loaded(watcher_.result()); });
}

void ModelLoader::load(const QString& path) {
  if (path.isEmpty()) return;
  const int generation = ++generation_;
  status_ = ModelStatus::kLoading;
  message_ = QFileInfo(path).fileName();
  Q_EMIT changed(summary());
  core::inference::PredictorOptions options;
  options.device = device_.toStdString();
  options.threads = std::max(1, QThread::idealThreadCount());
  watcher_.setFuture(QtConcurrent::run([generation, path, options]() {
    LoadResult r;
    r.generation = generation;
    r.path = path;
    try {
      r.segmenter = std::make_shared<core::PredictorSegmenter>(path.toStdString(), options);
      // The live view upsamples masks itself (on the GPU when it can): keep them at the model's size.
      r.segmenter->set_mask_at_model_resolution(true);
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  }));
}

void ModelLoader::on_loaded(const LoadResult& r) {
  if (r.generation != generation_) return;  // a newer load (or an unload) came meanwhile
  if (!r.segmenter) {
    status_ = ModelStatus::kFailed;
    message_ = r.error;
    pl::log::get("ui")->warn("cannot load checkpoint {}: {}", r.path.toStdString(), r.error.toStdString());
    Q_EMIT failed(QFileInfo(r.path).fileName(), r.error);
    Q_EMIT changed(summary());
    return;
  }
  checkpoint_ = r.path;
  preset_ = QString::fromStdString(r.segmenter->info().preset);
  model_device_ = QString::fromStdString(r.segmenter->info().device);
  message_.clear();
  status_ = ModelStatus::kWarmingUp;
  settings_.set_last_checkpoint(r.path);
  pl::log::get("ui")->info("model loaded: {}", r.segmenter->describe());
  Q_EMIT segmenter_ready(r.segmenter);
  Q_EMIT changed(summary());
}

void ModelLoader::unload() {
  ++generation_;
  checkpoint_.clear();
  preset_.clear();
  model_device_.clear();
  message_.clear();
  status_ = ModelStatus::kNone;
  Q_EMIT segmenter_ready(nullptr);
  Q_EMIT changed(summary());
}

void ModelLoader::mark_running() {
  if (status_ != ModelStatus::kWarmingUp) return;
  status_ = ModelStatus::kRunning;
  Q_EMIT changed(summary());
}

QString ModelLoader::summary() const {
  if (status_ == ModelStatus::kLoading) return tr("loading %1…").arg(message_);
  if (checkpoint_.isEmpty()) return status_ == ModelStatus::kFailed ? tr("failed to load") : tr("no model");
  return QStringLiteral("%1 · %2 · %3").arg(preset_, QFileInfo(checkpoint_).fileName(), model_device_);
}

void ModelLoader::set_device(const QString& device) {
  if (device == device_) return;
  device_ = device;
  settings_.set_device(device);
  if (!checkpoint_.isEmpty()) load(checkpoint_);
}

QFuture<ModelLoader::Instance> ModelLoader::build_instance() const {
  core::inference::PredictorOptions options;
  options.device = device_.toStdString();
  return QtConcurrent::run([path = checkpoint_, options]() {
    Instance r;
    if (path.isEmpty()) {
      r.error = tr("no model is loaded");
      return r;
    }
    try {
      r.segmenter = std::make_shared<core::PredictorSegmenter>(path.toStdString(), options);
    } catch (const std::exception& e) {
      r.error = QString::fromStdString(e.what());
    }
    return r;
  });
}

}  // namespace pl::ui
