#include "core/bench/train_bench.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <torch/torch.h>

#include "core/bench/json_util.h"
#include "core/bench/table.h"
#include "core/bench/torch_util.h"
#include "core/data/augment.h"
#include "core/data/batch_augment.h"
#include "core/data/dataset.h"
#include "core/data/rng.h"
#include "core/data/sample_cache.h"
#include "core/train/batch_loader.h"
#include "core/train/sgd.h"
#include "core/train/train_step.h"
#include "model/autocast.h"
#include "model/device.h"
#include "model/presets.h"
#include "model/segmentor.h"

namespace pl::core::bench {
namespace {

namespace fs = std::filesystem;
namespace data = pl::core::data;
namespace train = pl::core::train;

// The paper's recipe (docs/recipe.md), as TrainConfig's defaults: SGD lr 0.01 (constant here: the
// poly decay does not change the cost), momentum 0.9, weight decay 5e-4, aux weight 0.4, no Dice.
constexpr double kLr = 0.01, kMomentum = 0.9, kWeightDecay = 5e-4, kAuxWeight = 0.4;
constexpr uint64_t kSeed = 0;
// Synthetic samples: the size of a typical Kvasir-SEG image (332-1920 px wide, most about 600x500).
constexpr int kSyntheticH = 512, kSyntheticW = 600;

int default_batch(const pl::model::SegmentorOptions& o, bool cuda) { return cuda || o.depth < 50 ? 8 : 2; }

// Decoded training samples for one cache long side, and their device banks (built on first use).
struct TrainData {
  std::string source;  // "kvasir-seg (N images)" | "synthetic"
  std::string note;    // why synthetic, when a folder was looked for
  std::vector<data::Sample> samples;
  std::map<std::string, std::unique_ptr<data::SampleBank>> banks;  // by device

