#include <stdexcept>

#include "core/train/run_checkpoint.h"

#if __has_include("model/weights.h")
#include "model/weights.h"
#define PL_HAVE_WEIGHTS 1
#endif

namespace pl::core::train {

std::string load_backbone(pl::model::AnnSegmentor& model, const std::string& path) {
#ifdef PL_HAVE_WEIGHTS
  const auto report = pl::model::load_torchvision_backbone(model, path);
  return report.summary();
#else
  (void)model;
  throw std::runtime_error("cannot load backbone weights from " + path + ": this build has no weight loader yet");
#endif
}

}  // namespace pl::core::train
