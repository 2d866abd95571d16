#include "model/options.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace pl::model {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& value, const std::string& why) {
  throw std::invalid_argument("SegmentorOptions." + field + " = " + value + ": " + why);
}

std::string str(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void SegmentorOptions::validate() const {
  if (depth != 18 && depth != 34 && depth != 50 && depth != 101)
    bad("depth", std::to_string(depth), "must be one of 18, 34, 50, 101");
  if (output_stride != 8 && output_stride != 16)
    bad("output_stride", std::to_string(output_stride), "must be 8 or 16");
  if (num_classes < 2)
    bad("num_classes", std::to_string(num_classes), "must be at least 2 (background + one class)");
  if (channels < 1) bad("channels", std::to_string(channels), "must be positive");
  if (project_channels < 1) bad("project_channels", std::to_string(project_channels), "must be positive");
  if (key_pool_scales.empty()) bad("key_pool_scales", "{}", "needs at least one pooling scale");
  for (int64_t s : key_pool_scales)
    if (s < 1) bad("key_pool_scales", std::to_string(s), "every pooling scale must be >= 1");
  if (!(dropout >= 0.0 && dropout < 1.0)) bad("dropout", str(dropout), "must be in [0, 1)");
  if (with_aux && aux_channels < 1) bad("aux_channels", std::to_string(aux_channels), "must be positive");
  // Below 32 px the stride-8 map would be 4x4 or less and the 8x8 pyramid bins degenerate.
  if (input_h < 32) bad("input_h", std::to_string(input_h), "must be at least 32");
  if (input_w < 32) bad("input_w", std::to_string(input_w), "must be at least 32");
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(mean[c])) bad("mean[" + std::to_string(c) + "]", str(mean[c]), "must be finite");
    if (!(std[c] > 0.0f) || !std::isfinite(std[c]))
      bad("std[" + std::to_string(c) + "]", str(std[c]), "must be positive and finite");
  }
}

}  // namespace pl::model
