// Logging: one line per event on stderr, "2026-11-25T09:40:00.123Z info  local: connected ...".
//
// Thread-safe (one write(2) per line). Payloads are never logged (SPEC §4.12).
#pragma once
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace mqrelay::engine {

enum class level : std::uint8_t { error = 0, warn = 1, info = 2, debug = 3 };

void set_log_level(level l) noexcept;
bool log_enabled(level l) noexcept;
void logf(level l, const char* fmt, ...) noexcept __attribute__((format(printf, 2, 3)));

#define MQR_LOG(lvl, ...)                                              \
  do {                                                                 \
    if (::mqrelay::engine::log_enabled(lvl)) ::mqrelay::engine::logf(lvl, __VA_ARGS__); \
  } while (0)
#define LOG_ERROR(...) MQR_LOG(::mqrelay::engine::level::error, __VA_ARGS__)
#define LOG_WARN(...) MQR_LOG(::mqrelay::engine::level::warn, __VA_ARGS__)
#define LOG_INFO(...) MQR_LOG(::mqrelay::engine::level::info, __VA_ARGS__)
#define LOG_DEBUG(...) MQR_LOG(::mqrelay::engine::level::debug, __VA_ARGS__)

// Remembers which keys were already logged so a recurring problem (an oversize message on one
// topic) is logged once. Bounded: after `cap` keys it stops remembering and logs nothing new
// for unseen keys, so a flood of distinct bad topics cannot grow memory. Thread-safe; not for
// the per-message hot path of good messages (only bad ones reach it).
class log_once {
 public:
  explicit log_once(std::size_t cap = 4096) : cap_(cap) {}
  // True the first time `key` is seen (caller logs), false afterwards.
  bool first(std::string_view key);

 private:
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::size_t cap_;
};

}  // namespace mqrelay::engine
