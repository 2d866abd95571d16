#pragma once
// A small command-line parser for the subcommands: declared options with defaults and help text,
// `--name value` or `--name=value`, boolean flags, and clear errors (the caller exits 2).
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pl::app {

using Argv = std::vector<std::string>;

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  Args(std::string command, std::string summary);

  // An option that takes a value. An empty default means "not set" unless given.
  Args& option(const std::string& name, const std::string& help, const std::string& def = "");
  // A boolean flag (present or not).
  Args& flag(const std::string& name, const std::string& help);
  // Positional arguments are refused unless allowed.
  Args& positional(const std::string& name, const std::string& help);

  // Parses; throws UsageError naming the bad argument. Returns false when --help was asked
  // (usage already printed).
  bool parse(const Argv& argv);

  bool has(const std::string& name) const;           // given on the command line (or flag set)
  std::string get(const std::string& name) const;    // value or default
  int get_int(const std::string& name) const;        // throws UsageError on a non-integer
  double get_double(const std::string& name) const;  // throws UsageError on a non-number
  const std::vector<std::string>& positionals() const { return positionals_; }

  std::string usage() const;

 private:
  struct Opt {
    std::string help, def;
    bool is_flag = false;
  };
  std::string command_, summary_;
  std::vector<std::string> order_;
  std::map<std::string, Opt> opts_;
  std::map<std::string, std::string> values_;
  std::vector<std::pair<std::string, std::string>> positional_specs_;
  std::vector<std::string> positionals_;
};

// Runs a subcommand body, turning UsageError into exit 2 and other exceptions into exit 1,
// both with a message on stderr.
int guarded(const std::string& command, int (*body)(const Argv&), const Argv& argv);

}  // namespace pl::app
