#include "app/args.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace pl::app {

Args::Args(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

Args& Args::option(const std::string& name, const std::string& help, const std::string& def) {
  order_.push_back(name);
  opts_[name] = Opt{help, def, false};
  return *this;
}

Args& Args::flag(const std::string& name, const std::string& help) {
  order_.push_back(name);
  opts_[name] = Opt{help, "", true};
  return *this;
}

Args& Args::positional(const std::string& name, const std::string& help) {
  positional_specs_.emplace_back(name, help);
  return *this;
}

bool Args::parse(const Argv& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage();
      return false;
    }
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2), value;
      bool inline_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        inline_value = true;
      }
      auto it = opts_.find(name);
      if (it == opts_.end())
        throw UsageError("unknown option '--" + name + "' for '" + command_ + "' (see 'polyplens " +
                         command_ + " --help')");
      if (it->second.is_flag) {
        if (inline_value) throw UsageError("option '--" + name + "' takes no value");
        values_[name] = "1";
      } else if (inline_value) {
        values_[name] = value;
      } else {
        if (i + 1 >= argv.size()) throw UsageError("option '--" + name + "' needs a value");
        values_[name] = argv[++i];
      }
    } else {
      if (positionals_.size() >= positional_specs_.size())
        throw UsageError("unexpected argument '" + a + "' for '" + command_ + "'");
      positionals_.push_back(a);
    }
  }
  return true;
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  if (auto it = opts_.find(name); it != opts_.end()) return it->second.def;
  throw std::logic_error("option not declared: " + name);
}

int Args::get_int(const std::string& name) const {
  const std::string v = get(name);
  try {
    size_t pos = 0;
    int r = std::stoi(v, &pos);
    if (pos == v.size()) return r;
  } catch (const std::exception&) {
  }
  throw UsageError("option '--" + name + "' expects an integer, got '" + v + "'");
}

double Args::get_double(const std::string& name) const {
  const std::string v = get(name);
  try {
    size_t pos = 0;
    double r = std::stod(v, &pos);
    if (pos == v.size()) return r;
  } catch (const std::exception&) {
  }
  throw UsageError("option '--" + name + "' expects a number, got '" + v + "'");
}

std::string Args::usage() const {
  std::ostringstream o;
  o << "Usage: polyplens " << command_ << " [options]";
  for (auto& p : positional_specs_) o << " [" << p.first << "]";
  o << "\n\n" << summary_ << "\n\nOptions:\n";
  for (auto& p : positional_specs_) o << "  " << p.first << "\n      " << p.second << "\n";
  for (auto& name : order_) {
    const Opt& opt = opts_.at(name);
    o << "  --" << name << (opt.is_flag ? "" : " VALUE") << "\n      " << opt.help;
    if (!opt.is_flag && !opt.def.empty()) o << " (default: " << opt.def << ")";
    o << "\n";
  }
  o << "  --help\n      this text\n";
  return o.str();
}

int guarded(const std::string& command, int (*body)(const Argv&), const Argv& argv) {
  try {
    return body(argv);
  } catch (const UsageError& e) {
    std::cerr << "polyplens " << command << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "polyplens " << command << ": error: " << e.what() << "\n";
    return 1;
  }
}

std::string bundled_resource(const std::string& relative, std::vector<std::string>* looked) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "polyplens" / relative);
  candidates.push_back(fs::path(POLYPLENS_SOURCE_DIR) / "resources" / relative);
  for (const auto& c : candidates) {
    if (looked) looked->push_back(c.string());
    if (fs::is_regular_file(c, ec)) return c.string();
  }
  return {};
}

}  // namespace pl::app
