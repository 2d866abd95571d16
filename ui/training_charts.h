#pragma once
// The Training tab's live charts: losses (decode, aux, total) per iteration and validation scores
// (polyp Dice and IoU, mDice and mIoU, dataset-level) per epoch.
// Thread: GUI thread only (the tab forwards the trainer's reports through queued signals).
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

  int loss_points() const;
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
