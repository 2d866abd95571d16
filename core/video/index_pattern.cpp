#include "core/video/index_pattern.h"

#include <opencv2/imgproc.hpp>

namespace pl::core {
namespace {
constexpr int kGrid = 4;

cv::Rect cell_rect(int bit, cv::Size size) {
  const int cw = size.width / kGrid, ch = size.height / kGrid;
  return {(bit % kGrid) * cw, (bit / kGrid) * ch, cw, ch};
}
}  // namespace

cv::Mat make_index_pattern(int64_t index, cv::Size size) {
  CV_Assert(size.width >= 16 && size.height >= 16 && index >= 0 && index < 65536);
  cv::Mat img(size, CV_8UC3);
  for (int bit = 0; bit < kGrid * kGrid; ++bit) {
    const bool on = (index >> bit) & 1;
    img(cell_rect(bit, size)).setTo(on ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0));
  }
  // Leftover margins (sizes not divisible by 4) get an index-dependent colour.
  const cv::Rect grid(0, 0, (size.width / kGrid) * kGrid, (size.height / kGrid) * kGrid);
  const cv::Scalar tint((index * 37) % 256, (index * 91) % 256, (index * 151) % 256);
  if (grid.width < size.width) img(cv::Rect(grid.width, 0, size.width - grid.width, size.height)).setTo(tint);
  if (grid.height < size.height) img(cv::Rect(0, grid.height, grid.width, size.height - grid.height)).setTo(tint);
  return img;
}

int64_t read_index_pattern(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.cols < 16 || bgr.rows < 16 || bgr.type() != CV_8UC3) return -1;
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  int64_t index = 0;
  for (int bit = 0; bit < kGrid * kGrid; ++bit) {
    cv::Rect r = cell_rect(bit, grey.size());
    // Read the centre half of the cell: edges blur under compression and scaling.
    r = cv::Rect(r.x + r.width / 4, r.y + r.height / 4, std::max(1, r.width / 2), std::max(1, r.height / 2));
    const double v = cv::mean(grey(r))[0];
    if (v > 96 && v < 160) return -1;
    if (v >= 160) index |= (int64_t{1} << bit);
  }
  return index;
}

}  // namespace pl::core
