#pragma once
// The subcommands of the polyplens executable. Each lives in its own cmd_<name>.cpp.
#include "app/args.h"

namespace pl::app {

int cmd_info(const Argv& argv);      // model presets, parameters, MACs, weights/checkpoint loading
int cmd_train(const Argv& argv);     // headless training on Kvasir-SEG
int cmd_eval(const Argv& argv);      // evaluation, both metric conventions
int cmd_annotate(const Argv& argv);  // render a video/folder through model + overlay
int cmd_bench(const Argv& argv);     // benchmarks with peers side by side
int cmd_figure(const Argv& argv);    // the paper's Figure 12 layout
int cmd_make_sample(const Argv& argv);  // build the bundled sample clip from Kvasir-SEG val images
int run_gui(int argc, char** argv, const Argv& args);  // the desktop window

}  // namespace pl::app
