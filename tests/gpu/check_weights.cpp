#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

#include "tests/gpu/checks.h"

namespace pl::gpu {
namespace fs = std::filesystem;

Json check_weights_cache() {
  // Where torch.hub puts downloads: $TORCH_HOME/hub/checkpoints, else $XDG_CACHE_HOME/torch/...,
  // else ~/.cache/torch/...
  std::vector<fs::path> dirs;
  auto env = [](const char* k) { const char* v = std::getenv(k); return std::string(v && *v ? v : ""); };
  if (!env("TORCH_HOME").empty()) dirs.push_back(fs::path(env("TORCH_HOME")) / "hub/checkpoints");
  if (!env("XDG_CACHE_HOME").empty()) dirs.push_back(fs::path(env("XDG_CACHE_HOME")) / "torch/hub/checkpoints");
  if (!env("HOME").empty()) dirs.push_back(fs::path(env("HOME")) / ".cache/torch/hub/checkpoints");

  std::cout << "\n== torchvision weights cache\n";
  std::vector<Json> found;
  std::vector<std::string> searched;
  std::set<std::string> seen;
  for (const auto& d : dirs) {
    searched.push_back(d.string());
    std::error_code ec;
    if (!fs::is_directory(d, ec) || !seen.insert(fs::weakly_canonical(d, ec).string()).second) continue;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      if (!e.is_regular_file(ec)) continue;
      const auto name = e.path().filename().string();
      const auto size = e.file_size(ec);
      // resnetNN-*.pth are ImageNet classifiers whose conv layers are our backbone's (docs/model.md §10).
      const bool backbone = name.rfind("resnet", 0) == 0;
      found.push_back(Json().set("path", e.path().string()).set("bytes", int64_t(size)).set("resnet_backbone", backbone));
      std::cout << "  " << e.path().string() << "  " << size / (1024 * 1024) << " MiB"
                << (backbone ? "  (usable as backbone after a dict re-save)" : "") << "\n";
    }
  }
  if (found.empty()) std::cout << "  nothing cached (searched: " << (searched.empty() ? "no HOME" : searched.front()) << " ...)\n";
  return Json().set("searched", searched).set("files", found);
}

}  // namespace pl::gpu
