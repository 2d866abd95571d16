// Placeholder until the 'info' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_info(const Argv&) {
  std::cerr << "polyplens info: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
