#pragma once
// The paper's Figure 12: a grid with one row per image and four columns — the image, the ground-truth
// mask, the predicted mask, and the image segmented in red (polyp) / green (background) — rows picked
// by ground-truth polyp area (small, medium, large) and labelled with their per-image Dice.
//
//   +-----------+--------+--------------+------------+-----------+
//   |           | Image  | Ground truth | Prediction | Segmented |   <- header row
//   +-----------+--------+--------------+------------+-----------+
//   | small     |  ...   |     ...      |    ...     |    ...    |
//   | area 2.1% |        |              |            |           |
//   | Dice 0.87 |        |              |            |           |
//   +-----------+--------+--------------+------------+-----------+
//
// Masks are drawn white on black; the segmented panel is core/overlay's Fill mode (the paper's look).
// Every panel is the image resized to cell_width x cell_height.
//
// Threading model: free functions, no shared state. `predict` is called on the caller's thread.
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/data/dataset.h"
#include "core/overlay/overlay.h"

namespace pl::core::exporting {

// BGR image -> CV_8U 0/1 mask of the image's size (e.g. a Predictor's predict(img).mask).
using PredictFn = std::function<cv::Mat(const cv::Mat& bgr)>;

struct FigureOptions {
  int rows = 3;                  // images, picked evenly across the ground-truth area ranking
  int cell_width = 320, cell_height = 256;
  int label_width = 170;         // the row-label column
  int header_height = 40;
  int gap = 6;                   // white space between panels
  OverlayOptions overlay;        // Fill, alpha 0.5, red/green by default

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

// Where the panels are, for drawing and for tests: panel(r, c) is row r, column c (0..3).
struct FigureLayout {
  cv::Size size;
  std::vector<std::string> column_titles;  // "Image", "Ground truth", "Prediction", "Segmented"
  cv::Rect header(int column) const;
  cv::Rect label(int row) const;
  cv::Rect panel(int row, int column) const;
  int rows = 0;
  FigureOptions options;
};
FigureLayout figure_layout(const FigureOptions& options);

struct FigureRow {
  std::string name;             // image name (stem)
  std::string size_class;       // "small", "medium", "large" (tercile of the split's areas)
  double gt_area_percent = 0;   // ground-truth polyp area
  double pred_area_percent = 0;
  double dice = 0;              // per-image polyp Dice (both empty -> 1)
};

struct Figure {
  cv::Mat image;  // CV_8UC3
  std::vector<FigureRow> rows;
  FigureLayout layout;
};

// Indices of `rows` entries of `areas` spread evenly over their ranking (quantiles (2k + 1) / (2 rows)),
// smallest first; all of them when there are fewer. Ties keep the input order.
std::vector<size_t> pick_by_area(const std::vector<double>& areas, int rows);

// Builds the figure from the image/mask pairs of a split (decodes every mask once to rank them, then
// predicts the picked images only). Throws std::invalid_argument for no pairs or bad options and
// DatasetError for unreadable files.
Figure make_figure(const std::vector<pl::core::data::SamplePair>& pairs, const PredictFn& predict,
                   const FigureOptions& options);

}  // namespace pl::core::exporting
