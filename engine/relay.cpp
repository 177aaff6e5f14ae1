#include "engine/relay.hpp"
#include <cstdio>

namespace mqrelay::engine {
// Placeholder until the engine lands (same session); never reported as done.
int run(const config::config&) {
  std::fputs("mqrelay: the relay engine is not built yet\n", stderr);
  return 1;
}
}  // namespace mqrelay::engine
