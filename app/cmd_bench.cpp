// Placeholder until the 'bench' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_bench(const Argv&) {
  std::cerr << "polyplens bench: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
