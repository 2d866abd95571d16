#include "core/train/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace pl::core::train {

void DistOptions::validate() const {
  auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
  if (world_size < 1) bad("world size must be >= 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size)
    bad("rank " + std::to_string(rank) + " is outside 0.." + std::to_string(world_size - 1) + " (world size " +
        std::to_string(world_size) + ")");
  if (local_rank < 0) bad("local rank must be >= 0, got " + std::to_string(local_rank));
  if (master_port < 1 || master_port > 65535) bad("master port must be 1..65535, got " + std::to_string(master_port));
  if (master_addr.empty()) bad("master address is empty");
  if (backend != "auto" && backend != "gloo" && backend != "nccl")
    bad("distributed backend must be auto, gloo or nccl, got '" + backend + "'");
  if (!(timeout_s > 0)) bad("distributed timeout must be > 0 s, got " + std::to_string(timeout_s));
  if (!(heartbeat_timeout_s >= 2)) bad("heartbeat timeout must be >= 2 s, got " + std::to_string(heartbeat_timeout_s));
  if (bn != "per-rank" && bn != "frozen") bad("--bn must be per-rank or frozen, got '" + bn + "'");
}

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

int env_int(const char* name, const std::string& v, int lo, int hi) {
  size_t pos = 0;
  long x = 0;
  try {
    x = std::stol(v, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (v.empty() || pos != v.size() || x < lo || x > hi)
    throw std::invalid_argument("environment variable " + std::string(name) + "='" + v + "' is not an integer in " +
                                std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(x);
}

}  // namespace

std::optional<DistOptions> dist_options_from_env() {
  const auto rank = env("RANK"), world = env("WORLD_SIZE");
  if (!rank && !world) return std::nullopt;
  if (!rank || !world)
    throw std::invalid_argument(std::string("the torchrun environment is incomplete: ") +
                                (rank ? "RANK is set but WORLD_SIZE is not" : "WORLD_SIZE is set but RANK is not"));
  DistOptions o;
  o.enabled = true;
  o.world_size = env_int("WORLD_SIZE", *world, 1, 1 << 20);
  o.rank = env_int("RANK", *rank, 0, o.world_size - 1);
  o.local_rank = env("LOCAL_RANK") ? env_int("LOCAL_RANK", *env("LOCAL_RANK"), 0, 1 << 16) : 0;
  if (const auto a = env("MASTER_ADDR")) o.master_addr = *a;
  if (const auto p = env("MASTER_PORT")) o.master_port = env_int("MASTER_PORT", *p, 1, 65535);
  else if (o.world_size > 1)
    throw std::invalid_argument("MASTER_PORT is not set (RANK=" + *rank + ", WORLD_SIZE=" + *world +
                                "): every rank needs the rendezvous port of rank 0");
  return o;
}

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("cannot open a socket to pick a port: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot pick a free port on 127.0.0.1: " + why);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

namespace {

// The children of the launch in progress, for forward_signal_to_ranks() (signal handlers).
constexpr int kMaxRanks = 1024;
pid_t g_pids[kMaxRanks];
std::atomic<int> g_npids{0};

std::string describe_exit(int rank, pid_t pid, int status) {
  const std::string who = "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ")";
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return who + " was killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  }
  return who + " exited with code " + std::to_string(WEXITSTATUS(status));
}

void default_log(const std::string& line) { std::cerr << "polyplens launcher: " << line << "\n" << std::flush; }

}  // namespace

void forward_signal_to_ranks(int sig) {
  const int n = g_npids.load();
  for (int i = 0; i < n; ++i)
    if (g_pids[i] > 0) ::kill(g_pids[i], sig);
}

LaunchResult launch_and_supervise(const LaunchPlan& plan, void (*log)(const std::string&)) {
  if (!log) log = default_log;
  if (plan.nproc < 1 || plan.nproc > kMaxRanks)
    throw std::invalid_argument("--nproc must be 1.." + std::to_string(kMaxRanks) + ", got " + std::to_string(plan.nproc));
  if (plan.nnodes < 1) throw std::invalid_argument("--nnodes must be >= 1, got " + std::to_string(plan.nnodes));
  if (plan.node_rank < 0 || plan.node_rank >= plan.nnodes)
    throw std::invalid_argument("--node-rank " + std::to_string(plan.node_rank) + " is outside 0.." +
                                std::to_string(plan.nnodes - 1));
  if (plan.nnodes > 1 && plan.master_port == 0)
    throw std::invalid_argument("several machines need an agreed --master-port (and --master-addr of node 0)");
  const int port = plan.master_port > 0 ? plan.master_port : pick_free_port();
  const int world = plan.nproc * plan.nnodes;

  // The environment every child inherits, without the variables the launcher sets.
  const char* const ours[] = {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=",
                              "MASTER_PORT=", "GROUP_RANK="};
  std::vector<std::string> base;
  for (char** e = environ; *e; ++e) {
    bool skip = false;
    for (const char* p : ours) skip = skip || std::strncmp(*e, p, std::strlen(p)) == 0;
    if (!skip) base.emplace_back(*e);
  }

  std::vector<pid_t> pids;
  auto stop_all = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) ::kill(p, sig);
  };
  for (int local = 0; local < plan.nproc; ++local) {
    const int rank = plan.node_rank * plan.nproc + local;
    std::vector<std::string> envs = base;
    envs.push_back("RANK=" + std::to_string(rank));
    envs.push_back("WORLD_SIZE=" + std::to_string(world));
    envs.push_back("LOCAL_RANK=" + std::to_string(local));
    envs.push_back("LOCAL_WORLD_SIZE=" + std::to_string(plan.nproc));
    envs.push_back("GROUP_RANK=" + std::to_string(plan.node_rank));
    envs.push_back("MASTER_ADDR=" + plan.master_addr);
    envs.push_back("MASTER_PORT=" + std::to_string(port));
    std::vector<char*> envp, argv;
    for (auto& s : envs) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string prog = plan.program;
    argv.push_back(prog.data());
    std::vector<std::string> args = plan.args;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int err = ::posix_spawn(&pid, prog.c_str(), nullptr, nullptr, argv.data(), envp.data());
    if (err != 0) {
      stop_all(SIGKILL);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      g_npids = 0;
      throw std::runtime_error("cannot start rank " + std::to_string(rank) + " (" + plan.program +
                               "): " + std::strerror(err));
    }
    pids.push_back(pid);
    g_pids[local] = pid;
    g_npids = local + 1;
  }

  using Clock = std::chrono::steady_clock;
  LaunchResult result;
  std::vector<bool> running(pids.size(), true);
  size_t left = pids.size();
  std::optional<Clock::time_point> term_at, kill_at;
  while (left > 0) {
    bool reaped = false;
    for (size_t i = 0; i < pids.size(); ++i) {
      if (!running[i]) continue;
      int status = 0;
      const pid_t r = ::waitpid(pids[i], &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
      running[i] = false;
      g_pids[i] = -1;
      --left;
      reaped = true;
      const bool ok = r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok || result.failed_rank >= 0) continue;
      const int rank = plan.node_rank * plan.nproc + static_cast<int>(i);
      result.failed_rank = rank;
      result.exit_code = r < 0 ? 1 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      result.message = r < 0 ? "rank " + std::to_string(rank) + " could not be waited for" : describe_exit(rank, pids[i], status);
      const bool cancelled = result.exit_code == 130;  // SIGINT/SIGTERM passed on: every rank stops there
      if (left > 0 && !cancelled) {
        log(result.message + "; the other ranks stop within " + std::to_string(static_cast<int>(plan.grace_s)) +
            " s (or are stopped)");
      }
      if (left > 0) term_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(plan.grace_s * 1000));
    }
    const auto now = Clock::now();
    if (term_at && now >= *term_at && !kill_at) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (running[i]) {
          log("stopping rank " + std::to_string(plan.node_rank * plan.nproc + static_cast<int>(i)) + " (SIGTERM)");
          ::kill(pids[i], SIGTERM);
        }
      kill_at = now + std::chrono::seconds(5);
    }
    if (kill_at && now >= *kill_at) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (running[i]) ::kill(pids[i], SIGKILL);
      kill_at = now + std::chrono::hours(1);
    }
    if (!reaped && left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  g_npids = 0;
  return result;
}

}  // namespace pl::core::train
