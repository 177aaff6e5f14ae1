#include "engine/message.hpp"

#include <cstdlib>
#include <new>

namespace mqrelay::engine {

namespace {
constexpr std::size_t class_bytes(int c) { return std::size_t{128} << c; }
constexpr std::size_t kAccountingOverhead = 96;
}  // namespace

message_pool::~message_pool() {
  for (auto& list : free_)
    for (void* p : list) std::free(p);
}

message* message_pool::make(std::size_t topic_len, std::size_t props_len, std::size_t payload_len) {
  const std::size_t need = sizeof(message) + topic_len + props_len + payload_len;
  int c = 0;
  while (c < kClasses && class_bytes(c) < need) ++c;
  void* mem = nullptr;
  std::size_t bytes = need;
  if (c < kClasses) {
    bytes = class_bytes(c);
    if (!free_[c].empty()) {
      mem = free_[c].back();
      free_[c].pop_back();
      cached_ -= bytes;
    }
  }
  if (!mem) {
    mem = std::malloc(bytes);
    if (!mem) throw std::bad_alloc();
  }
  auto* m = new (mem) message();
  // The spooler counts what a message really costs: its block, malloc's header, and the
  // delivery records that point at it in queues and in-flight tables (measured: peak RSS in the
  // flood benchmarks, bench/run.sh; with the 128 B class, 64 left the QoS 0 flood at 74-84 MiB
  // for a 64 MiB spooler, 96 gives 65-72 MiB).
  m->alloc_bytes = static_cast<std::uint32_t>(bytes + kAccountingOverhead);
  m->size_class = static_cast<std::uint8_t>(c);
  m->topic_len = static_cast<std::uint16_t>(topic_len);
  m->props_len = static_cast<std::uint32_t>(props_len);
  m->payload_len = static_cast<std::uint32_t>(payload_len);
  return m;
}

void message_pool::recycle(message* m) noexcept {
  const int c = m->size_class;
  const std::size_t bytes = m->alloc_bytes - kAccountingOverhead;
  m->~message();
  if (c < kClasses && cached_ + bytes <= cache_limit_) {
    try {
      free_[c].push_back(m);
      cached_ += bytes;
      return;
    } catch (...) {
    }
  }
  std::free(m);
}

}  // namespace mqrelay::engine
