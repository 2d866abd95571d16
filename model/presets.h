#pragma once
// Named model configurations. `ann-r50` is the paper's model; the `-live` presets keep the same
// decoder at lower widths so a 2-core CPU can both run and train them.
#include <string>
#include <vector>

#include "model/options.h"

namespace pl::model {

// Throws std::invalid_argument listing the valid names.
SegmentorOptions preset(const std::string& name);
std::vector<std::string> preset_names();
// One line: what the preset is for (throws like preset()).
std::string preset_description(const std::string& name);

}  // namespace pl::model
