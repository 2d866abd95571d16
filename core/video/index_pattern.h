#pragma once
// Pictures that carry their own frame number, for tests and latency probes: a 4x4 grid of black/white
// cells spelling the index in binary (cell 0 = least significant bit, row-major), on a background
// whose hue also changes with the index. Big flat cells survive H.264 compression and scaling, so
// the index can be read back after an encode/decode round trip.
#include <cstdint>

#include <opencv2/core.hpp>

namespace pl::core {

// Paints `index` (0 .. 65535) into a new BGR image of the given size (each side >= 16 px).
cv::Mat make_index_pattern(int64_t index, cv::Size size);

// Reads the index back; -1 if the image is too small or a cell is ambiguous (mid-grey).
int64_t read_index_pattern(const cv::Mat& bgr);

}  // namespace pl::core
