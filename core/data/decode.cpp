#include "core/data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/data/dataset.h"

namespace pl::core::data {
namespace {

cv::Mat read_any(const std::string& path) {
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw DatasetError(path + ": cannot decode (" + e.what() + ")");
  }
  if (m.empty()) throw DatasetError(path + ": unreadable or corrupt image file");
  return m;
}

// Any depth to 8 bits: 16-bit scales by 1/257 (65535 -> 255); float images are taken as 0..1.
cv::Mat to_8bit(const cv::Mat& m, const std::string& path) {
  if (m.depth() == CV_8U) return m;
  cv::Mat out;
  switch (m.depth()) {
    case CV_16U: m.convertTo(out, CV_8U, 1.0 / 257.0); break;
    case CV_32F:
    case CV_64F: m.convertTo(out, CV_8U, 255.0); break;
    default: throw DatasetError(path + ": unsupported pixel depth (" + std::to_string(m.depth()) + ")");
  }
  return out;
}

}  // namespace

cv::Mat decode_image_bgr(const std::string& path) {
  cv::Mat m = to_8bit(read_any(path), path);
  cv::Mat out;
  switch (m.channels()) {
    case 1: cv::cvtColor(m, out, cv::COLOR_GRAY2BGR); break;
    case 3: out = m; break;
    case 4: cv::cvtColor(m, out, cv::COLOR_BGRA2BGR); break;
    default: throw DatasetError(path + ": unsupported channel count " + std::to_string(m.channels()));
  }
  return out;
}

cv::Mat decode_mask(const std::string& path) {
  cv::Mat raw = read_any(path);
  // A 16-bit label-index mask (values 0/1) would become all background after the 1/257 scaling.
  double raw_max = 0;
  if (raw.depth() == CV_16U) cv::minMaxLoc(raw.reshape(1), nullptr, &raw_max);
  cv::Mat m;
  if (raw.depth() == CV_16U && raw_max <= 1.0)
    raw.convertTo(m, CV_8U);
  else
    m = to_8bit(raw, path);
  cv::Mat gray;
  switch (m.channels()) {
    case 1: gray = m; break;
    case 3: cv::cvtColor(m, gray, cv::COLOR_BGR2GRAY); break;
    case 4: cv::cvtColor(m, gray, cv::COLOR_BGRA2GRAY); break;
    default: throw DatasetError(path + ": unsupported mask channel count " + std::to_string(m.channels()));
  }
  double max_value = 0;
  cv::minMaxLoc(gray, nullptr, &max_value);
  cv::Mat labels;
  if (max_value <= 1.0)
    labels = gray.clone();
  else
    cv::threshold(gray, labels, 127, 1, cv::THRESH_BINARY);
  return labels;
}

}  // namespace pl::core::data
