// polyplens train: headless training on Kvasir-SEG style folders (core/train/trainer.h); --data may be
// repeated to train on several folders together (core/data/dataset.h).
// The paper's recipe for ann-r50/ann-r101, --recipe scratch for the small presets (core/train/recipes.h).
// SIGINT/SIGTERM cancel cleanly with a resumable last.pt; a second signal exits at once.
//
// Data-parallel (docs/distributed.md): `--nproc N` makes this process a launcher that starts N ranks of
// `polyplens train` on this machine (core/train/launcher.h) and forwards SIGINT/SIGTERM (cancel) and
// SIGUSR1/SIGUSR2 (pause/resume) to them; a process started with the torchrun environment (RANK,
// WORLD_SIZE, ...) trains as that rank. Rank 0 prints the run's progress; the others print only errors.
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "app/commands.h"
#include "core/data/dataset.h"
#include "core/train/distributed.h"
#include "core/train/launcher.h"
#include "core/train/recipes.h"
#include "core/train/trainer.h"
#include "model/presets.h"

namespace pl::app {
namespace {

std::atomic<pl::core::train::Trainer*> g_trainer{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) std::_Exit(130);
  if (auto* t = g_trainer.load()) t->cancel();
}

extern "C" void on_pause_signal(int sig) {
  if (auto* t = g_trainer.load()) {
    if (sig == SIGUSR1) t->pause();
    else t->resume();
  }
}

// The launcher passes cancel, pause and resume on to every rank.
extern "C" void on_launcher_signal(int sig) { pl::core::train::forward_signal_to_ranks(sig); }

// The launcher's own argv options: they become the ranks' environment, not their arguments.
const std::set<std::string> kLauncherOptions{"nproc", "nnodes", "node-rank", "master-addr", "master-port"};

// `polyplens train ARGS` without the launcher's options, for the ranks.
std::vector<std::string> rank_args(const Argv& argv, const std::set<std::string>& flags) {
  std::vector<std::string> out{"train"};
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const std::string opt = a.substr(2);
      const auto eq = opt.find('=');
      const std::string name = opt.substr(0, eq);
      if (kLauncherOptions.count(name)) {
        if (eq == std::string::npos && !flags.count(name)) ++i;  // skip its value too
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find this program's path (/proc/self/exe) to start the ranks");
  return std::string(buf, static_cast<size_t>(n));
}

void launcher_log(const std::string& line) { std::cerr << "polyplens train: " << line << "\n" << std::flush; }

// "512x1024" -> {512, 1024}
std::pair<int, int> parse_hxw(const std::string& flag, const std::string& v) {
  int h = 0, w = 0;
  char x = 0, extra = 0;
  if (std::sscanf(v.c_str(), "%d%c%d%c", &h, &x, &w, &extra) != 3 || (x != 'x' && x != 'X') || h <= 0 || w <= 0)
    throw UsageError("option '--" + flag + "' expects HxW with positive integers, e.g. 256x256, got '" + v + "'");
  return {h, w};
}

std::pair<double, double> parse_range(const std::string& flag, const std::string& v) {
  double a = 0, b = 0;
  char c = 0, extra = 0;
  if (std::sscanf(v.c_str(), "%lf%c%lf%c", &a, &c, &b, &extra) != 3 || c != ',')
    throw UsageError("option '--" + flag + "' expects MIN,MAX, e.g. 0.5,2.0, got '" + v + "'");
  return {a, b};
}

std::string fmt_time(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  const long t = static_cast<long>(s + 0.5);
  char b[32];
  std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  return b;
}

// Every value of a repeatable option (`--data A --data B`, `--data=A`) in the order given. Args keeps
// only the last value of an option, so this walks argv as Args::parse does (after it accepted argv):
// flags take no value, other options take `=value` or the next argument.
std::vector<std::string> repeated_values(const Argv& argv, const std::string& name, const std::set<std::string>& flags) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    const std::string opt = a.substr(2);
    if (const auto eq = opt.find('='); eq != std::string::npos) {
      if (opt.substr(0, eq) == name) out.push_back(opt.substr(eq + 1));
      continue;
    }
    if (flags.count(opt)) continue;
    if (i + 1 < argv.size() && opt == name) out.push_back(argv[i + 1]);
    ++i;
  }
  return out;
}

