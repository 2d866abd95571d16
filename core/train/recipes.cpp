#include "core/train/recipes.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/base/json.h"

namespace pl::core::train {

const std::vector<Recipe>& builtin_recipes() {
  // Measured in docs/recipe.md §6. Only settings that differ from the defaults are listed.
  static const std::vector<Recipe> recipes{
      {"paper", "the paper's: SGD 0.01 poly, CE + 0.4 aux CE, no warm-up, no EMA (the default)", "{}"},
      {"scratch",
       "from scratch (no ImageNet weights): AdamW 1e-3 wd 0.01 with 300-iteration warm-up, poly to 1e-5, "
       "CE + Dice on both heads (aux as deep supervision), EMA 0.999",
       R"({"optimizer": "adamw", "lr": 0.001, "weight_decay": 0.01, "min_lr": 1e-5, "warmup_iters": 300,
           "dice_weight": 1.0, "aux_weight": 0.4, "ema_decay": 0.999})"},
  };
  return recipes;
}

std::string default_recipe(const std::string& preset, bool backbone_weights) {
  return backbone_weights || preset == "ann-r50" || preset == "ann-r101" ? "paper" : "scratch";
}

void apply_recipe(TrainConfig& cfg, const std::string& name_or_file) {
  for (const auto& r : builtin_recipes()) {
    if (r.name != name_or_file) continue;
    cfg.update_from_json(r.json, "recipe '" + r.name + "'", /*reject_unknown=*/true);
    cfg.recipe = r.name;
    return;
  }
  namespace fs = std::filesystem;
  std::string names;
  for (const auto& r : builtin_recipes()) names += (names.empty() ? "" : ", ") + r.name;
  const fs::path path(name_or_file);
  if (name_or_file.empty() || !fs::is_regular_file(path))
    throw std::invalid_argument("unknown recipe '" + name_or_file + "': not a built-in (" + names +
                                ") and no such file");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) throw std::invalid_argument("recipe file " + name_or_file + " cannot be read");
  // A recipe says how to train, not on what or where.
  const auto o = pl::json::Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (o.is_object())
    for (const char* k : {"data_root", "extra_data_roots", "out_dir", "resume", "recipe"})
      if (o.contains(k))
        throw std::invalid_argument("recipe file " + name_or_file + " sets '" + k +
                                    "', which belongs to the run, not to a recipe");
  TrainConfig next = cfg;
  next.update_from_json(ss.str(), "recipe file " + name_or_file, /*reject_unknown=*/true);
  next.recipe = path.stem().string();
  cfg = next;
}

}  // namespace pl::core::train
