#include "core/log/log.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace pl::log {
namespace {

std::once_flag g_once;
std::vector<spdlog::sink_ptr> g_sinks;
std::string g_file;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::level::level_enum level_from_env() {
  const char* v = std::getenv("POLYPLENS_LOG");
  if (!v || !*v) return spdlog::level::info;
  auto lvl = spdlog::level::from_str(v);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (lvl == spdlog::level::off && std::string(v) != "off") return spdlog::level::info;
  return lvl;
}

void do_init() {
  g_level = level_from_env();
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  console->set_pattern("[%H:%M:%S.%e] [%n] [%^%l%$] %v");
  g_sinks.push_back(console);
  try {
    const std::string dir = user_data_dir();
    if (!dir.empty()) {
      g_file = (std::filesystem::path(dir) / "polyplens.log").string();
      auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(g_file, 5 * 1024 * 1024, 3);
      file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%t] [%n] [%l] %v");
      file->set_level(spdlog::level::trace);
      g_sinks.push_back(file);
    }
  } catch (const std::exception&) {
    g_file.clear();  // read-only home: console only
  }
  spdlog::flush_every(std::chrono::seconds(2));
}

}  // namespace

std::string user_data_dir() {
  namespace fs = std::filesystem;
  fs::path base;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = fs::path(h) / ".local" / "share";
  } else {
    return {};
  }
  std::error_code ec;
  fs::create_directories(base / "polyplens", ec);
  if (ec) return {};
  return (base / "polyplens").string();
}

void init() { std::call_once(g_once, do_init); }

std::string log_file_path() {
  init();
  return g_file;
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  init();
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(component, g_sinks.begin(), g_sinks.end());
  logger->set_level(g_level);
  logger->flush_on(spdlog::level::warn);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(component);  // another thread registered it first
  }
  return logger;
}

}  // namespace pl::log
