// load_file / load_string: JSON parsing, the two forms of SPEC §3, and the final checks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <simdjson.h>

#include "config/config.hpp"
#include "config/internal.hpp"
#include "config/json_syntax.hpp"
#include "config/reader.hpp"

namespace mqrelay::config {
namespace {

using detail::diagnostics;
using detail::loader;
using detail::object;

constexpr std::size_t max_file_size = 16u << 20;  // a configuration, not a data set
constexpr std::string_view bridge_component = "aws.greengrass.clientdevices.mqtt.Bridge";

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  auto a = std::filesystem::absolute(p.empty() ? std::string(".") : p, ec);
  if (ec) return p;
  return a.lexically_normal().string();
}

// Parses `text` with `parser`; on a syntax error records "PREFIXline L, column C: invalid JSON: …".
std::optional<simdjson::dom::element> parse(simdjson::dom::parser& parser, std::string_view text, diagnostics& d) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM
  simdjson::dom::element root;
  auto err = parser.parse(text.data(), text.size(), true).get(root);
  if (!err) return root;
  std::string msg;
  if (auto se = find_syntax_error(text)) {
    auto lc = locate(text, se->offset);
    msg = "line " + std::to_string(lc.line) + ", column " + std::to_string(lc.column) + ": invalid JSON: " + se->message;
  } else {
    msg = std::string("invalid JSON: ") + simdjson::error_message(err);
  }
  d.error("", msg);
  return std::nullopt;
}

// Form 1, the component configuration object: the keys of SPEC §3.1 and §3.2.
std::optional<object> open_component(simdjson::dom::element e, diagnostics& d) {
  return object::open(e, "", d,
                      {"mqttTopicMapping", "mqtt5RouteOptions", "brokerUri", "brokerServerUri", "clientId",
                       "startupTimeoutSeconds", "mqtt", "iotCore", "localBroker", "spooler", "metrics", "log"});
}

// Form 2: a Greengrass deployment document. The bridge's merge string is parsed with a second
// parser (the outer document's elements must stay valid meanwhile); its messages carry the
// pointer of the string, then the pointer inside it.
void read_deployment(const object& doc, const loader& ld, load_result& out, const std::string& display) {
  auto comps = doc.sub("components", {});
  if (!comps) return;
  const detail::member* bridge = comps->find(bridge_component);
  if (!bridge) {
    ld.d->error(comps->pointer(), "no \"aws.greengrass.clientdevices.mqtt.Bridge\" component in this deployment");
    return;
  }
  auto b = object::open(bridge->value, comps->child(bridge_component), *ld.d, {"version", "configurationUpdate", "runWith"});
  if (!b) return;
  auto cu = b->sub("configurationUpdate", {"merge", "reset"});
  const detail::member* merge = cu ? cu->find("merge") : nullptr;
  if (!merge) {
    ld.d->warn(cu ? cu->pointer() : b->child("configurationUpdate"),
               "no configurationUpdate.merge: the bridge gets the default configuration (no mappings)");
    return;
  }
  const std::string merge_ptr = cu->child("merge");
  diagnostics inner(display + ": " + merge_ptr + ": ", out.errors, out.warnings);
  loader ild = ld;
  ild.d = &inner;
  simdjson::dom::parser parser;
  std::optional<simdjson::dom::element> root;
  if (merge->value.is_string()) {
    root = parse(parser, std::string_view(merge->value), inner);
  } else if (merge->value.is_object()) {
    ld.d->warn(merge_ptr, "Greengrass expects the merge as a string of serialized JSON; an object is accepted here");
    root = merge->value;
  } else {
    ld.d->error(merge_ptr, std::string("must be a string of serialized JSON, not ") + detail::type_name(merge->value));
    return;
  }
  if (!root) return;
  if (auto o = open_component(*root, inner)) detail::read_component(*o, ild);
}

load_result load(std::string_view json, const std::string& display, const std::string& abs_path, mode m) {
  load_result out;
  config cfg;
  cfg.path = abs_path;
  diagnostics d(display + ": ", out.errors, out.warnings);
  loader ld;
  ld.m = m;
  ld.d = &d;
  ld.cfg = &cfg;
  ld.display = display;
  ld.base_dir = std::filesystem::path(abs_path).parent_path().string();

  simdjson::dom::parser parser;
  auto root = parse(parser, json, d);
  if (!root) return out;
  if (!root->is_object()) {
    d.error("", std::string("the configuration must be a JSON object, not ") + detail::type_name(*root));
    return out;
  }
  const simdjson::dom::object top(*root);
  const bool deployment = top.at_key("components").error() == simdjson::SUCCESS &&
                          top.at_key("mqttTopicMapping").error() != simdjson::SUCCESS;
  if (deployment) {
    auto doc = object::open(*root, "", d,
                            {"components", "targetArn", "deploymentName", "deploymentPolicies", "iotJobConfiguration",
                             "tags", "parentTargetArn"});
    if (doc) read_deployment(*doc, ld, out, display);
  } else {
    if (auto o = open_component(*root, d)) detail::read_component(*o, ld);
  }
  if (!out.errors.empty()) return out;
  if (cfg.local.client_id.empty()) cfg.local.client_id = default_client_id(read_machine_id(), cfg.path);
  for (auto& w : detail::loop_lines(cfg, display)) out.warnings.push_back(std::move(w));
  out.cfg = std::move(cfg);
  return out;
}

}  // namespace

load_result load_string(std::string_view json, const std::string& display_path, mode m) {
  try {
    if (json.size() > max_file_size) {
      load_result r;
      r.errors.push_back(display_path + ": larger than " + std::to_string(max_file_size >> 20) + " MiB: not a configuration file");
      return r;
    }
    return load(json, display_path, absolute_path(display_path), m);
  } catch (const std::exception& e) {  // bad_alloc, or a simdjson contract broken by a bug of ours
    load_result r;
    r.errors.push_back(display_path + ": internal error while reading the configuration: " + e.what());
    return r;
  }
}

load_result load_file(const std::string& path, mode m) {
  load_result r;
  try {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      r.errors.push_back(path + ": cannot open: " + std::strerror(errno));
      return r;
    }
    struct stat st {};
    std::string text;
    const char* problem = nullptr;
    int err = 0;
    if (::fstat(fd, &st) != 0) err = errno;
    else if (S_ISDIR(st.st_mode)) problem = "is a directory";
    else {
      char buf[65536];
      for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          err = errno;
          break;
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > max_file_size) {
          problem = "too large for a configuration file";
          break;
        }
      }
    }
    ::close(fd);
    if (err) problem = std::strerror(err);
    if (problem) {
      r.errors.push_back(path + ": cannot read: " + problem);
      return r;
    }
    return load(text, path, absolute_path(path), m);
  } catch (const std::exception& e) {
    r.errors.clear();
    r.errors.push_back(path + ": internal error while reading the configuration: " + e.what());
    return r;
  }
}

}  // namespace mqrelay::config
