#include "core/train/run_checkpoint.h"
#include "model/weights.h"

namespace pl::core::train {

std::string load_backbone(pl::model::AnnSegmentor& model, const std::string& path) {
  return pl::model::load_torchvision_backbone(model, path).summary();
}

}  // namespace pl::core::train
