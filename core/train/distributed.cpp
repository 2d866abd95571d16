#include "core/train/distributed.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

// Which c10d backends to build: CMake says (core/CMakeLists.txt checks that the headers compile);
// a build without CMake (tests/gpu/build_direct.sh) looks for Gloo's headers itself.
#ifndef POLYPLENS_DIST_GLOO
#if defined(__has_include)
#if __has_include(<gloo/algorithm.h>) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define POLYPLENS_DIST_GLOO 1
#endif
#endif
#endif
#ifndef POLYPLENS_DIST_GLOO
#define POLYPLENS_DIST_GLOO 0
#endif
#ifndef POLYPLENS_DIST_NCCL
#define POLYPLENS_DIST_NCCL 0
#endif
#define POLYPLENS_DIST (POLYPLENS_DIST_GLOO || POLYPLENS_DIST_NCCL)

#if POLYPLENS_DIST
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#if POLYPLENS_DIST_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if POLYPLENS_DIST_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace pl::core::train {

std::string distributed_backends() {
  std::string s;
  if (POLYPLENS_DIST_GLOO) s = "gloo";
  if (POLYPLENS_DIST_NCCL) s += s.empty() ? "nccl" : ", nccl";
  return s;
}

void freeze_batchnorm(const std::shared_ptr<torch::nn::Module>& module) {
  for (const auto& m : module->modules(/*include_self=*/true))
    if (dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get()) || dynamic_cast<torch::nn::BatchNorm1dImpl*>(m.get()))
      m->eval();
}

namespace {
std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}
}  // namespace

#if POLYPLENS_DIST

// LibTorch 2 split the process group into ProcessGroup (the front) and Backend (Gloo, NCCL): the
// backends are what we construct and call.
#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif

namespace {
using Clock = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

ms to_ms(double s) { return ms(static_cast<int64_t>(s * 1000)); }
std::string hb_key(int r) { return "pl/hb/" + std::to_string(r); }
std::string exit_key(int r) { return "pl/exit/" + std::to_string(r); }
std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
bool is_loopback(const std::string& a) { return a == "localhost" || a.rfind("127.", 0) == 0; }
}  // namespace

struct DistContext::Impl {
  DistOptions opt;
  std::string backend;
  c10::Device device{c10::kCPU};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Group> group;

  std::thread heartbeat;
  std::atomic<bool> stop{false};
  std::mutex mu;          // guards problem, problem_at
  std::string problem;    // the rank that stopped and how, once the heartbeat knows
  Clock::time_point problem_at;

  void report(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (problem.empty()) {
      problem = what;
      problem_at = Clock::now();
    }
  }
  std::string named() {
    std::lock_guard<std::mutex> lock(mu);
    return problem;
  }
  void run_heartbeat();
};

// Every second: bump this rank's counter, read the others' counters and exit reasons. A rank whose
// counter stands still for heartbeat_timeout_s is named; so is rank 0 when its store goes away.
// When the training thread has not failed on its own within a grace period after that (a
// collective that never returns), the process ends here: bounded, and the checkpoint is intact
// because every file is written by rename.
void DistContext::Impl::run_heartbeat() {
  const int world = opt.world_size, me = opt.rank;
  c10::intrusive_ptr<c10d::TCPStore> client;
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(opt.master_port);
    so.isServer = false;
    so.waitWorkers = false;
    so.timeout = ms(5000);
    client = c10::make_intrusive<c10d::TCPStore>(opt.master_addr, so);
  } catch (const std::exception& e) {
    report("rank " + std::to_string(me) + " cannot open its heartbeat connection to " + opt.master_addr + ":" +
           std::to_string(opt.master_port) + ": " + first_line(e.what()));
  }
  std::vector<int64_t> last(static_cast<size_t>(world), -1);
  std::vector<Clock::time_point> changed(static_cast<size_t>(world), Clock::now());
  const auto dead_after = to_ms(opt.heartbeat_timeout_s);
  const auto grace = std::max(ms(30000), to_ms(3 * opt.heartbeat_timeout_s));
  while (!stop) {
    if (client) {
      try {
        client->add(hb_key(me), 1);
        for (int q = 0; q < world; ++q) {
          if (q == me) continue;
          if (client->check({exit_key(q)})) {
            const auto v = client->get(exit_key(q));
            const std::string why(v.begin(), v.end());
            if (why != "finished") report("rank " + std::to_string(q) + " stopped: " + why);
            continue;
          }
          const int64_t v = client->add(hb_key(q), 0);
          const auto now = Clock::now();
          if (v != last[static_cast<size_t>(q)]) {
            last[static_cast<size_t>(q)] = v;
            changed[static_cast<size_t>(q)] = now;
          } else if (now - changed[static_cast<size_t>(q)] > dead_after) {
            report("rank " + std::to_string(q) + " sent no heartbeat for " +
                   std::to_string(static_cast<int>(opt.heartbeat_timeout_s)) +
                   " s: it died, was killed or lost its connection");
          }
        }
      } catch (const std::exception& e) {
        if (stop) break;
        report(me == 0 ? "the rendezvous store failed: " + first_line(e.what())
                       : "rank 0 is gone: its rendezvous store at " + opt.master_addr + ":" +
                             std::to_string(opt.master_port) + " closed the connection (rank 0 died or was killed)");
        client.reset();
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!problem.empty() && Clock::now() - problem_at > grace && !stop) {
        std::fprintf(stderr, "[rank %d] %s; this rank is still blocked %d s later: exiting\n", me, problem.c_str(),
                     static_cast<int>(std::chrono::duration_cast<ms>(grace).count() / 1000));
        std::fflush(stderr);
        std::_Exit(1);
      }
    }
    for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(ms(100));
  }
}

