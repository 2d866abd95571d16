#pragma once
// ImageNet weights for the backbone from a torchvision ResNet state dict (docs/model.md §10): the file of
// `torch.save(dict(torchvision.models.resnet50(weights=...).state_dict()), path)`. Names map 1:1 to
// `backbone.*`; fc.* (the ImageNet classifier) is skipped. Dilation is not stored in the weights, so
// the same file serves output stride 8 and 16.
#include <stdexcept>
#include <string>
#include <vector>

#include "model/segmentor.h"

namespace pl::model {

struct WeightsReport {
  std::string path;
  std::vector<std::string> loaded;      // backbone entries filled from the file
  std::vector<std::string> missing;     // backbone entries the file lacks (left as initialised)
  std::vector<std::string> unexpected;  // file entries with no backbone counterpart (ignored)
  std::vector<std::string> skipped;     // fc.* (the ImageNet classifier, not part of the backbone)
  std::string summary() const;          // one line with the counts and the first names of each list
};

class WeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WeightsError naming the path and the reason: unreadable, legacy (non-zip) file,
// OrderedDict pickle that LibTorch cannot read (with the one-line Python re-save), shape mismatches
// (e.g. ResNet-50 weights for a ResNet-18 model), backbone tensors missing from the file or file
// tensors without a place (another depth, a deep stem). Only *.num_batches_tracked may be missing.
// Loads nothing on error.
WeightsReport load_torchvision_backbone(AnnSegmentor& model, const std::string& path);

// The command that turns any torch-loadable state dict file into one this loader reads.
std::string resave_command(const std::string& path);

}  // namespace pl::model
