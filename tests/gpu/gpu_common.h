#pragma once
// Shared pieces of gpu_check: a tiny JSON writer (gpu_check links polyplens_model only), timing,
// device helpers and the seeded test model. Autocast: model/autocast.h (pl::model::AutocastScope).
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "model/options.h"
#include "model/segmentor.h"

namespace pl::gpu {

// Ordered JSON object; values are stored already encoded.
class Json {
 public:
  Json& set(const std::string& key, double v);
  Json& set(const std::string& key, int64_t v);
  Json& set(const std::string& key, int v) { return set(key, int64_t(v)); }
  Json& set(const std::string& key, bool v);
  Json& set(const std::string& key, const std::string& v);
  Json& set(const std::string& key, const char* v) { return set(key, std::string(v)); }
  Json& set(const std::string& key, const Json& v);
  Json& set(const std::string& key, const std::vector<Json>& v);
  Json& set(const std::string& key, const std::vector<double>& v);
  Json& set(const std::string& key, const std::vector<std::string>& v);
  std::string str(int indent = 0) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};
std::string json_quote(const std::string& s);

struct Timing {
  double median_ms = 0, p90_ms = 0, min_ms = 0;
  int runs = 0;
};
// warmup unmeasured calls, then `runs` measured ones; fn must wait for the device itself.
Timing time_calls(const std::function<void()>& fn, int warmup, int runs);
double now_ms();

bool cuda_available();
void sync(const torch::Device& d);
std::string torch_version();

// Seeded model whose every parameter and BN statistic is perturbed away from its initialisation
// (zero-initialised attention projections, unit BN), so parity covers every path and BN folding
// does real work.
pl::model::AnnSegmentor make_test_model(const pl::model::SegmentorOptions& opts, uint64_t seed);

// Writes text to a file; returns false (and says so on stderr) when it cannot.
bool write_file(const std::string& path, const std::string& text);

}  // namespace pl::gpu
