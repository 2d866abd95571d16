#pragma once
// Named training recipes (docs/recipe.md §6): partial config.json objects applied over TrainConfig's
// defaults before any command-line flag, so `polyplens train --recipe scratch --epochs 300` is the
// recipe with a longer schedule. "paper" is the defaults themselves (the paper's recipe); "scratch"
// was chosen by measurement for training from scratch. default_recipe() picks between them.
// A recipe may also be a JSON file with the same keys (unknown keys are errors).
#include <string>
#include <vector>

#include "core/train/train_config.h"

namespace pl::core::train {

struct Recipe {
  std::string name;
  std::string summary;  // one line for --help and the Training tab
  std::string json;     // the settings it changes (config.json keys)
};

const std::vector<Recipe>& builtin_recipes();

// The recipe a run gets when none is named: "paper" for the paper's presets (ann-r50, ann-r101) and for
// any preset given ImageNet backbone weights (the paper's recipe assumes them); "scratch" for the small
// presets trained from random initialisation (docs/recipe.md §6). The CLI and the Training tab both
// use this.
std::string default_recipe(const std::string& preset, bool backbone_weights = false);

// Applies the built-in recipe `name_or_file` or, when no built-in has that name, the JSON file at that
// path; sets cfg.recipe to the name (or the file's stem). Throws std::invalid_argument naming the
// recipe, the file or the bad key, and listing the built-in names.
void apply_recipe(TrainConfig& cfg, const std::string& name_or_file);

}  // namespace pl::core::train