  const data::SampleBank& bank(const c10::Device& device) {
    auto& b = banks[device.str()];
    if (!b) b = std::make_unique<data::SampleBank>(data::SampleBank::build(samples, device));
    return *b;
  }
};

// Random RGB noise with one elliptical "polyp" (label 1) per image, shrunk on load like real data.
std::vector<data::Sample> synthetic_samples(int n, int long_side) {
  data::Rng rng(data::derive_seed(kSeed, 0x5917, 0));
  torch::manual_seed(1);
  const auto ys = torch::arange(kSyntheticH, torch::kFloat).view({kSyntheticH, 1});
  const auto xs = torch::arange(kSyntheticW, torch::kFloat).view({1, kSyntheticW});
  std::vector<data::Sample> out;
  for (int i = 0; i < n; ++i) {
    data::Sample s;
    s.name = "synthetic_" + std::to_string(i);
    s.image = torch::randint(256, {3, kSyntheticH, kSyntheticW}, torch::TensorOptions().dtype(torch::kUInt8));
    const double cy = data::uniform(rng, 0.3, 0.7) * kSyntheticH, cx = data::uniform(rng, 0.3, 0.7) * kSyntheticW;
    const double ay = data::uniform(rng, 0.1, 0.3) * kSyntheticH, ax = data::uniform(rng, 0.1, 0.3) * kSyntheticW;
    s.label = (((ys - cy) / ay).square() + ((xs - cx) / ax).square() <= 1.0).to(torch::kUInt8).contiguous();
    s.orig_h = kSyntheticH;
    s.orig_w = kSyntheticW;
    data::shrink_to_long_side(s.image, s.label, long_side);
    out.push_back(std::move(s));
  }
  return out;
}

// The first `n` training images of the folder (official split when it has train.txt/val.txt, else
// random90), decoded and shrunk to `long_side` as the Trainer's cache does (2 x the crop's long
// side); synthetic ones when there is no usable folder. At least `at_least` samples either way.
TrainData load_data(const TrainBenchOptions& o, int long_side, int n, int at_least) {
  TrainData d;
  const std::string root = o.data_root.empty() ? data::default_data_root() : o.data_root;
  if (root != "synthetic") {
    std::error_code ec;
    const fs::path dir = fs::path(root).lexically_normal();
    if (!fs::is_directory(dir, ec)) {
      d.note = "no data folder " + root;
    } else {
      try {
        data::DatasetOptions dopt;
        dopt.root = root;
        dopt.split = fs::exists(dir / "train.txt", ec) && fs::exists(dir / "val.txt", ec) ? "official" : "random90";
        auto idx = data::scan_dataset(dopt);
        if (idx.train.size() > size_t(n)) idx.train.resize(size_t(n));
        data::LoadOptions lo;
        lo.long_side = long_side;
        lo.threads = std::max(1, at::get_num_threads());
        auto samples = data::load_samples(idx.train, lo, &idx.summary);
        if (samples.size() < size_t(at_least)) {
          d.note = root + ": " + std::to_string(samples.size()) + " usable training images, " +
                   std::to_string(at_least) + " needed";
        } else {
          std::string name = dir.filename().string();
          if (name.empty() || name == "." || name == "..") name = root;
          d.source = name + " (" + std::to_string(samples.size()) + " images)";
          d.samples = std::move(samples);
          return d;
        }
      } catch (const std::exception& e) {
        d.note = root + ": " + e.what();
      }
    }
  }
  d.source = "synthetic";
  d.samples = synthetic_samples(std::max(n, at_least), long_side);
  return d;
}

// Window statistics divided by the iterations per window: figures per iteration.
Stats per_iteration(Stats s, int window) {
  for (double* v : {&s.median_ms, &s.p90_ms, &s.min_ms, &s.max_ms, &s.mean_ms, &s.cpu_median_ms}) *v /= window;
  return s;
}

std::string peer_dtype(const std::string& dtype) { return dtype == "bf16-autocast" ? "bf16" : dtype; }

void run_case(TrainBenchResult& r, const TrainBenchOptions& o, const c10::Device& device, TrainData& td) {
  const auto opts = pl::model::preset(r.preset);
  const bool cuda = device.is_cuda();
  const bool autocast = r.dtype == "bf16-autocast";
  const int K = r.window;
  r.data = td.source;
  r.data_note = td.note;

  data::AugmentOptions aug;  // TrainConfig's defaults (mmseg's pipeline), the preset's normalisation
  aug.crop_h = r.crop_h;
  aug.crop_w = r.crop_w;
  aug.mean = opts.mean;
  aug.std = opts.std;
  aug.validate();
  const data::SampleBank* bank = r.data_path == "device" ? &td.bank(device) : nullptr;

  torch::manual_seed(0);
  pl::model::AnnSegmentor model(opts);
  model->to(device);
  if (cuda) train::to_channels_last(model);  // as the Trainer: NHWC on CUDA, NCHW on the CPU
  model->train();
  std::vector<std::pair<std::string, at::Tensor>> params;
  for (auto& kv : model->named_parameters())
    if (kv.value().requires_grad()) params.emplace_back(kv.key(), kv.value());
  train::Sgd sgd(params, kMomentum, kWeightDecay);
  train::TrainStepOptions so;
  so.amp = autocast;
  so.channels_last = cuda;
  so.aux_weight = kAuxWeight;
  so.dice_weight = 0.0;
  train::TrainStep step(model, sgd, device, so);
  // The Trainer reads every step's loss back on the CPU (free there) and only at log steps on CUDA.
  const bool check_each = !cuda;

  // Host path: the Trainer's producer thread, created here so it starts with the clock.
  const int64_t total = int64_t(o.timing.warmup + o.timing.runs) * K;
  std::unique_ptr<train::BatchLoader> loader;
  if (!bank) loader = std::make_unique<train::BatchLoader>(td.samples, aug, r.batch, kSeed, 0, total, /*prefetch=*/2);

  int64_t it = 0;
  bool have_first = false;
  auto window = [&] {
    synchronize(device);  // nothing from before is still queued: the window starts here
    std::vector<at::Tensor> parts;
    parts.reserve(size_t(K));
    for (int k = 0; k < K; ++k, ++it) {
      train::Batch b = bank ? train::make_device_batch(*bank, aug, r.batch, kSeed, it) : loader->next();
      const auto s = step.run(b.images, b.labels, kLr, check_each);
      if (!s.finite) throw std::runtime_error("loss is " + std::to_string(s.total) + " at iteration " + std::to_string(it));
      parts.push_back(s.parts);
    }
    // One read-back per window (it waits for the device: the window ends here).
    const auto v = torch::stack(parts).to(torch::kCPU).contiguous();
    const double* p = v.data_ptr<double>();
    for (int k = 0; k < K; ++k)
      if (!std::isfinite(p[3 * k]))
        throw std::runtime_error("loss is not finite (" + std::to_string(p[3 * k]) + ") at iteration " +
                                 std::to_string(it - K + k));
    if (!have_first) r.first_loss = p[0];
    have_first = true;
    r.last_loss = p[3 * (K - 1)];
    r.last_decode_loss = p[3 * (K - 1) + 1];
    r.last_aux_loss = p[3 * (K - 1) + 2];
  };
  r.window_stats = time_runs(window, o.timing);
  r.step = per_iteration(r.window_stats, K);
  loader.reset();

  // The forward-only column: one batch of the same data path, train mode, no autograd.
  const auto fb = bank ? train::make_device_batch(*bank, aug, r.batch, kSeed, it)
                       : train::make_batch(td.samples, aug, r.batch, kSeed, it);
  auto x = fb.images.to(device);
  if (cuda) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  auto forward = [&] {
    torch::NoGradGuard no_grad;
    pl::model::AutocastScope scope(autocast, cuda);
    auto out = model->forward(x);
    synchronize(device);
  };
  r.forward = time_runs(forward, o.timing);
}

PeerReport run_peer(const TrainBenchOptions& o, const TrainBenchResult& r, const std::vector<std::string>& dtypes,
                    int threads) {
  PeerOptions po;
  po.python = o.python;
  po.script = o.peer_script;
  po.threads = std::max(1, threads);
  po.height = r.crop_h;
  po.width = r.crop_w;
  po.train = true;
  po.batch = r.batch;
  po.device = o.device;
  po.models = {"deeplabv3_r50"};
  po.dtypes.clear();
  for (const auto& d : dtypes) po.dtypes.push_back(peer_dtype(d));
  if (o.device == "cuda") {
    po.window = r.window;  // the same windows as ours
    po.timing = o.timing;
  } else {
    // DeepLabV3-ResNet50 trains at seconds per step on a few cores: 1 warm-up step, 2 timed steps.
    po.window = 1;
    po.timing = TimingOptions{1, 2, o.timing.max_seconds};
  }
  return run_python_peers(po);
}

std::string crop_text(const TrainBenchResult& e) { return std::to_string(e.crop_h) + "x" + std::to_string(e.crop_w); }

}  // namespace

const PeerResult* TrainBenchResult::peer_result() const {
  if (!peer.available) return nullptr;
  for (const auto& p : peer.results)
    if (p.mode == "train" && p.dtype == peer_dtype(dtype)) return &p;
  return nullptr;
}

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
  if (window < 0) throw std::invalid_argument("TrainBenchOptions.window = " + std::to_string(window) + ": must be >= 0");
  if (data_path != "auto" && data_path != "device" && data_path != "host")
    throw std::invalid_argument("TrainBenchOptions.data_path = '" + data_path + "': valid: auto, device, host");
  if (max_images < 1)
    throw std::invalid_argument("TrainBenchOptions.max_images = " + std::to_string(max_images) + ": must be >= 1");
  if (peers && python.empty()) throw std::invalid_argument("TrainBenchOptions.python must not be empty with peers on");
  timing.validate();
}

