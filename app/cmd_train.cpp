// Placeholder until the 'train' command lands; says so plainly and fails.
#include <iostream>

#include "app/commands.h"

namespace pl::app {

int cmd_train(const Argv&) {
  std::cerr << "polyplens train: not implemented in this build yet\n";
  return 1;
}

}  // namespace pl::app
