// Placeholder until the 'eval' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_eval(const Argv&) {
  std::cerr << "polyplens eval: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
