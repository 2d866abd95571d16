// Placeholder until the 'figure' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_figure(const Argv&) {
  std::cerr << "polyplens figure: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
