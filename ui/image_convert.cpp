#include "ui/image_convert.h"

#include <opencv2/core.hpp>

namespace pl::ui {

QImage to_qimage(const cv::Mat& mat) {
  if (mat.empty() || mat.depth() != CV_8U || (mat.channels() != 3 && mat.channels() != 1)) return {};
  const QImage::Format format = mat.channels() == 3 ? QImage::Format_BGR888 : QImage::Format_Grayscale8;
  auto* keep = new cv::Mat(mat);  // one reference, dropped by the cleanup function
  return QImage(keep->data, keep->cols, keep->rows, static_cast<qsizetype>(keep->step), format,
                [](void* m) { delete static_cast<cv::Mat*>(m); }, keep);
}

}  // namespace pl::ui
