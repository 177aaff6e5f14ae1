// Random filters and topics for the routing property tests: levels drawn from a small alphabet so
// that matches, overlaps and covers actually happen; empty levels, '$' levels, '+', '#' and
// "$share/GROUP/" included. Fixed seeds make every failure reproducible.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mqrelay::engine::testing {

// Literal levels of filters; topics also use "z", which no filter names (a counterexample level).
inline const std::vector<std::string> kLevels = {"a", "b", "", "$s", "cc"};

// A random valid filter of 1..max_levels levels, optionally "$share/g|h/"-prefixed.
inline std::string random_filter(std::mt19937& rng, int max_levels, bool allow_share) {
  std::uniform_int_distribution<int> nlev(1, max_levels), pick(0, 9);
  std::string share;
  if (allow_share && pick(rng) == 0) share = pick(rng) < 5 ? "$share/g/" : "$share/h/";
  std::string f;
  const int n = nlev(rng);
  for (int i = 0; i < n; ++i) {
    if (i) f += '/';
    const int p = pick(rng);
    if (i == n - 1 && p < 2) {
      f += '#';
    } else if (p < 4) {
      f += '+';
    } else {
      f += kLevels[static_cast<std::size_t>(p) % kLevels.size()];
    }
  }
  return share + (f.empty() ? "a" : f);  // "" is not a filter
}

// A random topic of 1..max_levels levels.
inline std::string random_topic(std::mt19937& rng, int max_levels) {
  static const std::vector<std::string> alphabet = {"a", "b", "", "$s", "cc", "z"};
  std::uniform_int_distribution<int> nlev(1, max_levels);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  const int n = nlev(rng);
  std::string t;
  for (int i = 0; i < n; ++i) {
    if (i) t += '/';
    t += alphabet[pick(rng)];
  }
  return t.empty() ? "z" : t;  // "" is not a topic
}

// Every topic of 1..max_levels levels over the topic alphabet (6^1 + ... + 6^max_levels, minus "").
inline std::vector<std::string> all_topics(int max_levels) {
  static const std::vector<std::string> alphabet = {"a", "b", "", "$s", "cc", "z"};
  std::vector<std::string> out, layer = {""};
  for (int d = 1; d <= max_levels; ++d) {
    std::vector<std::string> next;
    for (const auto& prefix : layer)
      for (const auto& l : alphabet) next.push_back(d == 1 ? l : prefix + "/" + l);
    for (const auto& t : next)
      if (!t.empty()) out.push_back(t);  // "" is not a topic, but "/a" is
    layer = std::move(next);
  }
  return out;
}

}  // namespace mqrelay::engine::testing
