#include "core/export/figure.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "core/data/decode.h"
#include "core/metrics/seg_metrics.h"

namespace pl::core::exporting {
namespace {

constexpr int kColumns = 4;

void put_centered(cv::Mat& img, const std::string& text, const cv::Rect& box, double scale, int thickness) {
  int baseline = 0;
  const cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const cv::Point org(box.x + (box.width - ts.width) / 2, box.y + (box.height + ts.height) / 2);
  cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), thickness, cv::LINE_AA);
}

void put_lines(cv::Mat& img, const std::vector<std::string>& lines, const cv::Rect& box, double scale) {
  int baseline = 0;
  const int h = cv::getTextSize("Ag", cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline).height + 12;
  int y = box.y + (box.height - h * static_cast<int>(lines.size())) / 2 + h - 6;
  for (size_t i = 0; i < lines.size(); ++i, y += h) {
    cv::putText(img, lines[i], cv::Point(box.x + 8, y), cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0),
                i == 0 ? 2 : 1, cv::LINE_AA);
  }
}

cv::Mat bgr_mat(const pl::core::data::Image8& rgb) {
  cv::Mat bgr;
  cv::cvtColor(cv::Mat(rgb.height, rgb.width, CV_8UC3, const_cast<uint8_t*>(rgb.pixels.data())), bgr,
               cv::COLOR_RGB2BGR);
  return bgr;
}

cv::Mat mask_mat(const pl::core::data::Image8& m) {
  return cv::Mat(m.height, m.width, CV_8U, const_cast<uint8_t*>(m.pixels.data())).clone();
}

cv::Mat fit(const cv::Mat& img, cv::Size size, int interpolation) {
  cv::Mat out;
  cv::resize(img, out, size, 0, 0, interpolation);
  return out;
}

cv::Mat mask_panel(const cv::Mat& mask01, cv::Size size) {
  cv::Mat bgr;
  cv::cvtColor(mask01 > 0, bgr, cv::COLOR_GRAY2BGR);
  return fit(bgr, size, cv::INTER_NEAREST);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

void FigureOptions::validate() const {
  auto bad = [](const std::string& m) { throw std::invalid_argument("figure: " + m); };
  if (rows < 1 || rows > 50) bad("rows must be in [1, 50], got " + std::to_string(rows));
  if (cell_width < 16 || cell_height < 16)
    bad("cells must be at least 16x16, got " + std::to_string(cell_width) + "x" + std::to_string(cell_height));
  if (label_width < 0) bad("label_width must be >= 0, got " + std::to_string(label_width));
  if (header_height < 0) bad("header_height must be >= 0, got " + std::to_string(header_height));
  if (gap < 0) bad("gap must be >= 0, got " + std::to_string(gap));
  overlay.validate();
}

cv::Rect FigureLayout::header(int column) const {
  return {options.label_width + options.gap + column * (options.cell_width + options.gap), 0, options.cell_width,
          options.header_height};
}

cv::Rect FigureLayout::label(int row) const {
  return {0, options.header_height + row * (options.cell_height + options.gap), options.label_width,
          options.cell_height};
}

cv::Rect FigureLayout::panel(int row, int column) const {
  return {header(column).x, label(row).y, options.cell_width, options.cell_height};
}

FigureLayout figure_layout(const FigureOptions& options) {
  options.validate();
  FigureLayout l;
  l.options = options;
  l.rows = options.rows;
  l.column_titles = {"Image", "Ground truth", "Prediction", "Segmented"};
  l.size = cv::Size(options.label_width + kColumns * (options.cell_width + options.gap),
                    options.header_height + options.rows * options.cell_height + (options.rows - 1) * options.gap);
  return l;
}

std::vector<size_t> pick_by_area(const std::vector<double>& areas, int rows) {
  std::vector<size_t> order(areas.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return areas[a] < areas[b]; });
  if (rows <= 0) return {};
  if (order.size() <= static_cast<size_t>(rows)) return order;
  std::vector<size_t> out;
  const double n = static_cast<double>(order.size());
  for (int k = 0; k < rows; ++k) {
    const auto pos = static_cast<size_t>((2.0 * k + 1.0) / (2.0 * rows) * n);
    out.push_back(order[std::min(pos, order.size() - 1)]);
  }
  return out;
}