TrainBenchReport run_train_bench(const TrainBenchOptions& o) {
  o.validate();
  if (o.threads > 0) at::set_num_threads(o.threads);
  TrainBenchReport report;
  report.device = o.device;
  report.threads = at::get_num_threads();
  const bool cuda = o.device == "cuda";
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  // As the Trainer: select_device() also turns the cuDNN autotuner on for CUDA.
  std::optional<c10::Device> device;
  std::string device_error;
  try {
    device = pl::model::select_device(o.device);
  } catch (const std::exception& e) {
    device_error = e.what();
  }

  // Each case with its preset's defaults resolved.
  struct Resolved {
    std::string preset;
    int crop_h, crop_w, batch;
  };
  std::vector<Resolved> cases;
  int max_batch = 1;
  for (const auto& c : o.cases) {
    const auto opts = pl::model::preset(c.preset);
    Resolved rc{c.preset, c.crop_h > 0 ? c.crop_h : opts.input_h, c.crop_w > 0 ? c.crop_w : opts.input_w,
                c.batch > 0 ? c.batch : default_batch(opts, cuda)};
    max_batch = std::max(max_batch, rc.batch);
    cases.push_back(rc);
  }
  const int window = o.window > 0 ? o.window : (cuda ? 20 : 2);

  std::map<int, TrainData> data_by_long_side;  // the Trainer caches at 2 x the crop's long side
  std::map<std::tuple<int, int, int>, PeerReport> peers;  // by (crop_h, crop_w, batch)
  for (const auto& c : cases) {
    const size_t first = report.results.size();
    for (const auto& d : o.dtypes) {
      TrainBenchResult r;
      r.preset = c.preset;
      r.dtype = d;
      r.crop_h = c.crop_h;
      r.crop_w = c.crop_w;
      r.batch = c.batch;
      // auto = what the Trainer does by default (TrainConfig::device_data_path).
      r.data_path = o.data_path != "auto" ? o.data_path : (o.device == "cuda" ? "device" : "host");
      r.window = window;
      try {
        if (!device) throw std::runtime_error(device_error);
        const int long_side = 2 * std::max(c.crop_h, c.crop_w);
        auto td = data_by_long_side.find(long_side);
        if (td == data_by_long_side.end()) {
          say("train data: decoding up to " + std::to_string(std::max(o.max_images, 2 * max_batch)) +
              " training images (long side " + std::to_string(long_side) + ")");
          td = data_by_long_side.emplace(long_side, load_data(o, long_side, std::max(o.max_images, 2 * max_batch), max_batch))
                   .first;
          say("train data: " + td->second.source + (td->second.note.empty() ? "" : " (" + td->second.note + ")"));
        }
        say("train " + c.preset + " " + crop_text(r) + " batch " + std::to_string(r.batch) + " " + d + " (" +
            r.data_path + " data path, windows of " + std::to_string(window) + ")");
        run_case(r, o, *device, td->second);
      } catch (const std::exception& e) {
        r.skipped = std::string("failed: ") + e.what();
      }
      report.results.push_back(std::move(r));
    }
    // The peer after our figures for this case (never at the same time), once per crop and batch.
    PeerReport peer;
    if (!o.peers) {
      peer.reason = "not requested (--no-peers)";
    } else if (!device) {
      peer.reason = "not run: " + device_error;
    } else {
      const auto key = std::make_tuple(c.crop_h, c.crop_w, c.batch);
      auto p = peers.find(key);
      if (p == peers.end()) {
        say("Python peer: torchvision DeepLabV3-ResNet50 train step at " + std::to_string(c.crop_h) + "x" +
            std::to_string(c.crop_w) + ", batch " + std::to_string(c.batch) + " on " + o.device);
        try {
          p = peers.emplace(key, run_peer(o, report.results[first], o.dtypes, report.threads)).first;
        } catch (const std::exception& e) {
          PeerReport failed;
          failed.reason = e.what();
          p = peers.emplace(key, failed).first;
        }
      }
      peer = p->second;
    }
    for (size_t i = first; i < report.results.size(); ++i) report.results[i].peer = peer;
  }
  return report;
}

