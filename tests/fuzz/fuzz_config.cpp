// Fuzz target: the configuration reader must never crash, hang or throw on any input, in both
// modes and in both file forms (SPEC §2: "never a stack trace, never a crash").
// Built with the replay main over tests/fuzz/corpus/config/ in the normal build, and with
// libFuzzer when MQRELAY_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace {

void check(const mqrelay::config::load_result& r) {
  // The contract: a configuration exactly when there is no error, and every message names the file.
  if (r.cfg.has_value() != r.errors.empty()) std::abort();
  for (const auto& e : r.errors)
    if (e.rfind("fuzz.json", 0) != 0) std::abort();
  if (r.cfg) {
    for (const auto& m : r.cfg->mappings) (void)mqrelay::config::route_line(m);
    if (r.cfg->local.client_id.empty()) std::abort();
    (void)mqrelay::config::loop_warnings(*r.cfg);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using mqrelay::config::mode;
  check(mqrelay::config::load_string(text, "fuzz.json", mode::check));
  check(mqrelay::config::load_string(text, "fuzz.json", mode::run));
  // The same bytes as the merge string of a Greengrass deployment document.
  std::string escaped;
  escaped.reserve(size + 16);
  for (char c : text) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      escaped += "\\u00";
      escaped += hex[(c >> 4) & 0xF];
      escaped += hex[c & 0xF];
      continue;
    }
    escaped += c;
  }
  const std::string deployment =
      R"({"components": {"aws.greengrass.clientdevices.mqtt.Bridge": {"configurationUpdate": {"merge": ")" + escaped + "\"}}}}";
  check(mqrelay::config::load_string(deployment, "fuzz.json", mode::check));
  return 0;
}