Figure make_figure(const std::vector<pl::core::data::SamplePair>& pairs, const PredictFn& predict,
                   const FigureOptions& options) {
  options.validate();
  if (pairs.empty()) throw std::invalid_argument("figure: no image/mask pairs to choose from");
  if (!predict) throw std::invalid_argument("figure: no prediction function");

  std::vector<double> areas;
  areas.reserve(pairs.size());
  for (const auto& p : pairs) {
    const cv::Mat m = mask_mat(pl::core::data::decode_mask(p.mask_path));
    areas.push_back(static_cast<double>(cv::countNonZero(m)) / static_cast<double>(m.total()));
  }
  std::vector<size_t> ranked(pairs.size());
  std::iota(ranked.begin(), ranked.end(), size_t{0});
  std::stable_sort(ranked.begin(), ranked.end(), [&](size_t a, size_t b) { return areas[a] < areas[b]; });
  std::vector<size_t> rank_of(pairs.size());
  for (size_t r = 0; r < ranked.size(); ++r) rank_of[ranked[r]] = r;

  const std::vector<size_t> picked = pick_by_area(areas, options.rows);
  FigureOptions o = options;
  o.rows = static_cast<int>(picked.size());
  Figure fig;
  fig.layout = figure_layout(o);
  fig.image = cv::Mat(fig.layout.size, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int c = 0; c < kColumns; ++c) put_centered(fig.image, fig.layout.column_titles[static_cast<size_t>(c)], fig.layout.header(c), 0.7, 2);

  const cv::Size cell(o.cell_width, o.cell_height);
  for (int r = 0; r < o.rows; ++r) {
    const size_t i = picked[static_cast<size_t>(r)];
    const auto& pair = pairs[i];
    const cv::Mat img = bgr_mat(pl::core::data::decode_image_rgb(pair.image_path));
    cv::Mat gt = mask_mat(pl::core::data::decode_mask(pair.mask_path));
    if (gt.size() != img.size()) cv::resize(gt, gt, img.size(), 0, 0, cv::INTER_NEAREST);
    cv::Mat pred = predict(img);
    if (pred.empty() || pred.type() != CV_8UC1)
      throw std::runtime_error("figure: the prediction for '" + pair.name + "' is not a CV_8U mask");
    if (pred.size() != img.size()) cv::resize(pred, pred, img.size(), 0, 0, cv::INTER_NEAREST);
    const cv::Mat pred01 = pred > 0, gt01 = gt > 0;
    const int64_t inter = cv::countNonZero(pred01 & gt01);
    const auto score = pl::core::metrics::score_image(inter, cv::countNonZero(pred01), cv::countNonZero(gt01));

    FigureRow row;
    row.name = pair.name;
    const size_t tercile = rank_of[i] * 3 / pairs.size();
    row.size_class = tercile == 0 ? "small" : tercile == 1 ? "medium" : "large";
    row.gt_area_percent = 100.0 * areas[i];
    row.pred_area_percent = 100.0 * static_cast<double>(score.pred_area) / static_cast<double>(pred.total());
    row.dice = score.dice;
    fig.rows.push_back(row);

    const cv::Mat panels[kColumns] = {fit(img, cell, cv::INTER_AREA), mask_panel(gt, cell), mask_panel(pred, cell),
                                      fit(compose_overlay(img, pred, o.overlay), cell, cv::INTER_AREA)};
    for (int c = 0; c < kColumns; ++c) panels[c].copyTo(fig.image(fig.layout.panel(r, c)));
    put_lines(fig.image,
              {row.size_class, "area " + fmt("%.1f%%", row.gt_area_percent), "Dice " + fmt("%.3f", row.dice)},
              fig.layout.label(r), 0.6);
  }
  return fig;
}

}  // namespace pl::core::exporting
