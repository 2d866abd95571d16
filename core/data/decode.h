#pragma once
// Decoding image and mask files with OpenCV: the only OpenCV step of the data path. Everything
// after it (resizing, augmentation, normalisation) runs on torch tensors so it also works where
// OpenCV is absent.
#include <string>

#include <opencv2/core.hpp>

namespace pl::core::data {

// Decodes an image file to 8-bit BGR (CV_8UC3). Grayscale, BGRA and 16-bit files are converted.
// Throws DatasetError (core/data/dataset.h) naming the file when it is unreadable or corrupt.
cv::Mat decode_image_bgr(const std::string& path);

// Decodes a mask file to CV_8U labels {0 = background, 1 = polyp}. Masks whose values are all 0/1
// (label-index PNGs) are taken as they are; others are thresholded at > 127 (Kvasir's JPEG masks
// are not pure 0/255; spec §2.4). Colour masks are converted to gray first.
cv::Mat decode_mask(const std::string& path);

}  // namespace pl::core::data