DistContext::DistContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DistContext::~DistContext() {
  // The group first: the heartbeat's watchdog still guards a teardown that blocks.
  impl_->group.reset();
  impl_->stop = true;
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  impl_->store.reset();
}

std::unique_ptr<DistContext> DistContext::connect(const DistOptions& o, const c10::Device& device) {
  o.validate();
  auto s = std::make_unique<Impl>();
  s->opt = o;
  s->device = device;
  s->backend = o.backend == "auto" ? (device.is_cuda() ? "nccl" : "gloo") : o.backend;
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  if (s->backend == "gloo" && !POLYPLENS_DIST_GLOO)
    throw DistError("this build has no Gloo backend (LibTorch's c10d Gloo headers were not found at build time; "
                    "Debian: libgloo-dev); backends here: " +
                    (distributed_backends().empty() ? std::string("none") : distributed_backends()));
  if (s->backend == "nccl" && !POLYPLENS_DIST_NCCL)
    throw DistError("this build has no NCCL backend (it needs a CUDA LibTorch with c10d's NCCL headers and nccl.h); "
                    "backends here: " +
                    (distributed_backends().empty() ? std::string("none") : distributed_backends()));
  if (s->backend == "nccl" && !device.is_cuda())
    throw DistError("the NCCL backend needs a CUDA device, but this rank trains on " + device.str() +
                    "; use --dist-backend gloo");
  if (s->backend == "gloo" && device.is_cuda())
    throw DistError("the Gloo backend here reduces CPU tensors, but this rank trains on " + device.str() +
                    "; use --dist-backend nccl (or auto)");
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<size_t>(o.world_size);
    so.waitWorkers = true;
    so.timeout = to_ms(o.timeout_s);
    s->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
  } catch (const std::exception& e) {
    throw DistError("rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size) + ": rendezvous at " +
                    where + " failed within " + std::to_string(static_cast<int>(o.timeout_s)) + " s (" +
                    first_line(e.what()) + "); check that every rank started and agrees on MASTER_ADDR/MASTER_PORT" +
                    (o.rank == 0 ? " and that the port is free" : ""));
  }
  try {
    if (s->backend == "gloo") {
#if POLYPLENS_DIST_GLOO
      auto go = c10d::ProcessGroupGloo::Options::create(to_ms(o.timeout_s));
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
        go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(o.master_addr))
        go->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        go->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      go->threads = 2;
      s->group = c10::make_intrusive<c10d::ProcessGroupGloo>(s->store, o.rank, o.world_size, go);
#endif
    } else {
#if POLYPLENS_DIST_NCCL
      c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(device);
      auto no = c10d::ProcessGroupNCCL::Options::create();
      no->timeout = to_ms(o.timeout_s);
      s->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(s->store, o.rank, o.world_size, no);
#endif
    }
  } catch (const std::exception& e) {
    throw DistError("rank " + std::to_string(o.rank) + ": opening the " + s->backend + " process group failed (" +
                    first_line(e.what()) + ")");
  }
  s->heartbeat = std::thread([p = s.get()] { p->run_heartbeat(); });
  return std::unique_ptr<DistContext>(new DistContext(std::move(s)));
}

int DistContext::rank() const { return impl_->opt.rank; }
int DistContext::world() const { return impl_->opt.world_size; }
const std::string& DistContext::backend() const { return impl_->backend; }

