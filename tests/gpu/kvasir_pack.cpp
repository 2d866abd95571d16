#include "tests/gpu/kvasir_pack.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#if POLYPLENS_GPU_HAVE_STB
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include <stb_image.h>
#endif

namespace pl::gpu {
namespace fs = std::filesystem;

bool have_image_decoder() { return POLYPLENS_GPU_HAVE_STB != 0; }

namespace {

std::vector<std::string> read_names(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> names;
  std::string n;
  while (in >> n) names.push_back(n);
  return names;
}

#if POLYPLENS_GPU_HAVE_STB
torch::Tensor decode(const fs::path& p, int channels) {
  int w = 0, h = 0, c = 0;
  unsigned char* data = stbi_load(p.c_str(), &w, &h, &c, channels);
  if (!data) throw std::runtime_error("cannot decode " + p.string() + ": " + stbi_failure_reason());
  auto t = torch::from_blob(data, {h, w, channels}, torch::kUInt8).clone();
  stbi_image_free(data);
  return t;
}
#endif

std::vector<Sample> load_split(const fs::path& dir, const std::string& list, int max) {
  std::vector<Sample> out;
#if POLYPLENS_GPU_HAVE_STB
  for (const auto& name : read_names(dir / list)) {
    if (max > 0 && int(out.size()) >= max) break;
    Sample s;
    s.name = name;
    s.image = decode(dir / "images" / (name + ".jpg"), 3).permute({2, 0, 1}).contiguous();
    s.label = (decode(dir / "masks" / (name + ".png"), 1).squeeze(2) > 127).to(torch::kLong);
    if (s.image.size(1) != s.label.size(0) || s.image.size(2) != s.label.size(1))
      throw std::runtime_error("image and mask sizes differ for " + name);
    out.push_back(std::move(s));
  }
#else
  (void)dir, (void)list, (void)max;
#endif
  return out;
}

}  // namespace

KvasirPack load_kvasir_pack(const std::string& dir, int max_train, int max_val) {
  KvasirPack pack;
  if (!have_image_decoder()) {
    pack.source = "synthetic (built without stb_image.h: run tests/gpu/pack_data.sh)";
    return pack;
  }
  std::error_code ec;
  if (dir.empty() || !fs::is_regular_file(fs::path(dir) / "train.txt", ec)) {
    pack.source = "synthetic (no pack at '" + dir + "': run tests/gpu/pack_data.sh)";
    return pack;
  }
  pack.train = load_split(dir, "train.txt", max_train);
  pack.val = load_split(dir, "val.txt", max_val);
  pack.source = dir;
  return pack;
}

KvasirPack synthetic_pack(int n_train, int n_val, int size, uint64_t seed) {
  torch::manual_seed(seed);
  KvasirPack pack;
  pack.source = "synthetic";
  auto make = [&](int i) {
    Sample s;
    s.name = "synthetic_" + std::to_string(i);
    const auto yy = torch::arange(size).view({size, 1}).to(torch::kFloat);
    const auto xx = torch::arange(size).view({1, size}).to(torch::kFloat);
    const auto c = torch::rand({2}) * (size * 0.6) + size * 0.2;
    const double r = size * (0.1 + 0.2 * torch::rand({1}).item<double>());
    const auto inside = (yy - c[0]).pow(2) + (xx - c[1]).pow(2) < r * r;
    s.label = inside.to(torch::kLong);
    auto img = torch::rand({3, size, size}) * 60 + 80;
    img.index_put_({0}, img[0] + inside.to(torch::kFloat) * 70);  // polyps are redder
    s.image = img.clamp(0, 255).to(torch::kUInt8);
    return s;
  };
  for (int i = 0; i < n_train; ++i) pack.train.push_back(make(i));
  for (int i = 0; i < n_val; ++i) pack.val.push_back(make(n_train + i));
  return pack;
}

}  // namespace pl::gpu
