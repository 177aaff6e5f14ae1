#include "codec/framer.hpp"

#include <algorithm>
#include <cstring>

namespace mqrelay::codec {

error check_first_byte(std::uint8_t b, protocol_version v) noexcept {
  const auto t = static_cast<packet_type>(b >> 4);
  const std::uint8_t flags = b & 0x0F;
  switch (t) {
    case packet_type::reserved:
      return error::reserved_type;
    case packet_type::auth:
      if (v != protocol_version::v5) return error::reserved_type;
      return flags == 0 ? error::none : error::reserved_flags;
    case packet_type::publish:
      // QoS 3 is malformed (3.1.1 §3.3.1.2, 5.0 §3.3.1.2); DUP on QoS 0 likewise (§3.3.1.1).
      if ((flags & 0x06) == 0x06) return error::bad_qos;
      if ((flags & 0x08) && (flags & 0x06) == 0) return error::bad_qos;
      return error::none;
    case packet_type::pubrel:
    case packet_type::subscribe:
    case packet_type::unsubscribe:
      return flags == 0x02 ? error::none : error::reserved_flags;
    default:
      return flags == 0 ? error::none : error::reserved_flags;
  }
}

namespace {

// Remaining-length rules that are known from the fixed header alone, checked before buffering.
error check_length(packet_type t, std::uint8_t flags, std::uint32_t rl, protocol_version v) noexcept {
  const bool v5 = v == protocol_version::v5;
  auto exactly = [rl](std::uint32_t n) { return rl == n ? error::none : rl < n ? error::truncated : error::trailing_bytes; };
  auto at_least = [rl](std::uint32_t n) { return rl >= n ? error::none : error::truncated; };
  switch (t) {
    case packet_type::pingreq:
    case packet_type::pingresp:
      return exactly(0);
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp:
      return v5 ? at_least(2) : exactly(2);
    case packet_type::unsuback:
      return v5 ? at_least(4) : exactly(2);
    case packet_type::connack:
      return v5 ? at_least(3) : exactly(2);
    case packet_type::disconnect:
      return v5 ? error::none : exactly(0);
    case packet_type::suback:
      return at_least(v5 ? 4 : 3);
    case packet_type::subscribe:
      return at_least(v5 ? 7 : 6);  // id, [props], one filter of at least 1 byte, options
    case packet_type::unsubscribe:
      return at_least(v5 ? 6 : 5);
    case packet_type::publish:
      return at_least(2u + ((flags & 0x06) ? 2u : 0u) + (v5 ? 1u : 0u));
    case packet_type::connect:
      return at_least(12);  // protocol name, level, flags, keep alive, client id length
    default:
      return error::none;
  }
}

}  // namespace

framer::framer(protocol_version v, std::uint32_t max_packet_size, std::size_t initial_capacity)
    : buf_(new std::uint8_t[initial_capacity]), cap_(initial_capacity), version_(v), max_packet_(max_packet_size) {}

void framer::reset() noexcept {
  begin_ = end_ = pending_ = 0;
  discard_ = 0;
  failed_ = error::none;
}

void framer::reserve_total(std::size_t need) {
  const std::size_t have = end_ - begin_;
  if (cap_ - begin_ >= need) return;
  if (cap_ >= need) {
    if (have) std::memmove(buf_.get(), buf_.get() + begin_, have);
  } else {
    const std::size_t ncap = std::max(need, cap_ + cap_ / 2);
    std::unique_ptr<std::uint8_t[]> nb(new std::uint8_t[ncap]);
    if (have) std::memcpy(nb.get(), buf_.get() + begin_, have);
    buf_ = std::move(nb);
    cap_ = ncap;
  }
  begin_ = 0;
  end_ = have;
}

std::span<std::uint8_t> framer::writable(std::size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  const std::size_t have = end_ - begin_;
  std::size_t need = have + min_free;
  // Room for the packet being assembled grows with the bytes that actually arrived (at most twice
  // them), not with the length the peer announced: a header claiming 256 MiB allocates nothing
  // until the bytes come. Doubling keeps the copies amortised O(n).
  if (pending_ > need) need = std::min(pending_, std::max(need, 2 * have));
  if (cap_ - end_ < min_free || cap_ - begin_ < need) reserve_total(need);
  return {buf_.get() + end_, cap_ - end_};
}

void framer::feed(std::span<const std::uint8_t> bytes) {
  if (discard_ && begin_ == end_) {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, bytes.size()));
    discard_ -= k;
    bytes = bytes.subspan(k);
  }
  if (bytes.empty()) return;
  auto w = writable(bytes.size());
  std::memcpy(w.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

frame_event framer::fail(error e) noexcept {
  failed_ = e;
  frame_event ev;
  ev.status = frame_status::error;
  ev.err = e;
  return ev;
}

frame_event framer::next() noexcept {
  frame_event ev;
  if (failed_ != error::none) return fail(failed_);
  if (discard_) {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(discard_, end_ - begin_));
    begin_ += k;
    discard_ -= k;
    if (discard_) return ev;
  }
  const std::size_t avail = end_ - begin_;
  if (avail == 0) return ev;
  const std::uint8_t* p = buf_.get() + begin_;
  const std::uint8_t b0 = p[0];
  // PUBLISH, the hot path, is checked inline (no jump table); the same rules as check_first_byte.
  const bool is_publish = (b0 >> 4) == static_cast<std::uint8_t>(packet_type::publish);
  if (is_publish) {
    if ((b0 & 0x06) == 0x06 || ((b0 & 0x08) && (b0 & 0x06) == 0)) return fail(error::bad_qos);
  } else if (auto e = check_first_byte(b0, version_); e != error::none) {
    return fail(e);
  }
  if (avail < 2) return ev;

  // Remaining length: at most 4 bytes (5.0 §1.5.5, 3.1.1 §2.2.3).
  std::uint32_t rl = 0;
  std::size_t hdr = 0;
  for (std::size_t i = 0;; ++i) {
    if (i == 4) return fail(error::bad_remaining_length);
    if (1 + i >= avail) return ev;
    const std::uint8_t b = p[1 + i];
    rl |= std::uint32_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) == 0) {
      // MQTT 5 requires the minimal encoding (5.0 §1.5.5 [MQTT-1.5.5-1]); 3.1.1 states no such
      // rule (§2.2.3), so a non-minimal length is accepted there.
      if (i > 0 && b == 0 && version_ == protocol_version::v5) return fail(error::bad_remaining_length);
      hdr = 2 + i;
      break;
    }
  }
  const auto type = static_cast<packet_type>(b0 >> 4);
  const std::uint8_t flags = b0 & 0x0F;
  if (is_publish) {
    const std::uint32_t min = 2u + ((flags & 0x06) ? 2u : 0u) + (version_ == protocol_version::v5 ? 1u : 0u);
    if (rl < min) return fail(error::truncated);
  } else if (auto e = check_length(type, flags, rl, version_); e != error::none) {
    return fail(e);
  }
  const std::size_t total = hdr + rl;

  if (total > max_packet_) {
    if (type != packet_type::publish) return fail(error::packet_too_large);
    // Report the oversize PUBLISH once its topic and packet id are here, then skip it.
    const std::uint8_t qos = (flags >> 1) & 3;
    if (avail < hdr + 2) {
      pending_ = hdr + 2;
      return ev;
    }
    const std::size_t tlen = (std::size_t{p[hdr]} << 8) | p[hdr + 1];
    const std::size_t need = hdr + 2 + tlen + (qos ? 2 : 0);
    if (need - hdr > rl) return fail(error::truncated);
    if (avail < need) {
      pending_ = need;
      return ev;
    }
    ev.status = frame_status::oversize_publish;
    ev.oversize.topic = {reinterpret_cast<const char*>(p + hdr + 2), tlen};
    ev.oversize.qos = qos;
    ev.oversize.remaining_length = rl;
    if (qos) {
      ev.oversize.packet_id = static_cast<std::uint16_t>((p[need - 2] << 8) | p[need - 1]);
      if (ev.oversize.packet_id == 0) return fail(error::zero_packet_id);
    }
    const std::size_t k = std::min(total, avail);
    begin_ += k;
    discard_ = total - k;
    pending_ = 0;
    return ev;
  }
  if (avail < total) {
    pending_ = total;
    return ev;
  }
  ev.status = frame_status::frame;
  ev.f.type = type;
  ev.f.flags = flags;
  ev.f.body = {p + hdr, rl};
  ev.f.size = total;
  begin_ += total;
  pending_ = 0;
  return ev;
}

}  // namespace mqrelay::codec
