#include "core/bench/train_bench.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <torch/torch.h>

#include "model/autocast.h"
#include "core/bench/json_util.h"
#include "core/bench/table.h"
#include "core/bench/torch_util.h"
#include "model/losses.h"
#include "model/presets.h"
#include "model/segmentor.h"

namespace pl::core::bench {
namespace {

int default_batch(const pl::model::SegmentorOptions& o) { return o.depth >= 50 ? 2 : 8; }

TrainBenchResult run_case(const TrainBenchCase& c, const std::string& dtype, const TrainBenchOptions& o) {
  auto opts = pl::model::preset(c.preset);
  TrainBenchResult r;
  r.preset = c.preset;
  r.dtype = dtype;
  r.crop_h = c.crop_h > 0 ? c.crop_h : opts.input_h;
  r.crop_w = c.crop_w > 0 ? c.crop_w : opts.input_w;
  r.batch = c.batch > 0 ? c.batch : default_batch(opts);
  const auto device = device_of(o.device);
  const bool autocast = dtype == "bf16-autocast";

  torch::manual_seed(0);
  pl::model::AnnSegmentor model(opts);
  model->to(device);
  model->train();
  // The paper's recipe (docs/recipe.md): SGD lr 0.01, momentum 0.9, weight decay 5e-4.
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  const auto x = torch::randn({r.batch, 3, r.crop_h, r.crop_w}, torch::TensorOptions().device(device));
  // Blob-like labels (a quarter of the pixels polyp) and a few ignored pixels, as real masks have.
  auto labels = (torch::rand({r.batch, r.crop_h, r.crop_w}, torch::TensorOptions().device(device)) < 0.25).to(torch::kLong);
  labels.index_put_({torch::indexing::Slice(), 0}, pl::model::kIgnoreIndex);

  bool first = true;
  auto step = [&] {
    sgd.zero_grad();
    torch::Tensor loss;
    {
      pl::model::AutocastScope scope(autocast, device.is_cuda());
      loss = pl::model::segmentation_loss(model->forward(x), labels).total;
    }
    loss.backward();
    sgd.step();
    const double v = loss.item<double>();  // also waits for the device
    if (!std::isfinite(v)) throw std::runtime_error("loss is not finite (" + std::to_string(v) + ")");
    if (first) r.first_loss = v;
    first = false;
    r.last_loss = v;
  };
  auto forward = [&] {
    torch::NoGradGuard no_grad;
    pl::model::AutocastScope scope(autocast, device.is_cuda());
    auto out = model->forward(x);
    synchronize(device);
  };
  r.step = time_runs(step, o.timing);
  r.forward = time_runs(forward, o.timing);
  return r;
}

}  // namespace

void TrainBenchOptions::validate() const {
  if (cases.empty()) throw std::invalid_argument("TrainBenchOptions.cases: name at least one preset");
  for (const auto& c : cases) {
    pl::model::preset(c.preset);  // throws listing the valid names
    if (c.crop_h < 0 || c.crop_w < 0 || (c.crop_h == 0) != (c.crop_w == 0) || (c.crop_h > 0 && (c.crop_h < 32 || c.crop_w < 32)))
      throw std::invalid_argument("TrainBenchCase crop = " + std::to_string(c.crop_h) + "x" + std::to_string(c.crop_w) +
                                  ": give both sides (>= 32) or neither");
    if (c.batch < 0) throw std::invalid_argument("TrainBenchCase.batch = " + std::to_string(c.batch) + ": must be >= 0");
  }
  if (dtypes.empty()) throw std::invalid_argument("TrainBenchOptions.dtypes must not be empty");
  for (const auto& d : dtypes)
    if (d != "fp32" && d != "bf16-autocast")
      throw std::invalid_argument("TrainBenchOptions.dtypes: '" + d + "': valid: fp32, bf16-autocast");
  if (device != "cpu" && device != "cuda")
    throw std::invalid_argument("TrainBenchOptions.device = '" + device + "': valid: cpu, cuda");
  if (threads < 0) throw std::invalid_argument("TrainBenchOptions.threads = " + std::to_string(threads) + ": must be >= 0");
  timing.validate();
}

TrainBenchReport run_train_bench(const TrainBenchOptions& o) {
  o.validate();
  if (o.threads > 0) at::set_num_threads(o.threads);
  TrainBenchReport report;
  report.device = o.device;
  report.threads = at::get_num_threads();
  for (const auto& c : o.cases)
    for (const auto& d : o.dtypes) {
      if (o.progress) o.progress("train " + c.preset + " " + d);
      try {
        report.results.push_back(run_case(c, d, o));
      } catch (const std::exception& e) {
        TrainBenchResult r;
        r.preset = c.preset;
        r.dtype = d;
        r.crop_h = c.crop_h;
        r.crop_w = c.crop_w;
        r.batch = c.batch;
        r.skipped = std::string("failed: ") + e.what();
        report.results.push_back(r);
      }
    }
  return report;
}

std::string to_table(const TrainBenchReport& r, const TimingOptions& timing) {
  std::ostringstream o;
  o << "Training throughput: " << r.device << ", " << r.threads << " thread(s); one iteration = forward (decode + aux), "
    << "CE + 0.4 aux CE, backward, SGD step; median of up to " << timing.runs << " iterations after " << timing.warmup
    << " warm-up\n";
  Table t({"preset", "crop", ">batch", "dtype", ">iteration", ">images/s", ">forward only", ">images/s", ">backward+step"});
  for (const auto& e : r.results) {
    const std::string crop = std::to_string(e.crop_h) + "x" + std::to_string(e.crop_w);
    if (!e.skipped.empty()) {
      t.add({e.preset, crop, std::to_string(e.batch), e.dtype, "-", "-", "-", "-", "-"});
      continue;
    }
    const double rest = e.step.median_ms - e.forward.median_ms;
    t.add({e.preset, crop, std::to_string(e.batch), e.dtype, format_ms(e.step.median_ms), fixed(e.images_per_s(), 2),
           format_ms(e.forward.median_ms), fixed(e.forward_images_per_s(), 2),
           fixed(e.step.median_ms > 0 ? 100.0 * rest / e.step.median_ms : -1, 0) + " %"});
  }
  o << t.str();
  for (const auto& e : r.results)
    if (!e.skipped.empty()) o << "  " << e.preset << " " << e.dtype << ": " << e.skipped << "\n";
  return o.str();
}

pl::json::Json to_json(const TrainBenchReport& r) {
  using pl::json::Json;
  using pl::json::number;
  auto results = Json::array();
  for (const auto& e : r.results) {
    auto j = Json::object();
    j["preset"] = e.preset;
    j["dtype"] = e.dtype;
    j["crop_h"] = e.crop_h;
    j["crop_w"] = e.crop_w;
    j["batch"] = e.batch;
    if (!e.skipped.empty()) {
      j["skipped"] = e.skipped;
    } else {
      j["step"] = to_json(e.step);
      j["forward"] = to_json(e.forward);
      j["images_per_s"] = number(e.images_per_s());
      j["forward_images_per_s"] = number(e.forward_images_per_s());
      j["first_loss"] = number(e.first_loss);
      j["last_loss"] = number(e.last_loss);
    }
    results.push_back(std::move(j));
  }
  auto o = Json::object();
  o["suite"] = "train";
  o["device"] = r.device;
  o["threads"] = r.threads;
  o["results"] = std::move(results);
  return o;
}

}  // namespace pl::core::bench
