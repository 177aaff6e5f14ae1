// Internal to config/: typed, path-aware access to a simdjson DOM with diagnostics.
//
// Every accessor checks type and range and, on a problem, records one line
// "PREFIX/json/pointer: what is wrong" and leaves the output untouched (so the default stays and
// checking goes on: the user sees all problems in one run). Nothing here throws.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mqrelay::config::detail {

// Collects formatted errors and warnings. prefix is "FILE: " or, for a document nested in a
// string, "FILE: /pointer/of/the/string: ".
class diagnostics {
 public:
  diagnostics(std::string prefix, std::vector<std::string>& errors, std::vector<std::string>& warnings)
      : prefix_(std::move(prefix)), errors_(errors), warnings_(warnings) {}
  void error(std::string_view pointer, std::string_view message);
  void warn(std::string_view pointer, std::string_view message);
  std::size_t error_count() const noexcept { return errors_.size(); }
  const std::string& prefix() const noexcept { return prefix_; }

 private:
  std::string line(std::string_view pointer, std::string_view message) const;
  std::string prefix_;
  std::vector<std::string>& errors_;
  std::vector<std::string>& warnings_;
};

// RFC 6901: parent + "/" + key with '~' → "~0" and '/' → "~1".
std::string pointer_child(std::string_view parent, std::string_view key);

// A value quoted for a message: "text", control characters escaped, cut after 60 bytes.
std::string quote_value(std::string_view s);

// "a string", "an integer", "an object", ... for "must be X, not Y" messages.
const char* type_name(simdjson::dom::element e) noexcept;

// A known key the unknown one is probably a typo of (case-insensitive edit distance ≤ 2), or "".
std::string_view closest(std::string_view key, std::initializer_list<std::string_view> known);

struct member {
  std::string_view key;  // views into the parser's document: valid while it lives
  simdjson::dom::element value;
};

// A JSON object of known keys. Duplicate keys: the last one wins, with a warning (as Jackson and
// most JSON readers do). Unknown keys: a warning naming their pointer (a typo must not pass
// silently, SPEC §3.1).
class object {
 public:
  // nullopt (after an error "must be an object, not …") when e is not an object. An empty `known`
  // list accepts any key (maps such as mqttTopicMapping).
  static std::optional<object> open(simdjson::dom::element e, std::string pointer, diagnostics& d,
                                    std::initializer_list<std::string_view> known);

  const std::string& pointer() const noexcept { return pointer_; }
  std::string child(std::string_view key) const { return pointer_child(pointer_, key); }
  const std::vector<member>& members() const noexcept { return members_; }
  const member* find(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept { return find(key) != nullptr; }

  // Each returns true when the key is present and valid (out is then set), false otherwise.
  bool str(std::string_view key, std::string& out) const;
  bool boolean(std::string_view key, bool& out) const;
  bool u64(std::string_view key, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) const;
  template <class T>
  bool uint(std::string_view key, std::uint64_t lo, std::uint64_t hi, T& out) const {
    std::uint64_t v = 0;
    if (!u64(key, lo, hi, v)) return false;
    out = static_cast<T>(v);
    return true;
  }
  // A nested object of known keys; nullopt when absent or not an object (then an error).
  std::optional<object> sub(std::string_view key, std::initializer_list<std::string_view> known) const;

  diagnostics& diag() const noexcept { return *d_; }

 private:
  object(std::string pointer, diagnostics& d) : pointer_(std::move(pointer)), d_(&d) {}
  std::string pointer_;
  diagnostics* d_;
  std::vector<member> members_;  // file order, duplicates removed
  std::unordered_map<std::string_view, std::size_t> index_;  // key → position in members_
};

}  // namespace mqrelay::config::detail
