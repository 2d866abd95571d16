#pragma once
// ModelLoader: the Live tab's model. Reads a checkpoint in the background, says where it stands
// (none, loading, warming up, running, failed) and hands the finished segmenter over.
//
// Threading model
//   - Everything in this class runs on the GUI thread, except the body of the load, which runs on a
//     QtConcurrent thread and touches nothing of this object.
//   - A load that finishes after a newer one was started (or after unload()) is dropped.
#include <QFuture>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <memory>

#include "core/pipeline/predictor_segmenter.h"
#include "ui/hud.h"

namespace pl::ui {

class Settings;

class ModelLoader : public QObject {
  Q_OBJECT

 public:
  explicit ModelLoader(Settings& settings, QObject* parent = nullptr);

  // Starts a background load; status() is kLoading until segmenter_ready() or failed().
  void load(const QString& path);
  void unload();
  // "auto" | "cpu" | "cuda"; reloads a loaded model on the new device.
  void set_device(const QString& device);
  QString device() const { return device_; }

  ModelStatus status() const { return status_; }
  bool loaded() const { return status_ == ModelStatus::kWarmingUp || status_ == ModelStatus::kRunning; }
  // The first mask arrived: warming up -> running.
  void mark_running();
  // Inference failed on a frame: the HUD shows `message` until the next load.
  void set_message(const QString& message) { message_ = message; }
  QString message() const { return message_; }

  QString checkpoint() const { return checkpoint_; }  // empty when none is loaded
  QString preset() const { return preset_; }          // "ann-r18-live"
  QString model_device() const { return model_device_; }  // the device it runs on, "cpu"
  QString summary() const;  // "ann-r50 · best.pt · cpu", or "no model"

  // Another instance of the loaded model (a review job runs its own), built off the GUI thread.
  // The future's result is the segmenter, or null with `error` set.
  struct Instance {
    std::shared_ptr<core::PredictorSegmenter> segmenter;
    QString error;
  };
  QFuture<Instance> build_instance() const;

 Q_SIGNALS:
  void segmenter_ready(std::shared_ptr<pl::core::PredictorSegmenter> segmenter);  // null after unload()
  void failed(const QString& file, const QString& error);
  void changed(const QString& summary);  // status or model changed

 private:
  struct LoadResult {
    int generation = 0;
    QString path;
    std::shared_ptr<core::PredictorSegmenter> segmenter;
    QString error;
  };
  void on_loaded(const LoadResult& r);

  Settings& settings_;
  ModelStatus status_ = ModelStatus::kNone;
  QString message_;
  QString checkpoint_;
  QString device_ = QStringLiteral("auto");
  QString preset_, model_device_;
  int generation_ = 0;
  QFutureWatcher<LoadResult> watcher_;
};

}  // namespace pl::ui
