#include "engine/log.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace mqrelay::engine {

namespace {
std::atomic<int> g_level{static_cast<int>(level::info)};
const char* level_name(level l) {
  switch (l) {
    case level::error: return "error";
    case level::warn: return "warn ";
    case level::info: return "info ";
    case level::debug: return "debug";
  }
  return "?";
}
}  // namespace

void set_log_level(level l) noexcept { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
bool log_enabled(level l) noexcept { return static_cast<int>(l) <= g_level.load(std::memory_order_relaxed); }

void logf(level l, const char* fmt, ...) noexcept {
  char line[2048];
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  int n = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
                        level_name(l));
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n) - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  std::size_t len = static_cast<std::size_t>(n) + static_cast<std::size_t>(m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  ssize_t w = ::write(STDERR_FILENO, line, len);
  (void)w;
}

bool log_once::first(std::string_view key) {
  std::lock_guard lk(mu_);
  if (seen_.size() >= cap_) return false;
  return seen_.emplace(key).second;
}

}  // namespace mqrelay::engine
