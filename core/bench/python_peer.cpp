#include "core/bench/python_peer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/json.h"

extern char** environ;

namespace pl::core::bench {
namespace fs = std::filesystem;

namespace {

using pl::json::Json;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

// Lenient readers, like QJsonValue's toDouble()/toInt()/toString()/toBool(): a missing key or a
// value of another type reads as 0, "" or false (the checks below then name what is missing).
double num(const Json& o, const char* key) {
  const auto it = o.find(key);  // end() when o is not an object
  return it != o.end() && it->is_number() ? it->get<double>() : 0.0;
}
int integer(const Json& o, const char* key) {
  const double v = num(o, key);
  return std::isfinite(v) && v == std::floor(v) && std::abs(v) < 2147483647.0 ? int(v) : 0;
}
std::string str(const Json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool boolean(const Json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

Stats stats_from(const Json& o) {
  Stats s;
  s.runs = integer(o, "runs");
  s.median_ms = num(o, "median_ms");
  s.p90_ms = num(o, "p90_ms");
  s.min_ms = num(o, "min_ms");
  s.max_ms = num(o, "max_ms");
  s.mean_ms = num(o, "mean_ms");
  s.cpu_median_ms = num(o, "cpu_median_ms");  // process CPU time per run, all threads
  return s;
}

PeerReport unavailable(std::string reason) {
  PeerReport r;
  r.reason = std::move(reason);
  return r;
}

std::string number_arg(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);  // as QString::number(double): 120, 0.5
  return buf;
}

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct ChildOutcome {
  std::string start_error;  // non-empty: the program did not start
  std::string io_error;     // non-empty: reading its output failed (it was killed)
  bool timed_out = false;
  bool exited = false;      // exited normally (exit_code valid); else killed by term_signal
  int exit_code = -1, term_signal = 0;
  std::string out, err;     // stdout; the tail of stderr
};

// Runs `args[0]` (a path) with `args` and `env`, no shell, stdin from /dev/null, stdout and stderr
// captured through pipes. Kills it (SIGKILL) when it runs past timeout_seconds.
ChildOutcome run_child(const std::vector<std::string>& args, const std::vector<std::string>& env, double timeout_seconds) {
  using Clock = std::chrono::steady_clock;
  constexpr size_t kErrTail = 64 * 1024;
  ChildOutcome r;
  Fd out_r, out_w, err_r, err_w;
  {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      r.start_error = std::string("pipe: ") + std::strerror(errno);
      return r;
    }
    out_r.fd = p[0];
    out_w.fd = p[1];
    if (::pipe2(p, O_CLOEXEC) != 0) {
      r.start_error = std::string("pipe: ") + std::strerror(errno);
      return r;
    }
    err_r.fd = p[0];
    err_w.fd = p[1];
  }
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);  // the dups lose O_CLOEXEC; the originals close
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.start_error = std::strerror(rc);
    return r;
  }
  out_w.reset();  // the child holds the write ends now: EOF when it exits
  err_w.reset();

  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_seconds));
  auto ms_left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  };
  char buf[65536];
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    const auto left = ms_left();
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd fds[2];
    Fd* owners[2];
    nfds_t n = 0;
    for (Fd* f : {&out_r, &err_r})
      if (f->fd >= 0) {
        fds[n] = pollfd{f->fd, POLLIN, 0};
        owners[n++] = f;
      }
    const int ready = ::poll(fds, n, int(std::min<long long>(left, 1000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      r.io_error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        std::string& dest = owners[i] == &out_r ? r.out : r.err;
        dest.append(buf, size_t(got));
        if (owners[i] == &err_r && r.err.size() > kErrTail) r.err.erase(0, r.err.size() - kErrTail);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        owners[i]->reset();  // EOF (or a broken pipe)
      }
    }
  }
  // The pipes are closed (or time is up): reap the child, waiting for it until the deadline.
  int status = 0;
  bool reaped = false;
  while (!r.timed_out && r.io_error.empty()) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      break;
    }
    if (w < 0 && errno != EINTR) break;  // not ours any more (e.g. SIGCHLD ignored): nothing to report
    if (ms_left() <= 0) {
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (r.timed_out || !r.io_error.empty()) {
    ::kill(pid, SIGKILL);
    // As QProcess::kill() + waitForFinished(5000): reap it, but do not hang on it.
    for (int i = 0; i < 500; ++i) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid || (w < 0 && errno != EINTR)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return r;
  }
  if (reaped && WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (reaped && WIFSIGNALED(status)) {
    r.term_signal = WTERMSIG(status);
  } else if (!reaped) {
    r.exited = true;  // the status was taken elsewhere; judge by the output
    r.exit_code = 0;
  }
  return r;
}

std::vector<std::string> child_environment(int threads) {
  std::vector<std::string> env;
  const std::string key = "OMP_NUM_THREADS=";
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, key.c_str(), key.size()) != 0) env.emplace_back(*e);
  env.push_back(key + std::to_string(threads));
  return env;
}

}  // namespace

