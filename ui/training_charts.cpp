#include "ui/training_charts.h"

#include <QChart>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QChartView>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "ui/theme.h"

namespace pl::ui {

namespace {

QLineSeries* series(QChart* chart, const QString& name, const QColor& color, QValueAxis* x, QValueAxis* y) {
  auto* s = new QLineSeries(chart);
  s->setName(name);
  s->setPen(QPen(color, 2));
  s->setPointsVisible(true);  // a single point has no line to draw
  chart->addSeries(s);
  s->attachAxis(x);
  s->attachAxis(y);
  return s;
}

QChart* chart(const QString& title, QValueAxis*& x, QValueAxis*& y, const QString& x_title) {
  auto* c = new QChart;
  c->setTheme(QChart::ChartThemeDark);
  c->setBackgroundBrush(colors::kBase);
  c->setTitle(title);
  c->legend()->setAlignment(Qt::AlignBottom);
  c->setMargins(QMargins(4, 4, 4, 4));
  x = new QValueAxis(c);
  x->setTitleText(x_title);
  x->setLabelFormat("%d");
  y = new QValueAxis(c);
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  return c;
}

// Integer ticks at 1, 2 or 5 x 10^k, about five of them, for an axis from 0 to `max`.
void set_integer_range(QValueAxis* axis, double max) {
  max = std::max(1.0, max);
  double step = 1;
  while (max / step > 6) {
    for (double f : {2.0, 2.5, 2.0}) {
      step *= f;
      if (max / step <= 6) break;
    }
  }
  axis->setRange(0, max);
  axis->setTickType(QValueAxis::TicksDynamic);
  axis->setTickAnchor(0);
  axis->setTickInterval(step);
}

}  // namespace

TrainingCharts::TrainingCharts(QWidget* parent) : QWidget(parent) {
  loss_chart_ = chart(tr("Loss"), loss_x_, loss_y_, tr("iteration"));
  decode_ = series(loss_chart_, tr("decode"), QColor(64, 200, 170), loss_x_, loss_y_);
  aux_ = series(loss_chart_, tr("aux"), QColor(140, 150, 255), loss_x_, loss_y_);
  total_ = series(loss_chart_, tr("total"), QColor(240, 240, 240), loss_x_, loss_y_);
  val_chart_ = chart(tr("Validation (dataset-level)"), val_x_, val_y_, tr("epoch"));
  dice_ = series(val_chart_, tr("polyp Dice"), colors::kDanger, val_x_, val_y_);
  iou_ = series(val_chart_, tr("polyp IoU"), QColor(255, 150, 120), val_x_, val_y_);
  mdice_ = series(val_chart_, tr("mDice"), colors::kAccent, val_x_, val_y_);
  miou_ = series(val_chart_, tr("mIoU"), QColor(120, 200, 255), val_x_, val_y_);
  val_y_->setRange(0, 1);
  val_y_->setLabelFormat("%.2f");
  loss_y_->setLabelFormat("%.2f");

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(make_view(loss_chart_), 1);
  layout->addWidget(make_view(val_chart_), 1);
  clear();
}

QChartView* TrainingCharts::make_view(QChart* c) {
  auto* v = new QChartView(c, this);
  v->setRenderHint(QPainter::Antialiasing);
  v->setMinimumHeight(180);
  return v;
}

void TrainingCharts::clear() {
  for (QLineSeries* s : {decode_, aux_, total_, dice_, iou_, mdice_, miou_}) s->clear();
  loss_max_ = 0;
  set_integer_range(loss_x_, 10);
  loss_y_->setRange(0, 1);
  set_integer_range(val_x_, 1);
}

void TrainingCharts::add_losses(int64_t iteration, double decode, double aux, double total) {
  const auto x = static_cast<qreal>(iteration);
  decode_->append(x, decode);
  aux_->append(x, aux);
  total_->append(x, total);
  loss_max_ = std::max({loss_max_, decode, aux, total});
  set_integer_range(loss_x_, std::max<qreal>(10, x));
  loss_y_->setRange(0, loss_max_ > 0 ? loss_max_ * 1.05 : 1);
}

void TrainingCharts::add_validation(int epoch, double polyp_dice, double polyp_iou, double mdice, double miou) {
  dice_->append(epoch, polyp_dice);
  iou_->append(epoch, polyp_iou);
  mdice_->append(epoch, mdice);
  miou_->append(epoch, miou);
  set_integer_range(val_x_, std::max(1, epoch));
}

int TrainingCharts::load_metrics(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return 0;
  int points = 0;
  while (!f.atEnd()) {
    const QJsonObject o = QJsonDocument::fromJson(f.readLine()).object();
    const QString type = o.value("type").toString();
    if (type == "train" && o.value("loss").isDouble()) {
      add_losses(o.value("iteration").toInteger(), o.value("loss_decode").toDouble(), o.value("loss_aux").toDouble(),
                 o.value("loss").toDouble());
      ++points;
    } else if (type == "val" && o.value("polyp_dice").isDouble()) {
      add_validation(o.value("epoch").toInt(), o.value("polyp_dice").toDouble(), o.value("polyp_iou").toDouble(),
                     o.value("mDice").toDouble(), o.value("mIoU").toDouble());
      ++points;
    }
  }
  return points;
}

QList<QPointF> TrainingCharts::total_loss() const { return total_->points(); }

int TrainingCharts::loss_points() const { return static_cast<int>(total_->count()); }
int TrainingCharts::validation_points() const { return static_cast<int>(dice_->count()); }

}  // namespace pl::ui