void DistContext::broadcast(std::vector<at::Tensor>& tensors) {
  // One collective per dtype over the tensors flattened together (c10d broadcasts a list of
  // same-shaped per-device copies, not a list of different tensors).
  std::map<c10::ScalarType, std::vector<size_t>> by_type;
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  try {
    for (const auto& [type, idx] : by_type) {
      std::vector<at::Tensor> flat_parts;
      for (size_t i : idx) flat_parts.push_back(tensors[i].detach().reshape(-1));
      std::vector<at::Tensor> flat{torch::cat(flat_parts).contiguous()};
      c10d::BroadcastOptions bo;
      bo.rootRank = 0;
      impl_->group->broadcast(flat, bo)->wait();
      torch::NoGradGuard no_grad;
      int64_t off = 0;
      for (size_t i : idx) {
        const int64_t n = tensors[i].numel();
        tensors[i].copy_(flat[0].narrow(0, off, n).view(tensors[i].sizes()));
        off += n;
      }
    }
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    fail("broadcasting rank 0's weights", e);
  }
}

void DistContext::allreduce_sum(at::Tensor& t) {
  std::vector<at::Tensor> v{t};
  impl_->group->allreduce(v)->wait();
}

void DistContext::barrier(const std::string& what) {
  // An all-reduce of one number on the training device: the same on Gloo and NCCL (NCCL's barrier
  // guesses the device from the rank).
  try {
    auto t = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat).device(impl_->device));
    allreduce_sum(t);
    (void)t.item<float>();
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    fail(what, e);
  }
}

void DistContext::signal(const std::string& key) { impl_->store->set("pl/signal/" + key, bytes("1")); }

void DistContext::wait_signal(const std::string& key) {
  try {
    impl_->store->wait({"pl/signal/" + key}, std::chrono::hours(24 * 365));
  } catch (const std::exception& e) {
    fail("waiting for rank 0 (" + key + ")", e);
  }
}

void DistContext::fail(const std::string& where, const std::exception& e) {
  const auto deadline = Clock::now() + to_ms(impl_->opt.heartbeat_timeout_s + 2);
  std::string named = impl_->named();
  while (named.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(ms(100));
    named = impl_->named();
  }
  const std::string msg = where + " failed (" + first_line(e.what()) + "). " +
                          (named.empty() ? "No rank was named gone within " +
                                               std::to_string(static_cast<int>(impl_->opt.heartbeat_timeout_s)) +
                                               " s: a rank may have hung (collective timeout " +
                                               std::to_string(static_cast<int>(impl_->opt.timeout_s)) + " s)"
                                         : named);
  set_exit_reason(msg);
  impl_->stop = true;  // this thread reports and exits on its own now
  throw DistError(msg);
}

void DistContext::set_exit_reason(const std::string& reason) {
  try {
    impl_->store->set(exit_key(rank()), bytes(reason));
  } catch (const std::exception&) {
    // The store is gone (rank 0 died): nobody is left to tell.
  }
}

void DistContext::finish() {
  barrier("the final meeting of the ranks");
  set_exit_reason("finished");
  // Rank 0 serves the store: it leaves last, once every other rank said it finished.
  if (rank() == 0) {
    for (int q = 1; q < world(); ++q) {
      try {
        impl_->store->wait({exit_key(q)}, to_ms(impl_->opt.timeout_s));
      } catch (const std::exception&) {
        break;
      }
    }
  }
  impl_->stop = true;
}

struct GradSync::State {
  struct Slot {
    at::Tensor param;
    size_t bucket = 0;
    int64_t offset = 0;
    bool arrived = false;
    unsigned hook = 0;
  };
  struct Bucket {
    at::Tensor flat;
    std::vector<size_t> slots;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  DistContext* ctx = nullptr;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  size_t next_launch = 0;
  std::mutex mu;  // hooks may run on autograd's device thread

  // Launches every bucket whose gradients are all in, in bucket order (the same on every rank).
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      std::vector<at::Tensor> v{buckets[next_launch].flat};
      buckets[next_launch].work = ctx->impl().group->allreduce(v);
      ++next_launch;
    }
  }
  void on_grad(size_t i, const at::Tensor& g) {
    std::lock_guard<std::mutex> lock(mu);
    Slot& s = slots[i];
    Bucket& b = buckets[s.bucket];
    b.flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes()).copy_(g);
    if (!s.arrived) {
      s.arrived = true;
      --b.pending;
    }
    launch_ready();
  }
};

