// Level-by-level walks over filters and topics. See topic_match.hpp for the rules.
#include "engine/topic_match.hpp"

#include "codec/topic.hpp"

namespace mqrelay::engine {
namespace {

// Walks the '/'-separated levels of a string without allocating. An empty string has no levels
// (topics and filters are never empty); "a/" has two ("a" and "").
class levels {
 public:
  explicit levels(std::string_view s) noexcept : s_(s), done_(s.empty()) {}

  bool done() const noexcept { return done_; }

  // The current level; only when !done().
  std::string_view current() const noexcept {
    const auto slash = s_.find('/', pos_);
    return s_.substr(pos_, slash == std::string_view::npos ? std::string_view::npos : slash - pos_);
  }

  void next() noexcept {
    const auto slash = s_.find('/', pos_);
    if (slash == std::string_view::npos) {
      done_ = true;
    } else {
      pos_ = slash + 1;
    }
  }

  // The current level and everything after it, e.g. "+/#"; only when !done().
  std::string_view rest() const noexcept { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  bool done_;
};

bool is_wild(std::string_view level) noexcept { return level == "+" || level == "#"; }
bool is_dollar(std::string_view level) noexcept { return !level.empty() && level.front() == '$'; }

bool plain_matches(std::string_view filter, std::string_view topic) noexcept {
  levels f(filter), t(topic);
  // §4.7.2: a wildcard in the first level never matches a '$' topic.
  if (!f.done() && !t.done() && is_wild(f.current()) && is_dollar(topic)) return false;
  while (!f.done()) {
    const auto fl = f.current();
    if (fl == "#") return true;  // the rest, parent level included
    if (t.done()) return false;
    if (fl != "+" && fl != t.current()) return false;
    f.next();
    t.next();
  }
  return t.done();
}

bool plain_covers(std::string_view wide, std::string_view narrow) noexcept {
  levels w(wide), n(narrow);
  bool first = true;
  while (true) {
    if (w.done()) return n.done();
    const auto wl = w.current();
    // A literal first level starting with '$' in narrow matches '$' topics, which a first-level
    // wildcard of wide cannot match.
    if (first && !n.done() && is_wild(wl) && !is_wild(n.current()) && is_dollar(n.current())) return false;
    if (wl == "#") return true;
    if (n.done()) return false;  // narrow matches exactly this many levels; wide needs one more
    const auto nl = n.current();
    if (nl == "#") {
      // narrow matches every topic that has the levels so far (at least one). Wide must too:
      // only '#' does, or "+/#" at the very start since no topic has zero levels.
      return first && w.rest() == "+/#";
    }
    if (wl != "+" && (nl == "+" || nl != wl)) return false;
    w.next();
    n.next();
    first = false;
  }
}

bool plain_intersect(std::string_view a, std::string_view b) noexcept {
  levels x(a), y(b);
  bool first = true;
  while (true) {
    if (x.done() || y.done()) {
      // One filter ends here: the other must be able to stop here too ('#' takes its parent).
      if (x.done() && y.done()) return true;
      return (x.done() ? y.current() : x.current()) == "#";
    }
    const auto xl = x.current(), yl = y.current();
    const bool xw = is_wild(xl), yw = is_wild(yl);
    if (first && ((xw && !yw && is_dollar(yl)) || (yw && !xw && is_dollar(xl)))) return false;
    if (xl == "#" || yl == "#") return true;
    if (!xw && !yw && xl != yl) return false;
    x.next();
    y.next();
    first = false;
  }
}

}  // namespace

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  return plain_matches(codec::split_shared(filter).filter, topic);
}

bool filter_covers(std::string_view wide, std::string_view narrow) noexcept {
  const auto w = codec::split_shared(wide), n = codec::split_shared(narrow);
  const bool w_shared = wide.starts_with("$share/"), n_shared = narrow.starts_with("$share/");
  if (w_shared != n_shared || w.group != n.group) return false;
  return plain_covers(w.filter, n.filter);
}

bool filters_intersect(std::string_view a, std::string_view b) noexcept {
  return plain_intersect(codec::split_shared(a).filter, codec::split_shared(b).filter);
}

}  // namespace mqrelay::engine
