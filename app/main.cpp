// polyplens: the desktop app (no arguments, or a video/checkpoint to open) and headless subcommands.
#include <cstring>
#include <iostream>
#include <string>

#include "app/commands.h"
#include "core/log/log.h"

namespace {

struct Command {
  const char* name;
  int (*fn)(const pl::app::Argv&);  // null: not part of this build (headless)
  const char* help;
};

#if POLYPLENS_HAVE_GUI
#define PL_GUI_ONLY(fn) fn
#else
#define PL_GUI_ONLY(fn) nullptr
#endif

const Command kCommands[] = {
    {"info", pl::app::cmd_info, "model presets, parameter counts, MACs, weight and checkpoint loading"},
    {"train", pl::app::cmd_train, "train the segmenter on Kvasir-SEG (the paper's recipe by default)"},
    {"eval", pl::app::cmd_eval, "evaluate a checkpoint: dataset-level (mmseg) and per-image metrics"},
    {"annotate", PL_GUI_ONLY(pl::app::cmd_annotate), "render a video, stream or image folder with the mask overlay"},
    {"bench", pl::app::cmd_bench, "benchmarks (model, pipeline, train) beside their peers"},
    {"figure", pl::app::cmd_figure, "the paper's Figure 12: image, truth, prediction, overlay"},
    {"make-sample", PL_GUI_ONLY(pl::app::cmd_make_sample), "build the sample clip and its masks from Kvasir-SEG val"},
};

constexpr const char* kBuild = POLYPLENS_HAVE_GUI ? "" : " (headless build)";

int not_in_this_build(const std::string& what) {
  std::cerr << "polyplens: " << what
            << " is not part of this build (headless: info, train, eval, figure, bench model|train); use the desktop build\n";
  return 2;
}

void print_help() {
  std::cout << "PolypLens " POLYPLENS_VERSION
               " - real-time polyp segmentation overlay for colonoscopy video\n\n"
               "Usage:\n"
               "  polyplens [--video FILE|URI] [--checkpoint FILE]   open the window\n"
               "  polyplens <command> [options]                      headless work\n"
               "  polyplens <command> --help                         options of a command\n\n"
               "Commands:\n";
  for (const auto& c : kCommands)
    std::cout << "  " << c.name << std::string(13 - std::strlen(c.name), ' ') << c.help
              << (c.fn ? "" : " (not in this build)") << "\n";
  std::cout << "\nOptions:\n"
               "  --help, -h     this text\n"
               "  --version      print the version\n\n"
               "Environment: POLYPLENS_LOG=debug|info|warn (log level), POLYPLENS_DATA (data folder).\n"
               "Log file: " << pl::log::log_file_path() << "\n"
               "PolypLens is a research tool, not a certified medical device.\n";
}

}  // namespace

int main(int argc, char** argv) {
  pl::app::Argv args(argv + 1, argv + argc);
  if (!args.empty()) {
    const std::string& first = args[0];
    if (first == "--help" || first == "-h" || first == "help") {
      print_help();
      return 0;
    }
    if (first == "--version" || first == "-V") {
      std::cout << "polyplens " POLYPLENS_VERSION << kBuild << "\n";
      return 0;
    }
    for (const auto& c : kCommands) {
      if (first == c.name) {
        if (!c.fn) return not_in_this_build("'" + first + "'");
        pl::app::Argv rest(args.begin() + 1, args.end());
        return pl::app::guarded(c.name, c.fn, rest);
      }
    }
    if (first.rfind("-", 0) != 0 && first.find('.') == std::string::npos &&
        first.find('/') == std::string::npos && first.find(':') == std::string::npos) {
      std::cerr << "polyplens: unknown command '" << first
                << "'. Commands: info, train, eval, annotate, bench, figure, make-sample (see 'polyplens --help').\n";
      return 2;
    }
  }
#if POLYPLENS_HAVE_GUI
  return pl::app::run_gui(argc, argv, args);
#else
  (void)argc;
  (void)argv;
  return not_in_this_build("the desktop window");
#endif
}
