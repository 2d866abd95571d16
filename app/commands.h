#pragma once
// The subcommands of the polyplens executable. Each lives in its own cmd_<name>.cpp.
#include <string>
#include <vector>

#include "app/args.h"

namespace pl::app {

int cmd_info(const Argv& argv);      // model presets, parameters, MACs, weights/checkpoint loading
int cmd_train(const Argv& argv);     // headless training on Kvasir-SEG
int cmd_eval(const Argv& argv);      // evaluation, both metric conventions
int cmd_annotate(const Argv& argv);  // render a video/folder through model + overlay
int cmd_bench(const Argv& argv);     // benchmarks with peers side by side
int cmd_figure(const Argv& argv);    // the paper's Figure 12 layout
int cmd_make_sample(const Argv& argv);  // build the bundled sample clip from Kvasir-SEG val images
// A file shipped with the program, `relative` to resources/ (e.g. "models/default.pt"): first
// share/polyplens/<relative> next to the installed binary, then resources/<relative> of the source
// tree (developer builds). Returns "" when neither exists; `looked` gets the paths tried.
std::string bundled_resource(const std::string& relative, std::vector<std::string>* looked = nullptr);

int run_gui(int argc, char** argv, const Argv& args);  // the desktop window

}  // namespace pl::app