std::string join_presets() {
  std::string s;
  for (const auto& n : pl::model::preset_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

int train_main(const Argv& argv) {
  using pl::core::train::TrainConfig;
  const TrainConfig d;
  Args args("train",
            "Train the ANN segmenter on Kvasir-SEG style folders (images/ + masks/; repeat --data to train on\n"
            "several, e.g. --data kvasir-seg --data CVC-ClinicDB). Defaults are the paper's\n"
            "recipe (SGD 0.01, momentum 0.9, wd 5e-4, batch 10, 500 epochs, poly 0.9, CE + 0.4 aux CE) for\n"
            "ann-r50/ann-r101; the small presets default to --recipe scratch, measured best for training\n"
            "from scratch (docs/recipe.md section 6).\n"
            "The run directory gets config.json, split.json, last.pt, best.pt and metrics.jsonl.\n"
            "Ctrl-C stops cleanly with a resumable last.pt; continue with --resume --out RUN_DIR.");
  // Every TrainConfig setting with a flag comes from its one field list (train_config.h); the rest
  // are combined flags (--crop HxW, --scale, --ratio MIN,MAX, --no-photometric) and the run itself.
  std::set<std::string> flags{"no-photometric", "resume"};  // for repeated_values()
  visit_fields(d, [&](const pl::core::train::ConfigField& f, const auto& v) {
    if (!*f.flag) return;
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, bool>) {
      args.flag(f.flag, f.help);
      flags.insert(f.flag);
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::string key = f.key;
      const std::string def = key == "data_root" ? pl::core::data::default_data_root() : v;
      const std::string help = key == "preset"      ? "model preset: " + join_presets()
                               : key == "data_root" ? std::string(f.help) +
                                                          "; repeat it to train on several folders together "
                                                          "(each split by its own train.txt/val.txt, or all "
                                                          "its pairs train when it has neither)"
                                                    : std::string(f.help);
      args.option(f.flag, help, def);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      // extra_data_roots has no flag of its own: the repeated --data sets it.
    } else {
      std::ostringstream def;
      def << v;
      args.option(f.flag, f.help, def.str());
    }
  });
  std::string recipes;
  for (const auto& r : pl::core::train::builtin_recipes()) recipes += "\n      " + r.name + ": " + r.summary;
  args.option("recipe",
              "named recipe applied before the other flags, or a JSON file of config.json keys (default: "
              "paper for ann-r50/ann-r101 or with --backbone-weights, scratch for the other presets):" + recipes);
  args.option("crop", "training crop HxW (default: 512x1024 for ann-r50/ann-r101, else the preset's input size)")
      .option("scale", "RandomResize base scale LONGxSHORT (default: twice the crop)")
      .option("ratio", "RandomResize ratio range MIN,MAX", "0.5,2.0")
      .flag("no-photometric", "disable the photometric distortion")
      .option("out", "run directory (required)")
      .option("nproc", "data-parallel: start N training processes on this machine (docs/distributed.md)")
      .option("nnodes", "data-parallel: machines taking part (run the same command on each)", "1")
      .option("node-rank", "data-parallel: which machine this is, 0..nnodes-1", "0")
      .option("master-addr", "data-parallel: address of node 0 (rendezvous)", "127.0.0.1")
      .option("master-port", "data-parallel: rendezvous port (default: a free one on one machine, 29500 on several)")
      .option("dist-backend", "data-parallel: auto (NCCL on CUDA, Gloo on the CPU), gloo or nccl", "auto")
      .option("dist-timeout", "data-parallel: seconds the rendezvous and any collective may take", "300")
      .option("bn", "BatchNorm: per-rank (statistics of each process's share of the batch) or frozen (running "
              "statistics)", "per-rank")
      .flag("resume", "continue from RUN_DIR/last.pt with RUN_DIR/config.json (flags given here override it)");
  if (!args.parse(argv)) return 0;
  if (!args.has("out")) throw UsageError("--out RUN_DIR is required");

  const std::string out = args.get("out");
  const auto saved = std::filesystem::path(out) / "config.json";
  const bool from_saved = args.has("resume") && std::filesystem::exists(saved);
  TrainConfig c;
  if (from_saved) {
    std::ifstream in(saved);
    std::stringstream ss;
    ss << in.rdbuf();
    c = TrainConfig::from_json(ss.str());
  }
  // Resuming with a saved config: only the flags given here change it; a new run starts from the
  // defaults (and the default data folder).
  if (!from_saved) c.data_root = pl::core::data::default_data_root();
  // The recipe comes before the flags, so `--recipe scratch --epochs 300` changes only the length.
  if (!from_saved || args.has("recipe")) {
    const std::string preset = args.has("preset") ? args.get("preset") : c.preset;
    const std::string recipe = args.has("recipe")
                                   ? args.get("recipe")
                                   : pl::core::train::default_recipe(preset, args.has("backbone-weights"));
    try {
      pl::core::train::apply_recipe(c, recipe);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  visit_fields(c, [&](const pl::core::train::ConfigField& f, auto& v) {
    if (!*f.flag || !args.has(f.flag)) return;
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, bool>) {
      v = true;
    } else if constexpr (std::is_same_v<T, std::string>) {
      v = args.get(f.flag);
    } else if constexpr (std::is_same_v<T, int>) {
      v = args.get_int(f.flag);
    } else if constexpr (std::is_same_v<T, double>) {
      v = args.get_double(f.flag);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      // no flag (see below)
    } else {
      static_assert(std::is_same_v<T, uint64_t>);
      const std::string s = args.get(f.flag);
      try {
        size_t pos = 0;
        if (s.empty() || s[0] == '-') throw std::invalid_argument(s);
        v = std::stoull(s, &pos);
        if (pos != s.size()) throw std::invalid_argument(s);
      } catch (const std::exception&) {
        throw UsageError("option '--" + std::string(f.flag) + "' expects a non-negative integer, got '" + s + "'");
      }
    }
  });
  // --data may be repeated: the first folder is data_root, the others extra_data_roots. Given on a
  // resume, the folders replace the saved ones (the run's split.json still decides the images).
  if (const auto data = repeated_values(argv, "data", flags); !data.empty()) {
    for (const auto& folder : data)
      if (folder.empty()) throw UsageError("option '--data' expects a folder, got ''");
    c.data_root = data.front();
    c.extra_data_roots.assign(data.begin() + 1, data.end());
  }
  if (args.has("crop")) std::tie(c.crop_h, c.crop_w) = parse_hxw("crop", args.get("crop"));
  if (args.has("scale")) std::tie(c.scale_long, c.scale_short) = parse_hxw("scale", args.get("scale"));
  if (!from_saved || args.has("ratio")) std::tie(c.ratio_min, c.ratio_max) = parse_range("ratio", args.get("ratio"));
  if (args.has("no-photometric")) c.photometric = false;
  c.out_dir = out;
  c.resume = args.has("resume");
  if (c.resume && !std::filesystem::exists(std::filesystem::path(out) / "last.pt"))
    throw UsageError("--resume: no " + (std::filesystem::path(out) / "last.pt").string() + " to resume from");
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  // Data-parallel settings: the torchrun environment says which rank this is; --nproc launches ranks.
  pl::core::train::DistOptions dist;
  std::optional<pl::core::train::DistOptions> from_env;
  try {
    from_env = pl::core::train::dist_options_from_env();
    if (from_env) dist = *from_env;
    dist.backend = args.get("dist-backend");
    dist.timeout_s = args.get_double("dist-timeout");
    dist.bn = args.get("bn");
    dist.validate();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  const bool launch = args.has("nproc") || args.has("nnodes");
  if (launch && from_env)
    throw UsageError("--nproc/--nnodes start the ranks themselves; this process already is rank " +
                     std::to_string(dist.rank) + " (RANK is set, e.g. by torchrun): leave them out");
  if ((launch || from_env) && pl::core::train::distributed_backends().empty())
    throw UsageError("this build has no distributed training (LibTorch's c10d with Gloo or NCCL was not found when it "
                     "was built; Debian: install libgloo-dev and rebuild)");
  if (launch) {
    pl::core::train::LaunchPlan plan;
    plan.program = self_executable();
    plan.args = rank_args(argv, flags);
    plan.nproc = args.has("nproc") ? args.get_int("nproc") : 1;
    plan.nnodes = args.get_int("nnodes");
    plan.node_rank = args.get_int("node-rank");
    plan.master_addr = args.get("master-addr");
    plan.master_port = args.has("master-port") ? args.get_int("master-port") : (plan.nnodes > 1 ? 29500 : 0);
    const int world = plan.nproc * plan.nnodes;
    if (plan.nproc < 1) throw UsageError("--nproc must be >= 1, got " + std::to_string(plan.nproc));
    if (c.batch % world != 0)
      throw UsageError("--batch " + std::to_string(c.batch) + " is the global batch and must split into " +
                       std::to_string(world) + " equal shares (one per process)");
    ::setenv("POLYPLENS_LAUNCHER_PID", std::to_string(::getpid()).c_str(), 1);
    std::signal(SIGINT, on_launcher_signal);
    std::signal(SIGTERM, on_launcher_signal);
    std::signal(SIGUSR1, on_launcher_signal);
    std::signal(SIGUSR2, on_launcher_signal);
    std::printf("data-parallel: %d process%s on this machine (ranks %d..%d of %d), global batch %d (%d each); rank 0 "
                "reports\n",
                plan.nproc, plan.nproc == 1 ? "" : "es", plan.node_rank * plan.nproc,
                plan.node_rank * plan.nproc + plan.nproc - 1, world, c.batch, c.batch / world);
    std::fflush(stdout);
    pl::core::train::LaunchResult r;
    try {
      r = pl::core::train::launch_and_supervise(plan, launcher_log);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGUSR1, SIG_DFL);
    std::signal(SIGUSR2, SIG_DFL);
    if (r.failed_rank < 0) return 0;
    if (r.exit_code == 130) return 130;  // cancelled: last.pt is resumable
    std::cerr << "polyplens train: " << r.message << "; the run stopped. The last checkpoint ("
              << (std::filesystem::path(out) / "last.pt").string() << ") is intact: continue with --resume\n";
    return r.exit_code == 0 ? 1 : r.exit_code;
  }
  if (from_env) {
    dist.enabled = true;
    // A rank of our launcher ends with it, whatever kills the launcher.
    if (const char* lp = std::getenv("POLYPLENS_LAUNCHER_PID")) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (std::to_string(::getppid()) != lp) return 1;
    }
  }
  const bool main_rank = dist.rank == 0;

  pl::core::train::Trainer trainer(c);
  trainer.set_distributed(dist);
  // From here a cancel is clean: one that arrives while the data is read (rank 0's prepare(), every
  // rank's loading in run()) ends the run as cancelled, not killed (a launcher or the Training tab may
  // send it at any time).
  struct SignalScope {  // the handlers never see a trainer that is gone (prepare() may throw)
    explicit SignalScope(pl::core::train::Trainer* t) {
      g_trainer = t;
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      std::signal(SIGUSR1, on_pause_signal);
      std::signal(SIGUSR2, on_pause_signal);
    }
    ~SignalScope() {
      g_trainer = nullptr;
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      std::signal(SIGUSR1, SIG_DFL);
      std::signal(SIGUSR2, SIG_DFL);
    }
  };
  std::optional<SignalScope> signals(&trainer);
  if (main_rank) {
    const auto& summary = trainer.prepare();  // the other ranks read rank 0's split in run()
    std::cout << summary.to_string() << "\n" << std::flush;
  }
  using pl::core::train::TrainPhase;
  const auto result = trainer.run([&](const pl::core::train::TrainProgress& p) {
    if (p.phase == TrainPhase::Training && !p.validation &&
        (p.iteration % c.log_every == 0 || p.iteration == p.total_iterations) && p.message.empty()) {
      std::printf("epoch %d/%d  iter %lld/%lld  loss %.4f (decode %.4f, aux %.4f)  lr %.3g  %.2f img/s  ETA %s\n",
                  p.epoch, p.epochs, static_cast<long long>(p.iteration), static_cast<long long>(p.total_iterations),
                  p.loss, p.loss_decode, p.loss_aux, p.lr, p.images_per_s, fmt_time(p.eta_s).c_str());
    }
    if (p.validation) {
      const auto& v = *p.validation;
      std::printf("val @ epoch %d: polyp Dice %.4f IoU %.4f (dataset-level) | per-image Dice %.4f | mDice %.4f "
                  "mIoU %.4f (two-class)%s\n",
                  v.epoch, v.polyp_dice, v.polyp_iou, v.per_image_dice, v.mDice, v.mIoU, v.is_best ? "  [best]" : "");
    }
    if (!p.message.empty() && p.phase != TrainPhase::Failed) std::printf("%s\n", p.message.c_str());
    std::fflush(stdout);
  });
  signals.reset();

  switch (result.phase) {
    case TrainPhase::Finished:
      if (result.best && main_rank)
        std::printf("best: polyp Dice %.4f at epoch %d -> %s\n", result.best->polyp_dice, result.best->epoch,
                    result.best_checkpoint.c_str());
      return 0;
    case TrainPhase::Cancelled: return 130;
    default:
      std::cerr << "polyplens train: " << (dist.enabled ? "[rank " + std::to_string(dist.rank) + "] " : "")
                << result.message << "\n";
      return 1;
  }
}

}  // namespace

int cmd_train(const Argv& argv) { return train_main(argv); }

}  // namespace pl::app
