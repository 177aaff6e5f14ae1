// The relay: runs until SIGTERM/SIGINT. Owned by the engine.
#pragma once
#include <string>

namespace mqrelay::config { struct config; }

namespace mqrelay::engine {

// Runs the relay with a validated configuration until a stop signal.
// Returns the process exit status (0 clean stop, 1 fatal runtime error).
int run(const config::config& cfg);

}  // namespace mqrelay::engine