void PeerOptions::validate() const {
  if (threads < 1) throw std::invalid_argument("PeerOptions.threads = " + std::to_string(threads) + ": must be >= 1");
  if (height < 32 || width < 32)
    throw std::invalid_argument("PeerOptions size = " + std::to_string(height) + "x" + std::to_string(width) +
                                ": both sides must be >= 32");
  timing.validate();
  if (dtypes.empty() || models.empty()) throw std::invalid_argument("PeerOptions: dtypes and models must not be empty");
  if (!(timeout_seconds > 0)) throw std::invalid_argument("PeerOptions.timeout_seconds must be > 0");
  if (batch < 1) throw std::invalid_argument("PeerOptions.batch = " + std::to_string(batch) + ": must be >= 1");
  if (window < 1) throw std::invalid_argument("PeerOptions.window = " + std::to_string(window) + ": must be >= 1");
  if (device != "cpu" && device != "cuda")
    throw std::invalid_argument("PeerOptions.device = '" + device + "': valid: cpu, cuda");
}

const PeerResult* PeerReport::find(const std::string& model, const std::string& dtype) const {
  for (const auto& r : results)
    if (r.model == model && r.dtype == dtype) return &r;
  return nullptr;
}

std::string locate_peer_script() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("POLYPLENS_PEER_SCRIPT"); env && *env) candidates.emplace_back(env);
#ifdef POLYPLENS_SOURCE_DIR
  candidates.emplace_back(fs::path(POLYPLENS_SOURCE_DIR) / "core/bench/peer_bench.py");
#endif
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/polyplens/peer_bench.py");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.string();
  return {};
}

PeerReport parse_peer_json(const std::string& json) {
  const Json o = pl::json::parse(json, "peer script output");  // throws std::runtime_error
  if (!o.is_object()) throw std::runtime_error("peer script output is not a JSON object: " + pl::json::dump(o, false));
  PeerReport r;
  r.available = boolean(o, "available");
  r.reason = str(o, "reason");
  r.python_version = str(o, "python");
  r.torch_version = str(o, "torch");
  r.torchvision_version = str(o, "torchvision");
  r.threads = integer(o, "threads");
  if (const auto it = o.find("results"); it != o.end() && it->is_array())
    for (const auto& e : *it) {
      PeerResult p{str(e, "model"), str(e, "dtype"), str(e, "mode"), stats_from(e), std::max(1, integer(e, "batch"))};
      if (p.model.empty() || p.stats.runs < 1 || !(p.stats.median_ms > 0))
        throw std::runtime_error("peer script result without model name or timings: " + pl::json::dump(e, false));
      r.results.push_back(std::move(p));
    }
  if (r.available && r.results.empty()) throw std::runtime_error("peer script reported no results");
  return r;
}

PeerReport run_python_peers(const PeerOptions& options) {
  options.validate();
  const std::string script = options.script.empty() ? locate_peer_script() : options.script;
  if (script.empty()) return unavailable("peer_bench.py not found (set POLYPLENS_PEER_SCRIPT)");
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) return unavailable("no peer script at " + script);
  if (!fs::is_regular_file(options.python, ec)) return unavailable("no Python at " + options.python);

  std::vector<std::string> args{
      options.python,
      script,
      "--threads", std::to_string(options.threads),
      "--height", std::to_string(options.height),
      "--width", std::to_string(options.width),
      "--warmup", std::to_string(options.timing.warmup),
      "--runs", std::to_string(options.timing.runs),
      "--max-seconds", number_arg(options.timing.max_seconds),
      "--dtypes", join(options.dtypes),
      "--models", join(options.models)};
  if (options.train)
    args.insert(args.end(), {"--train", "--batch", std::to_string(options.batch), "--window",
                             std::to_string(options.window), "--device", options.device});
  // The same OpenMP thread count as ours, whatever the parent's environment says.
  const auto child = run_child(args, child_environment(options.threads), options.timeout_seconds);
  if (!child.start_error.empty()) return unavailable("cannot start " + options.python + ": " + child.start_error);
  if (!child.io_error.empty()) return unavailable("peer script output unreadable (" + child.io_error + ")");
  if (child.timed_out)
    return unavailable("peer script timed out after " + std::to_string(int(options.timeout_seconds)) + " s");
  if (!child.exited || child.exit_code != 0) {
    std::string err = child.err;
    if (err.size() > 400) {
      size_t from = err.size() - 400;
      while (from < err.size() && (static_cast<unsigned char>(err[from]) & 0xC0) == 0x80) ++from;  // whole UTF-8 characters
      err = "..." + err.substr(from);
    }
    const std::string how = child.exited ? "exit " + std::to_string(child.exit_code)
                                         : "killed by signal " + std::to_string(child.term_signal);
    return unavailable("peer script failed (" + how + "): " + err);
  }
  try {
    return parse_peer_json(child.out);
  } catch (const std::exception& e) {
    return unavailable(e.what());
  }
}

}  // namespace pl::core::bench
