// Placeholder until the 'annotate' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_annotate(const Argv&) {
  std::cerr << "polyplens annotate: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
