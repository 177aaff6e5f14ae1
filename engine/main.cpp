// mqrelay command line (SPEC §2).
//
//   mqrelay --config FILE            run the relay
//   mqrelay --config FILE --check    validate, print the compiled routes, exit
//   mqrelay --version | --help
//
// Exit status: 0 clean stop or valid --check; 2 usage or configuration error; 1 fatal runtime
// error (from engine::run). Diagnostics go to stderr as "error: …" / "warning: …"; --check prints
// one route line per mapping on stdout and nothing else there.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "engine/relay.hpp"

#ifndef MQRELAY_VERSION
#define MQRELAY_VERSION "unknown"
#endif

namespace {

constexpr int exit_ok = 0, exit_fatal = 1, exit_usage = 2;

constexpr const char* usage_text =
    "usage: mqrelay --config FILE [--check]\n"
    "       mqrelay --version | --help\n";

constexpr const char* help_text =
    "mqrelay " MQRELAY_VERSION ": relays MQTT messages between a local broker and AWS IoT Core.\n"
    "\n"
    "usage: mqrelay --config FILE [--check]\n"
    "       mqrelay --version | --help\n"
    "\n"
    "  --config FILE   the JSON configuration: the Greengrass MQTT bridge component configuration\n"
    "                  (mqttTopicMapping, ...) or a Greengrass deployment document that carries it\n"
    "  --check         validate the configuration, print one line per mapping\n"
    "                  (NAME: SOURCE FILTER -> TARGET [prefix=P]) and exit\n"
    "  --version       print the version and exit\n"
    "  --help          print this help and exit\n"
    "\n"
    "exit status: 0 clean stop (SIGTERM/SIGINT) or valid --check, 1 fatal runtime error,\n"
    "             2 usage or configuration error\n"
    "signals: SIGTERM/SIGINT stop after draining in-flight messages; SIGHUP re-reads the file\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "error: %s\n%s", what.c_str(), usage_text);
  return exit_usage;
}

void print_lines(const std::vector<std::string>& lines, const char* tag) {
  for (const auto& l : lines) std::fprintf(stderr, "%s: %s\n", tag, l.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool have_config = false, check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(help_text, stdout);
      return exit_ok;
    }
    if (a == "--version") {
      std::puts("mqrelay " MQRELAY_VERSION);
      return exit_ok;
    }
    if (a == "--check") {
      check = true;
    } else if (a == "--config" || a.starts_with("--config=")) {
      if (have_config) return usage_error("--config given twice");
      if (a == "--config") {
        if (i + 1 >= argc) return usage_error("--config needs a FILE");
        config_path = argv[++i];
      } else {
        config_path = std::string(a.substr(std::strlen("--config=")));
      }
      if (config_path.empty()) return usage_error("--config needs a FILE");
      have_config = true;
    } else if (a.starts_with("-")) {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (!have_config) return usage_error("--config FILE is required");

  namespace cfg = mqrelay::config;
  const auto r = cfg::load_file(config_path, check ? cfg::mode::check : cfg::mode::run);
  print_lines(r.warnings, "warning");
  print_lines(r.errors, "error");
  if (!r.errors.empty() || !r.cfg) return exit_usage;
  if (check) {
    for (const auto& m : r.cfg->mappings) std::printf("%s\n", cfg::route_line(m).c_str());
    return std::fflush(stdout) == 0 ? exit_ok : exit_fatal;
  }
  try {
    return mqrelay::engine::run(*r.cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: fatal: %s\n", e.what());
    return exit_fatal;
  } catch (...) {
    std::fprintf(stderr, "error: fatal: unknown exception\n");
    return exit_fatal;
  }
}
