#include "core/bench/environment.h"

#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/bench/table.h"
#include "core/bench/torch_util.h"

namespace pl::core::bench {

double load_average() {
  std::ifstream in("/proc/loadavg");
  double v = -1;
  if (!(in >> v)) return -1;
  return v;
}

Environment Environment::capture() {
  Environment e;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      e.cpu = line.substr(line.find(':') + 2);
      break;
    }
  e.logical_cpus = int(std::thread::hardware_concurrency());
  e.native_bf16 = cpu_has_native_bf16();
  e.load_before = load_average();
  char buf[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  e.started = buf;
  return e;
}

void Environment::finish() { load_after = load_average(); }

std::string Environment::line() const {
  std::ostringstream o;
  o << (cpu.empty() ? "unknown CPU" : cpu) << ", " << logical_cpus << " logical CPUs"
    << (native_bf16 ? ", native bf16" : "") << "; load average " << fixed(load_before, 2);
  if (load_after >= 0) o << " -> " << fixed(load_after, 2);
  if (load_before > logical_cpus * 0.5)
    o << " (busy machine: figures are slower than on an idle one, and with more than one thread OpenMP "
         "waits on descheduled threads; compare with --threads 1 and the CPU-time columns)";
  return o.str();
}

pl::json::Json Environment::json() const {
  auto o = pl::json::Json::object();
  o["cpu"] = cpu;
  o["logical_cpus"] = logical_cpus;
  o["native_bf16"] = native_bf16;
  o["load_before"] = pl::json::number(load_before);
  o["load_after"] = pl::json::number(load_after);
  o["started"] = started;
  return o;
}

}  // namespace pl::core::bench
