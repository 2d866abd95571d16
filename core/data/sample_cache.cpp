#include "core/data/sample_cache.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include <torch/torch.h>

#include "core/data/decode.h"
#include "core/data/intraop.h"
#include "core/log/log.h"

namespace pl::core::data {
namespace F = torch::nn::functional;

void LoadOptions::validate() const {
  if (long_side < 0) throw std::invalid_argument("long_side must be >= 0, got " + std::to_string(long_side));
  if (threads < 1) throw std::invalid_argument("loader threads must be >= 1, got " + std::to_string(threads));
}

void shrink_to_long_side(at::Tensor& image, at::Tensor& label, int long_side) {
  const int64_t h = image.size(1), w = image.size(2);
  if (long_side <= 0 || std::max(h, w) <= long_side) return;
  const double s = static_cast<double>(long_side) / static_cast<double>(std::max(h, w));
  const int64_t nh = std::max<int64_t>(1, std::lround(h * s)), nw = std::max<int64_t>(1, std::lround(w * s));
  auto opts = F::InterpolateFuncOptions().size(std::vector<int64_t>{nh, nw}).mode(torch::kBilinear)
                  .align_corners(false).antialias(true);
  image = F::interpolate(image.unsqueeze(0).to(torch::kFloat), opts)
              .squeeze(0).round_().clamp_(0, 255).to(torch::kUInt8).contiguous();
  label = F::interpolate(label.unsqueeze(0).unsqueeze(0).to(torch::kFloat), opts)
              .squeeze(0).squeeze(0).ge(0.5).to(torch::kUInt8).contiguous();
}

Sample load_sample(const SamplePair& pair, int long_side) {
  Image8 rgb = decode_image_rgb(pair.image_path);
  Image8 mask = decode_mask(pair.mask_path);
  if (rgb.height != mask.height || rgb.width != mask.width)
    throw DatasetError(pair.mask_path + ": mask is " + std::to_string(mask.width) + "x" + std::to_string(mask.height) +
                       " but image " + pair.image_path + " is " + std::to_string(rgb.width) + "x" +
                       std::to_string(rgb.height));
  Sample s;
  s.name = pair.name;
  s.orig_h = rgb.height;
  s.orig_w = rgb.width;
  s.image = torch::from_blob(rgb.pixels.data(), {rgb.height, rgb.width, 3}, torch::kUInt8).permute({2, 0, 1}).contiguous();
  s.label = torch::from_blob(mask.pixels.data(), {mask.height, mask.width}, torch::kUInt8).clone();
  shrink_to_long_side(s.image, s.label, long_side);
  return s;
}

std::vector<Sample> load_samples(const std::vector<SamplePair>& pairs, const LoadOptions& options,
                                 DatasetSummary* summary, const std::function<void(int, int)>& progress) {
  options.validate();
  const int n = static_cast<int>(pairs.size());
  std::vector<Sample> slots(pairs.size());
  std::vector<std::string> errors(pairs.size());
  std::atomic<int> next{0}, done{0};

  auto worker = [&] {
    // One intra-op thread per decoder: the workers themselves are the parallelism.
    use_one_intraop_thread_here();
    for (int i = next++; i < n; i = next++) {
      try {
        slots[static_cast<size_t>(i)] = load_sample(pairs[static_cast<size_t>(i)], options.long_side);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(i)] = e.what();
      }
      ++done;
    }
  };
  const int nthreads = std::max(1, std::min(options.threads, n));
  std::vector<std::thread> threads;
  for (int t = 0; t < nthreads; ++t) threads.emplace_back(worker);
  if (progress) {
    while (done.load() < n) {
      progress(done.load(), n);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    progress(n, n);
  }
  for (auto& t : threads) t.join();

  auto log = pl::log::get("train");
  std::vector<Sample> out;
  out.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (errors[i].empty()) {
      out.push_back(std::move(slots[i]));
      continue;
    }
    if (options.strict) throw DatasetError("strict mode: " + errors[i]);
    log->warn("data: skipping {}: {}", pairs[i].name, errors[i]);
    if (summary) {
      summary->problems.push_back({pairs[i].image_path, errors[i]});
      ++summary->skipped;
    }
  }
  return out;
}

}  // namespace pl::core::data