std::string to_table(const TrainBenchReport& r, const TimingOptions& timing) {
  std::ostringstream o;
  std::set<std::string> paths, sources;
  int window = 0;
  for (const auto& e : r.results) {
    if (!e.data_path.empty()) paths.insert(e.data_path);
    if (!e.data.empty()) sources.insert(e.data + (e.data_note.empty() ? "" : " (" + e.data_note + ")"));
    window = std::max(window, e.window);
  }
  auto join = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string("-") : out;
  };
  o << "Training throughput (the Trainer's iteration): " << r.device << ", " << r.threads << " thread(s); one iteration = "
    << "batch augmentation (data path: " << join(paths) << ") + forward (decode + aux), CE + 0.4 aux CE, backward, SGD "
    << "step; windows of " << window << " iteration(s) timed end to end, median of up to " << timing.runs
    << " windows after " << timing.warmup << " warm-up\n";
  o << "data: " << join(sources) << "\n";
  Table t({"preset", "crop", ">batch", "dtype", ">iteration", ">images/s", ">forward only", ">images/s",
           ">data+backward+step"});
  for (const auto& e : r.results) {
    const std::string crop = crop_text(e);
    if (!e.skipped.empty()) {
      t.add({e.preset, crop, std::to_string(e.batch), e.dtype, "-", "-", "-", "-", "-"});
    } else {
      const double rest = e.step.median_ms - e.forward.median_ms;
      t.add({e.preset, crop, std::to_string(e.batch), e.dtype, format_ms(e.step.median_ms), fixed(e.images_per_s(), 2),
             format_ms(e.forward.median_ms), fixed(e.forward_images_per_s(), 2),
             fixed(e.step.median_ms > 0 ? 100.0 * rest / e.step.median_ms : -1, 0) + " %"});
    }
    if (const auto* p = e.peer_result()) {
      std::string line = "    peer: torchvision DeepLabV3-R50 train step " + fixed(p->images_per_s(), 2) + " img/s (" +
                         format_ms(p->stats.median_ms) + "/step, " + peer_dtype(e.dtype) + ")";
      if (e.skipped.empty() && p->images_per_s() > 0) line += ", ours " + fixed(e.images_per_s() / p->images_per_s(), 2) + "x";
      t.section(line);
    } else {
      t.section("    peer unavailable: " +
                (e.peer.available ? "no figure for " + peer_dtype(e.dtype) : e.peer.reason));
    }
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
    j["data_path"] = e.data_path;
    if (!e.skipped.empty()) {
      j["skipped"] = e.skipped;
    } else {
      j["step"] = to_json(e.step);
      j["forward"] = to_json(e.forward);
      j["images_per_s"] = number(e.images_per_s());
      j["forward_images_per_s"] = number(e.forward_images_per_s());
      j["first_loss"] = number(e.first_loss);
      j["last_loss"] = number(e.last_loss);
      j["last_decode_loss"] = number(e.last_decode_loss);
      j["last_aux_loss"] = number(e.last_aux_loss);
      j["data"] = e.data;
      if (!e.data_note.empty()) j["data_note"] = e.data_note;
      j["window_iterations"] = e.window;
      j["window"] = to_json(e.window_stats);
    }
    auto peer = Json::object();
    const auto* p = e.peer_result();
    peer["available"] = p != nullptr;
    if (!p) {
      peer["reason"] = e.peer.available ? "no figure for " + peer_dtype(e.dtype) : e.peer.reason;
    } else {
      peer["model"] = "torchvision deeplabv3_resnet50 (aux head) train step";
      peer["python"] = e.peer.python_version;
      peer["torch"] = e.peer.torch_version;
      peer["torchvision"] = e.peer.torchvision_version;
      peer["threads"] = e.peer.threads;
      peer["dtype"] = p->dtype;
      peer["batch"] = p->batch;
      peer["step"] = to_json(p->stats);
      peer["images_per_s"] = number(p->images_per_s());
      if (e.skipped.empty() && p->images_per_s() > 0) peer["ours_over_peer"] = number(e.images_per_s() / p->images_per_s());
    }
    j["peer"] = std::move(peer);
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
