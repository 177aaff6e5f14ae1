// byte_buffer: a growable byte array that never zero-fills (std::vector<uint8_t>::resize does),
// for send staging. Not thread-safe. Growth doubles; clear() keeps the capacity, so a link's
// buffers stop allocating once they have seen their largest batch.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>

namespace mqrelay::engine {

class byte_buffer {
 public:
  byte_buffer() = default;
  byte_buffer(const byte_buffer&) = delete;
  byte_buffer& operator=(const byte_buffer&) = delete;
  byte_buffer(byte_buffer&& o) noexcept : data_(o.data_), size_(o.size_), cap_(o.cap_) { o.data_ = nullptr; o.size_ = o.cap_ = 0; }
  byte_buffer& operator=(byte_buffer&& o) noexcept { swap(o); return *this; }
  ~byte_buffer() { std::free(data_); }

  // Returns a pointer to n writable bytes at the end and counts them as used.
  std::uint8_t* append(std::size_t n) {
    reserve(size_ + n);
    std::uint8_t* p = data_ + size_;
    size_ += n;
    return p;
  }
  void append(std::span<const std::uint8_t> bytes) {
    if (!bytes.empty()) std::memcpy(append(bytes.size()), bytes.data(), bytes.size());
  }
  void reserve(std::size_t n) {
    if (n <= cap_) return;
    std::size_t c = cap_ ? cap_ : 4096;
    while (c < n) c *= 2;
    auto* p = static_cast<std::uint8_t*>(std::realloc(data_, c));
    if (!p) throw std::bad_alloc();
    data_ = p;
    cap_ = c;
  }
  // Drops the first n bytes (after a short send).
  void consume(std::size_t n) noexcept {
    if (n >= size_) { size_ = 0; return; }
    std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }
  void shrink_to(std::size_t n) noexcept { if (n < size_) size_ = n; }
  void clear() noexcept { size_ = 0; }
  void swap(byte_buffer& o) noexcept {
    std::swap(data_, o.data_); std::swap(size_, o.size_); std::swap(cap_, o.cap_);
  }
  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const std::uint8_t> view() const noexcept { return {data_, size_}; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

}  // namespace mqrelay::engine
