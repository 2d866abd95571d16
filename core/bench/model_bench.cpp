#include "core/bench/model_bench.h"

#include <map>
#include <stdexcept>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "core/bench/prepared_model.h"
#include "core/bench/torch_util.h"
#include "model/presets.h"
#include "model/stats.h"

namespace pl::core::bench {
namespace {

std::string floor_dtype(const std::string& dtype) { return dtype == "bf16-autocast" ? "bf16" : dtype; }

void say(const ModelBenchOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

pl::model::SegmentorOptions preset_at_size(const ModelBenchOptions& o, const std::string& name) {
  auto opts = pl::model::preset(name);
  if (o.height > 0) opts.input_h = o.height;
  if (o.width > 0) opts.input_w = o.width;
  opts.with_aux = false;  // inference graph: the auxiliary head only exists for training
  opts.validate();
  return opts;
}

}  // namespace

void ModelBenchOptions::validate() const {
  if (presets.empty()) throw std::invalid_argument("ModelBenchOptions.presets: name at least one preset");
  for (const auto& p : presets) pl::model::preset(p);  // throws listing the valid names
  if (height < 0 || width < 0 || (height == 0) != (width == 0))
    throw std::invalid_argument("ModelBenchOptions size = " + std::to_string(height) + "x" + std::to_string(width) +
                                ": give both sides (>= 32) or neither");
  for (const auto& d : dtypes) ModelVariant{d}.validate();
  for (const auto& v : variants) v.validate();
  if (dtypes.empty() && variants.empty()) throw std::invalid_argument("ModelBenchOptions: no dtypes and no variants");
  if (device != "cpu" && device != "cuda")
    throw std::invalid_argument("ModelBenchOptions.device = '" + device + "': valid: cpu, cuda");
  if (threads < 0) throw std::invalid_argument("ModelBenchOptions.threads = " + std::to_string(threads) + ": must be >= 0");
  if (matmul_n < 16) throw std::invalid_argument("ModelBenchOptions.matmul_n = " + std::to_string(matmul_n) + ": must be >= 16");
  timing.validate();
}

const PresetResult* ModelBenchReport::find(const std::string& preset) const {
  for (const auto& p : presets)
    if (p.preset == preset) return &p;
  return nullptr;
}

std::vector<ModelVariant> default_variants(const std::vector<std::string>& dtypes) {
  std::vector<ModelVariant> v;
  for (const auto& d : dtypes)
    for (bool fold : {false, true})
      for (bool cl : {false, true}) v.push_back(ModelVariant{d, fold, cl});
  return v;
}

ModelBenchReport run_model_bench(const ModelBenchOptions& o) {
  o.validate();
  if (o.threads > 0) at::set_num_threads(o.threads);
  const auto variants = o.variants.empty() ? default_variants(o.dtypes) : o.variants;

  ModelBenchReport report;
  report.device = o.device;
  report.torch_version = TORCH_VERSION;
  report.threads = at::get_num_threads();
  report.native_bf16 = o.device == "cpu" && cpu_has_native_bf16();

  // Peaks for every dtype a variant floors against.
  for (const auto& v : variants) {
    const std::string d = floor_dtype(v.dtype);
    if (report.peaks.count(d) || (d == "fp16" && o.device != "cuda")) continue;
    say(o, "matmul peak " + d + " (" + std::to_string(o.matmul_n) + "^3)");
    try {
      report.peaks[d] = measure_matmul_peak(d, o.matmul_n, o.timing.runs > 3 ? 5 : 2, o.device);
    } catch (const std::exception& e) {
      say(o, "matmul peak " + d + " failed: " + e.what());
    }
  }

  std::map<std::pair<int, int>, PeerReport> peers_by_size;
  for (const auto& name : o.presets) {
    const auto opts = preset_at_size(o, name);
    PresetResult pr;
    pr.preset = name;
    pr.height = opts.input_h;
    pr.width = opts.input_w;
    const auto x = at::randn({1, 3, pr.height, pr.width});
    {
      pl::model::AnnSegmentor plain(opts);
      const auto stats = pl::model::model_stats(plain, pr.height, pr.width);
      pr.parameters = stats.params_inference;
      pr.macs_analytic = stats.macs_inference;
      PreparedModel counting(opts, ModelVariant{}, o.device);
      pr.macs = count_macs([&] { counting.forward(x); });
    }
    for (const auto& v : variants) {
      VariantResult vr;
      vr.variant = v;
      if (auto p = report.peaks.find(floor_dtype(v.dtype)); p != report.peaks.end()) {
        vr.floor_ms = floor_ms(double(pr.macs.total()), p->second.gflops);
        vr.floor_cpu_ms = floor_ms(double(pr.macs.total()), p->second.cpu_gflops);
      }
      vr.skipped = variant_unsupported_reason(v, o.device);
      if (vr.skipped.empty()) {
        say(o, name + " " + std::to_string(pr.height) + "x" + std::to_string(pr.width) + " " + v.dtype + " " + v.label());
        try {
          PreparedModel m(opts, v, o.device);
          vr.stats = time_runs([&] { m.forward(x); }, o.timing);
        } catch (const std::exception& e) {
          vr.skipped = std::string("failed: ") + e.what();
        }
      }
      pr.variants.push_back(std::move(vr));
    }
    if (o.peers && o.device == "cpu") {
      const auto size = std::make_pair(pr.height, pr.width);
      if (!peers_by_size.count(size)) {
        say(o, "Python peers at " + std::to_string(pr.height) + "x" + std::to_string(pr.width));
        PeerOptions po;
        po.python = o.python;
        po.script = o.peer_script;
        po.threads = report.threads;
        po.height = pr.height;
        po.width = pr.width;
        po.timing = o.timing;
        po.models = o.peer_models;
        po.dtypes = {"fp32"};
        for (const auto& v : variants)
          if (v.dtype.rfind("bf16", 0) == 0) {
            po.dtypes.push_back("bf16");
            break;
          }
        peers_by_size[size] = run_python_peers(po);
      }
      pr.peers = peers_by_size[size];
    } else {
      pr.peers.reason = o.peers ? "Python peers run on the CPU only" : "not requested";
    }
    report.presets.push_back(std::move(pr));
  }
  return report;
}

}  // namespace pl::core::bench
