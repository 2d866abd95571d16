#pragma once
// cv::Mat (BGR, 8-bit) -> QImage without copying pixels: the QImage keeps a reference to the Mat
// and releases it when the last QImage copy goes away. Safe across threads because frames are
// immutable once published (core/video/frame.h).
#include <QImage>

namespace cv {
class Mat;
}

namespace pl::ui {

// CV_8UC3 BGR or CV_8UC1 grey; anything else (or an empty Mat) gives a null QImage.
QImage to_qimage(const cv::Mat& mat);

}  // namespace pl::ui
