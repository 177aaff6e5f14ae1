// Internal to config/ (and its tests): the pieces load.cpp, sections.cpp and routes.cpp share.
#pragma once
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace mqrelay::config::detail {

// State of one load: the result being filled and how to report what is missing.
struct loader {
  mode m = mode::run;
  diagnostics* d = nullptr;
  config* cfg = nullptr;
  std::string display;   // the file as the user named it, for messages that have no pointer
  std::string base_dir;  // directory of the absolute config path: relative certificate paths start here

  // What is missing only to run: an error in run mode, a warning in check mode (SPEC §2).
  void missing(const std::string& pointer, const std::string& message) const {
    if (m == mode::run) d->error(pointer, message);
    else d->warn(pointer, message + " (needed to run)");
  }
  // base_dir-relative → absolute, lexically normalised; "" stays "".
  std::string resolve(const std::string& path) const;
};

// Reads a component configuration object (SPEC §3 form 1) into *ld.cfg, then runs the
// cross-key checks. `root` is the object's pointer context ("" for a plain file).
void read_component(const object& root, const loader& ld);

// loop_warnings() with the file named as `file`.
std::vector<std::string> loop_lines(const config& cfg, const std::string& file);

}  // namespace mqrelay::config::detail