GradSync::GradSync(DistContext& ctx, const std::vector<std::pair<std::string, at::Tensor>>& params, double bucket_mb)
    : ctx_(ctx), s_(std::make_unique<State>()) {
  s_->ctx = &ctx;
  // Reverse order, about the order backward produces the gradients in; a new bucket at a dtype or
  // device change or when the cap is reached (1 MiB for the first).
  const int64_t cap = static_cast<int64_t>(bucket_mb * 1024 * 1024), first_cap = std::min<int64_t>(cap, 1 << 20);
  int64_t bytes = 0;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    const at::Tensor& p = it->second;
    const int64_t nb = p.numel() * static_cast<int64_t>(p.element_size());
    const bool new_bucket = s_->buckets.empty() || s_->buckets.back().flat.scalar_type() != p.scalar_type() ||
                            s_->buckets.back().flat.device() != p.device() ||
                            bytes + nb > (s_->buckets.size() == 1 ? first_cap : cap);
    if (new_bucket) {
      s_->buckets.emplace_back();
      s_->buckets.back().flat = torch::empty({0}, p.options());
      bytes = 0;
    }
    State::Slot slot;
    slot.param = p;
    slot.bucket = s_->buckets.size() - 1;
    s_->buckets.back().slots.push_back(s_->slots.size());
    s_->slots.push_back(slot);
    bytes += nb;
  }
  for (auto& b : s_->buckets) {
    int64_t n = 0;
    for (size_t i : b.slots) {
      s_->slots[i].offset = n;
      n += s_->slots[i].param.numel();
    }
    b.flat = torch::zeros({n}, b.flat.options());
  }
  for (size_t i = 0; i < s_->slots.size(); ++i) {
    State* st = s_.get();
    s_->slots[i].hook = s_->slots[i].param.register_hook([st, i](const at::Tensor& g) { st->on_grad(i, g); });
  }
}

GradSync::~GradSync() {
  for (auto& s : s_->slots) s.param.remove_hook(s.hook);
}

size_t GradSync::buckets() const { return s_->buckets.size(); }

void GradSync::begin() {
  std::lock_guard<std::mutex> lock(s_->mu);
  for (auto& s : s_->slots) s.arrived = false;
  for (auto& b : s_->buckets) {
    b.pending = b.slots.size();
    b.work.reset();
  }
  s_->next_launch = 0;
}

void GradSync::end() {
  try {
    {
      std::lock_guard<std::mutex> lock(s_->mu);
      // Parameters that got no gradient this time contribute zeros; every bucket is reduced, in order.
      for (auto& b : s_->buckets) {
        if (b.pending == 0) continue;
        for (size_t i : b.slots)
          if (!s_->slots[i].arrived) b.flat.narrow(0, s_->slots[i].offset, s_->slots[i].param.numel()).zero_();
        b.pending = 0;
      }
      s_->launch_ready();
    }
    for (auto& b : s_->buckets) b.work->wait();
  } catch (const DistError&) {
    throw;
  } catch (const std::exception& e) {
    ctx_.fail("the gradient all-reduce", e);
  }
  torch::NoGradGuard no_grad;
  const double inv = 1.0 / ctx_.world();
  for (auto& b : s_->buckets) b.flat.mul_(inv);
  for (auto& s : s_->slots) {
    const auto mean = s_->buckets[s.bucket].flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
    if (s.param.grad().defined())
      s.param.mutable_grad().copy_(mean);
    else
      s.param.mutable_grad() = mean.clone();
  }
}

#else  // no c10d backend in this build

struct DistContext::Impl {};
struct GradSync::State {};

DistContext::DistContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DistContext::~DistContext() = default;

std::unique_ptr<DistContext> DistContext::connect(const DistOptions& o, const c10::Device&) {
  o.validate();
  throw DistError("this build has no distributed training: LibTorch's c10d with Gloo (Debian: libgloo-dev) or NCCL "
                  "was not found when it was built (docs/distributed.md)");
}
int DistContext::rank() const { return 0; }
int DistContext::world() const { return 1; }
const std::string& DistContext::backend() const {
  static const std::string none = "none";
  return none;
}
void DistContext::broadcast(std::vector<at::Tensor>&) {}
void DistContext::allreduce_sum(at::Tensor&) {}
void DistContext::barrier(const std::string&) {}
void DistContext::signal(const std::string&) {}
void DistContext::wait_signal(const std::string&) {}
void DistContext::fail(const std::string& where, const std::exception& e) {
  throw DistError(where + " failed (" + first_line(e.what()) + ")");
}
void DistContext::set_exit_reason(const std::string&) {}
void DistContext::finish() {}

GradSync::GradSync(DistContext& ctx, const std::vector<std::pair<std::string, at::Tensor>>&, double)
    : ctx_(ctx), s_(std::make_unique<State>()) {}
GradSync::~GradSync() = default;
size_t GradSync::buckets() const { return 0; }
void GradSync::begin() {}
void GradSync::end() {}

#endif

}  // namespace pl::core::train
