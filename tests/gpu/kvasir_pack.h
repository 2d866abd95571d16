#pragma once
// The Kvasir-SEG pack made by tests/gpu/pack_data.sh (JPEG images, 0/255 PNG masks, train.txt,
// val.txt), decoded with stb_image when the build found it. Without the header or the folder the
// loader returns an empty set with the reason, and the training check falls back to synthetic data.
#include <string>
#include <vector>

#include <torch/torch.h>

namespace pl::gpu {

struct Sample {
  std::string name;
  torch::Tensor image;  // 3 x H x W uint8 RGB, CPU
  torch::Tensor label;  // H x W int64 {0, 1}, CPU
};

struct KvasirPack {
  std::vector<Sample> train, val;
  std::string source;   // folder, or why it is synthetic
  bool real() const { return !train.empty(); }
};

// Reads up to max_train / max_val samples (0 = all) of the official split. Never throws for a missing
// folder or decoder: returns an empty pack with `source` saying why. Throws std::runtime_error for a
// corrupt file inside an existing pack (naming it).
KvasirPack load_kvasir_pack(const std::string& dir, int max_train = 0, int max_val = 0);

// Blob images and masks, for when there is no pack: the loss still has something to learn.
KvasirPack synthetic_pack(int n_train, int n_val, int size, uint64_t seed);

bool have_image_decoder();

}  // namespace pl::gpu
