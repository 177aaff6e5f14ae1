#include "config/reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace mqrelay::config::detail {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string diagnostics::line(std::string_view pointer, std::string_view message) const {
  std::string s = prefix_;
  if (!pointer.empty()) {
    s += pointer;
    s += ": ";
  }
  s += message;
  return s;
}

void diagnostics::error(std::string_view pointer, std::string_view message) {
  errors_.push_back(line(pointer, message));
}

void diagnostics::warn(std::string_view pointer, std::string_view message) {
  warnings_.push_back(line(pointer, message));
}

std::string pointer_child(std::string_view parent, std::string_view key) {
  std::string s(parent);
  s += '/';
  for (char c : key) {
    if (c == '~') s += "~0";
    else if (c == '/') s += "~1";
    else s += c;
  }
  return s;
}

std::string quote_value(std::string_view s) {
  std::string out = "\"";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > 60) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

const char* type_name(element e) noexcept {
  switch (e.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64: return "an integer";
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive Levenshtein distance, capped (keys are short; bounded work for fuzzed input).
std::size_t distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 99;
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t sub = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string number_text(element e) {
  char buf[40];
  switch (e.type()) {
    case element_type::INT64: std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(int64_t(e))); break;
    case element_type::UINT64: std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(uint64_t(e))); break;
    case element_type::DOUBLE: std::snprintf(buf, sizeof buf, "%g", double(e)); break;
    default: return "?";
  }
  return buf;
}

}  // namespace

std::string_view closest(std::string_view key, std::initializer_list<std::string_view> known) {
  std::string_view best;
  std::size_t best_d = 3;
  for (auto k : known) {
    std::size_t d = distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

std::optional<object> object::open(element e, std::string pointer, diagnostics& d,
                                   std::initializer_list<std::string_view> known) {
  if (!e.is_object()) {
    d.error(pointer, std::string("must be an object, not ") + type_name(e));
    return std::nullopt;
  }
  object o(std::move(pointer), d);
  // Duplicate detection through a hash index: a hostile file with a million keys stays linear.
  std::unordered_map<std::string_view, std::size_t> index;
  std::vector<bool> dropped;
  for (auto kv : simdjson::dom::object(e)) {
    auto [it, fresh] = index.try_emplace(kv.key, o.members_.size());
    if (!fresh) {
      d.warn(o.child(kv.key), "duplicate key: the last one is used");
      dropped[it->second] = true;
      it->second = o.members_.size();
    }
    o.members_.push_back({kv.key, kv.value});
    dropped.push_back(false);
  }
  if (index.size() != o.members_.size()) {
    std::size_t w = 0;
    for (std::size_t r = 0; r < o.members_.size(); ++r)
      if (!dropped[r]) o.members_[w++] = o.members_[r];
    o.members_.resize(w);
    for (std::size_t i = 0; i < o.members_.size(); ++i) index[o.members_[i].key] = i;  // positions moved
  }
  o.index_ = std::move(index);
  if (known.size() != 0) {
    for (const auto& m : o.members_) {
      if (std::find(known.begin(), known.end(), m.key) != known.end()) continue;
      std::string msg = "unknown key, ignored";
      auto guess = closest(m.key, known);
      if (!guess.empty()) {
        msg += " (did you mean ";
        msg += quote_value(guess);
        msg += "?)";
      }
      d.warn(o.child(m.key), msg);
    }
  }
  return o;
}

const member* object::find(std::string_view key) const noexcept {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &members_[it->second];
}

bool object::str(std::string_view key, std::string& out) const {
  const member* m = find(key);
  if (!m) return false;
  if (!m->value.is_string()) {
    d_->error(child(key), std::string("must be a string, not ") + type_name(m->value));
    return false;
  }
  out = std::string(std::string_view(m->value));
  return true;
}

bool object::boolean(std::string_view key, bool& out) const {
  const member* m = find(key);
  if (!m) return false;
  if (!m->value.is_bool()) {
    d_->error(child(key), std::string("must be true or false, not ") + type_name(m->value));
    return false;
  }
  out = bool(m->value);
  return true;
}

bool object::u64(std::string_view key, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) const {
  const member* m = find(key);
  if (!m) return false;
  const element v = m->value;
  std::uint64_t x = 0;
  bool negative = false;
  switch (v.type()) {
    case element_type::UINT64: x = uint64_t(v); break;
    case element_type::INT64: {
      std::int64_t i = int64_t(v);
      if (i < 0) negative = true;
      else x = static_cast<std::uint64_t>(i);
      break;
    }
    case element_type::DOUBLE: {
      // 60000.0 or 6e4 is an integer written as a float: accepted. 1.5 is not.
      double dv = double(v);
      if (std::isfinite(dv) && dv < 0) {
        negative = true;
      } else if (!std::isfinite(dv) || dv != std::floor(dv) || dv >= 18446744073709551616.0) {
        d_->error(child(key), "must be an integer, not " + number_text(v));
        return false;
      } else {
        x = static_cast<std::uint64_t>(dv);
      }
      break;
    }
    default:
      d_->error(child(key), std::string("must be an integer, not ") + type_name(v));
      return false;
  }
  char range[96];
  if (hi == UINT64_MAX)
    std::snprintf(range, sizeof range, "at least %llu", static_cast<unsigned long long>(lo));
  else
    std::snprintf(range, sizeof range, "between %llu and %llu", static_cast<unsigned long long>(lo),
                  static_cast<unsigned long long>(hi));
  if (negative) {
    d_->error(child(key), "must not be negative (got " + number_text(v) + "; must be " + range + ")");
    return false;
  }
  if (x < lo || x > hi) {
    d_->error(child(key), "out of range: must be " + std::string(range) + " (got " + number_text(v) + ")");
    return false;
  }
  out = x;
  return true;
}

std::optional<object> object::sub(std::string_view key, std::initializer_list<std::string_view> known) const {
  const member* m = find(key);
  if (!m) return std::nullopt;
  return open(m->value, child(key), *d_, known);
}

}  // namespace mqrelay::config::detail
