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
// Every panel is cell_width x cell_height: the image resized with antialiased bilinear filtering, the
// masks (white on black) with nearest neighbour. The segmented panel blends the resized image with the
// resized prediction exactly as core/overlay's Fill mode does (same colours, same fixed-point rounding),
// so the figure looks like the live overlay. Text is black on white (stb_easy_font's glyphs).
//
// LibTorch only (no OpenCV, no Qt): `polyplens figure` runs in the headless build too; write the image
// with data::encode_png. Threading model: free functions, no shared state; `predict` is called on the
// caller's thread.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/decode.h"

namespace pl::core::metrics {

// An RGB image (3 channels, rows packed) -> its 0/1 mask, height x width, row-major (non-zero =
// polyp), e.g. Predictor::predict(ImageView{..., Order::RGB}).mask.
using PredictFn = std::function<std::vector<uint8_t>(const pl::core::data::Image8& rgb)>;

struct FigureOptions {
  int rows = 3;                  // images, picked evenly across the ground-truth area ranking
  int cell_width = 320, cell_height = 256;
  int label_width = 170;         // the row-label column
  int header_height = 40;
  int gap = 6;                   // white space between panels
  // The segmented column, as core/overlay's Fill mode: out = img * (1 - alpha) + colour * alpha.
  double alpha = 0.5;
  std::array<uint8_t, 3> polyp_rgb{255, 0, 0};       // red
  std::array<uint8_t, 3> background_rgb{0, 255, 0};  // green

  void validate() const;  // throws std::invalid_argument naming the bad field and value
};

// A pixel rectangle: columns [x, x + width), rows [y, y + height).
struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  int right() const { return x + width; }
  int bottom() const { return y + height; }
  bool empty() const { return width <= 0 || height <= 0; }
  bool operator==(const Rect& o) const { return x == o.x && y == o.y && width == o.width && height == o.height; }
  bool operator!=(const Rect& o) const { return !(*this == o); }
};
// The overlap of two rectangles (empty, 0x0, when they do not overlap).
Rect intersection(const Rect& a, const Rect& b);

// Where the panels are, for drawing and for tests: panel(r, c) is row r, column c (0..3).
struct FigureLayout {
  int width = 0, height = 0;               // the whole figure
  std::vector<std::string> column_titles;  // "Image", "Ground truth", "Prediction", "Segmented"
  Rect header(int column) const;
  Rect label(int row) const;
  Rect panel(int row, int column) const;
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
  pl::core::data::Image8 image;  // RGB, layout.height x layout.width x 3
  std::vector<FigureRow> rows;
  FigureLayout layout;
};

// Indices of `rows` entries of `areas` spread evenly over their ranking (quantiles (2k + 1) / (2 rows)),
// smallest first; all of them when there are fewer. Ties keep the input order.
std::vector<size_t> pick_by_area(const std::vector<double>& areas, int rows);

// Builds the figure from the image/mask pairs of a split (decodes every mask once to rank them, then
// predicts the picked images only). Throws std::invalid_argument for no pairs, no predict function or
// bad options, std::runtime_error for a prediction of the wrong size and DatasetError for unreadable
// files.
Figure make_figure(const std::vector<pl::core::data::SamplePair>& pairs, const PredictFn& predict,
                   const FigureOptions& options);

}  // namespace pl::core::metrics
