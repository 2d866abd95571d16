#pragma once
// The Training tab's live charts: losses (decode, aux, total) per iteration and validation scores
// (polyp Dice and IoU, mDice and mIoU, dataset-level) per epoch. Every point is drawn as a marker, so
// the first one shows before there is a line.
// Thread: GUI thread only (the tab forwards the trainer's reports through queued signals).
#include <QList>
#include <QPointF>
#include <QWidget>
#include <cstdint>

class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace pl::ui {

class TrainingCharts : public QWidget {
  Q_OBJECT

 public:
  explicit TrainingCharts(QWidget* parent = nullptr);

  void clear();
  void add_losses(int64_t iteration, double decode, double aux, double total);
  void add_validation(int epoch, double polyp_dice, double polyp_iou, double mdice, double miou);

  // Fills the charts from a run's metrics.jsonl (a resumed run keeps its history). Returns the
  // number of points read; a missing file reads as none, unreadable lines are skipped.
  int load_metrics(const QString& path);

  int loss_points() const;
  QList<QPointF> total_loss() const;  // (iteration, loss) as drawn
  int validation_points() const;

 private:
  QChartView* make_view(QChart* chart);

  QChart *loss_chart_ = nullptr, *val_chart_ = nullptr;
  QLineSeries *decode_ = nullptr, *aux_ = nullptr, *total_ = nullptr;
  QLineSeries *dice_ = nullptr, *iou_ = nullptr, *mdice_ = nullptr, *miou_ = nullptr;
  QValueAxis *loss_x_ = nullptr, *loss_y_ = nullptr, *val_x_ = nullptr, *val_y_ = nullptr;
  double loss_max_ = 0;
};

}  // namespace pl::ui
