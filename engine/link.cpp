#include "engine/link.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "codec/ack.hpp"
#include "codec/connect.hpp"
#include "codec/control.hpp"
#include "codec/properties.hpp"
#include "codec/publish.hpp"
#include "codec/subscribe.hpp"

namespace mqrelay::engine {

using codec::packet_type;
using codec::protocol_version;

namespace {
constexpr std::size_t kRecvChunk = 64 * 1024;
constexpr std::size_t kBatch = 256;
// Encoded bytes a target link buffers ahead of the socket (plain + ciphertext). Past this it stops
// taking messages from its inbox until the socket drains: the messages wait in the spooler,
// counted, instead of as a second, uncounted copy in the output buffers.
constexpr std::size_t kMaxBufferedOut = 256u << 10;
// PUBACKs to a source wait for company (see link::hold_acks()): at most this long, until this
// many are ready, and only while the source has at least twice as many unacknowledged with us.
constexpr std::uint64_t kAckHoldNs = 500000;  // 500 us
constexpr std::uint32_t kAckBatch = 128;
constexpr std::uint64_t kMs = 1000000ull;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

link::link(reactor& r, relay_context& ctx, link_settings s, std::size_t index)
    : reactor_(r),
      ctx_(ctx),
      s_(std::move(s)),
      index_(index),
      rng_(now_ns() ^ (index * 0x9e3779b97f4a7c15ull)),
      framer_(s_.version, s_.max_packet_in ? s_.max_packet_in : 268435460u),
      inbox_(1024),
      slots_(static_cast<slot*>(std::calloc(65536, sizeof(slot)))),
      // Freed messages kept for reuse count against memory too: at most 1/32 of the spooler
      // (and 16 MiB), so peak RSS stays near spooler.maxSizeInBytes (SPEC §4.6).
      pool_(std::min<std::size_t>(16u << 20, static_cast<std::size_t>(ctx.spool_max / 32))),
      completions_(1024) {
  if (!slots_) throw std::bad_alloc();
  endpoint_label_ = s_.name;
  connect_op_.l = recv_op_.l = send_op_.l = cancel_op_.l = this;
  connect_op_.kind = op_kind::connect;
  recv_op_.kind = op_kind::recv;
  send_op_.kind = op_kind::send;
  cancel_op_.kind = op_kind::cancel;
  backoff_ms_ = s_.min_backoff_ms;
  keep_alive_s_ = s_.keep_alive_s;
  routes_.store(s_.routes, std::memory_order_relaxed);
  reserve_subscribe_ids();
}

// Publishes leave a packet id for each SUBSCRIBE packet this link sends (they can all be in
// flight at once, next to a full window of publishes, after a reconnect).
void link::reserve_subscribe_ids() noexcept {
  if (s_.max_filters_per_subscribe == 0) return;
  const std::size_t packets = (s_.subscriptions.size() + s_.max_filters_per_subscribe - 1) / s_.max_filters_per_subscribe;
  ids_for_publish_ = 65535 - static_cast<std::uint32_t>(std::min<std::size_t>(packets, 32767));
}

link::~link() {
  delete pending_reroute_.load();  // a reload the loop never got to (it stopped first)
  if (fd_ >= 0) ::close(fd_);
}

void link::set_targets(const std::vector<link*>& all_links) {
  all_links_ = all_links;
  tokens_.clear();
  for (link* t : all_links) tokens_.push_back(std::make_unique<moodycamel::ProducerToken>(t->inbox()));
}

void link::start() { reconnect_at_ = now_ns(); }

// ---------------------------------------------------------------- connection set-up

void link::begin_connect(std::uint64_t now) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  char port[8];
  std::snprintf(port, sizeof port, "%u", s_.port);
  // getaddrinfo blocks; it runs only when (re)connecting, never on the message path.
  int rc = getaddrinfo(s_.host.c_str(), port, &hints, &res);
  if (rc != 0 || !res) {
    LOG_WARN("%s: cannot resolve %s: %s", s_.name.c_str(), s_.host.c_str(), gai_strerror(rc));
    schedule_reconnect(now);
    return;
  }
  std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
  addr_len_ = res->ai_addrlen;
  const int family = res->ai_family;
  freeaddrinfo(res);

  fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    LOG_WARN("%s: socket: %s", s_.name.c_str(), std::strerror(errno));
    schedule_reconnect(now);
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  state_ = state::connecting;
  state_deadline_ = now + std::uint64_t{s_.connect_timeout_ms} * kMs;
  io_uring_sqe* sqe = reactor_.sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<sockaddr*>(&addr_), addr_len_);
  io_uring_sqe_set_data(sqe, static_cast<op*>(&connect_op_));
  connect_inflight_ = true;
  LOG_DEBUG("%s: connecting to %s:%u", s_.name.c_str(), s_.host.c_str(), s_.port);
}

void link::on_connected_tcp() {
  ack_order_.clear();
  unacked_in_ = acks_held_ = 0;
  acks_held_bytes_ = 0;
  acks_held_since_ = 0;
  framer_.reset();
  framer_.set_version(s_.version);
  wire_pending_.clear();
  plain_.clear();
  if (s_.tls) {
    tls_ = std::make_unique<tls::session>(*s_.tls);
    state_ = state::tls_handshake;
    if (tls_->handshake() == tls::session::status::error) {
      fail("TLS handshake with %s:%u failed: %s", s_.host.c_str(), s_.port, tls_->last_error().c_str());
      return;
    }
    flush();
  } else {
    send_connect();
  }
  arm_recv();
}

void link::send_connect() {
  codec::connect_out c{};
  c.version = s_.version;
  c.client_id = s_.client_id;
  c.clean_start = false;  // persistent sessions at both ends (SPEC §4.5)
  c.keep_alive = s_.keep_alive_s;
  if (s_.username) c.username = std::string_view(*s_.username);
  if (s_.password) c.password = std::string_view(*s_.password);
  c.session_expiry = s_.session_expiry;
  c.receive_maximum = s_.receive_maximum;
  c.maximum_packet_size = s_.maximum_packet_size;
  const std::size_t n = codec::connect_size(c);
  byte_buffer& o = out();
  const std::size_t at = o.size();
  const std::size_t w = codec::encode_connect(o.append(n), c);
  o.shrink_to(at + w);
  state_ = state::wait_connack;
  flush();
}

void link::arm_recv() {
  if (recv_inflight_ || fd_ < 0 || state_ == state::closing || state_ == state::idle) return;
  std::span<std::uint8_t> w = tls_ ? tls_->cipher_in_writable(kRecvChunk) : framer_.writable(kRecvChunk);
  io_uring_sqe* sqe = reactor_.sqe();
  io_uring_prep_recv(sqe, fd_, w.data(), w.size(), 0);
  io_uring_sqe_set_data(sqe, static_cast<op*>(&recv_op_));
  recv_inflight_ = true;
}

void link::fail(const char* fmt, ...) {
  if (state_ == state::closing || state_ == state::idle) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const bool stopping = ctx_.disconnect_now.load(std::memory_order_relaxed);
  if (!stopping) {
    if (last_error_ != msg || ever_connected_) LOG_WARN("%s: %s", s_.name.c_str(), msg);
    else LOG_DEBUG("%s: %s", s_.name.c_str(), msg);
  }
  last_error_ = msg;
  state_ = state::closing;
  connected_flag_.store(false, std::memory_order_relaxed);
  ++generation_;  // completions of older messages must not PUBACK on a new connection
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  for (link_op* o : {&connect_op_, &recv_op_, &send_op_}) {
    const bool busy = (o == &connect_op_ && connect_inflight_) || (o == &recv_op_ && recv_inflight_) ||
                      (o == &send_op_ && send_inflight_);
    if (!busy) continue;
    io_uring_sqe* sqe = reactor_.sqe();
    io_uring_prep_cancel(sqe, static_cast<op*>(o), 0);
    io_uring_sqe_set_data(sqe, static_cast<op*>(&cancel_op_));
    ++cancels_inflight_;
  }
  finish_close();
}

// Closes the socket once no operation refers to it any more, then waits out the backoff.
void link::finish_close() {
  if (connect_inflight_ || recv_inflight_ || send_inflight_ || cancels_inflight_ > 0) return;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  tls_.reset();
  wire_pending_.clear();
  wire_inflight_.clear();
  wire_sent_ = 0;
  plain_.clear();
  recv_paused_ = false;
  ping_deadline_ = UINT64_MAX;
  state_deadline_ = UINT64_MAX;
  state_ = state::idle;
  if (ctx_.disconnect_now.load(std::memory_order_relaxed)) {
    stop_done_.store(true, std::memory_order_release);
    reconnect_at_ = UINT64_MAX;
    return;
  }
  schedule_reconnect(now_ns());
}

// Decorrelated jitter (as mosquitto's bridge and the AWS architecture blog): the next delay is
// random between the minimum and three times the previous one, capped. After a reload's new
// settings (reconnect_with(), which also reset the backoff): at once.
void link::schedule_reconnect(std::uint64_t now) {
  state_ = state::idle;
  std::uint64_t d = 0;
  if (reconnect_now_) {
    reconnect_now_ = false;
  } else {
    const std::uint64_t lo = s_.min_backoff_ms;
    const std::uint64_t hi = std::max<std::uint64_t>(lo, std::uint64_t{backoff_ms_} * 3);
    d = std::min<std::uint64_t>(lo + (hi > lo ? splitmix(rng_) % (hi - lo + 1) : 0), s_.max_backoff_ms);
    backoff_ms_ = static_cast<std::uint32_t>(d);
  }
  reconnect_at_ = now + d * kMs;
  LOG_DEBUG("%s: reconnecting in %llu ms", s_.name.c_str(), static_cast<unsigned long long>(d));
}

// ---------------------------------------------------------------- completions

void link::on_complete(op_kind k, int res, std::uint32_t) {
  switch (k) {
    case op_kind::cancel:
      --cancels_inflight_;
      if (state_ == state::closing) finish_close();
      return;
    case op_kind::connect:
      connect_inflight_ = false;
      if (state_ == state::closing) { finish_close(); return; }
      if (res < 0) {
        fail("cannot connect to %s:%u: %s", s_.host.c_str(), s_.port, std::strerror(-res));
        return;
      }
      on_connected_tcp();
      return;
    case op_kind::recv:
      recv_inflight_ = false;
      if (state_ == state::closing) { finish_close(); return; }
      on_recv(res);
      return;
    case op_kind::send:
      send_inflight_ = false;
      if (state_ == state::closing) { finish_close(); return; }
      on_send(res);
      return;
  }
}

void link::on_send(int res) {
  if (res < 0) {
    fail("send to %s:%u failed: %s", s_.host.c_str(), s_.port, std::strerror(-res));
    return;
  }
  wire_sent_ += static_cast<std::size_t>(res);
  if (wire_sent_ < wire_inflight_.size()) {  // short send: the rest goes next
    io_uring_sqe* sqe = reactor_.sqe();
    io_uring_prep_send(sqe, fd_, wire_inflight_.data() + wire_sent_, wire_inflight_.size() - wire_sent_, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, static_cast<op*>(&send_op_));
    send_inflight_ = true;
    return;
  }
  wire_inflight_.clear();
  wire_sent_ = 0;
  if (disconnect_sent_ && wire_pending_.empty() && plain_.empty()) {
    fail("disconnected (stopping)");
    return;
  }
  flush();
}

void link::on_recv(int res) {
  if (res == 0) {
    fail("connection closed by %s:%u", s_.host.c_str(), s_.port);
    return;
  }
  if (res < 0) {
    fail("receive from %s:%u failed: %s", s_.host.c_str(), s_.port, std::strerror(-res));
    return;
  }
  if (tls_) {
    tls_->cipher_in_commit(static_cast<std::size_t>(res));
    if (!tls_->handshake_done()) {
      const auto st = tls_->handshake();
      if (st == tls::session::status::error) {
        fail("TLS handshake with %s:%u failed: %s", s_.host.c_str(), s_.port, tls_->last_error().c_str());
        return;
      }
      flush();
      if (st == tls::session::status::want_io) {
        arm_recv();
        return;
      }
      LOG_DEBUG("%s: TLS established%s%s", s_.name.c_str(), tls_->alpn_selected().empty() ? "" : ", ALPN ",
                tls_->alpn_selected().c_str());
      send_connect();
    }
    for (;;) {
      std::span<std::uint8_t> w = framer_.writable(16 * 1024);
      long n = tls_->read(w.data(), w.size());
      if (n < 0) {
        fail("TLS connection to %s:%u failed: %s", s_.host.c_str(), s_.port, tls_->last_error().c_str());
        return;
      }
      if (n == 0) break;
      framer_.commit(static_cast<std::size_t>(n));
      if (!process_frames()) return;
    }
  } else {
    framer_.commit(static_cast<std::size_t>(res));
    if (!process_frames()) return;
  }
  for (reactor* r : to_notify_) r->notify();
  to_notify_.clear();
  if (should_pause()) {
    recv_paused_ = true;
  } else {
    arm_recv();
  }
  flush();
}

// ---------------------------------------------------------------- protocol

// Handles every complete packet in the framer. False when the link failed.
bool link::process_frames() {
  for (;;) {
    codec::frame_event ev = framer_.next();
    switch (ev.status) {
      case codec::frame_status::need_more:
        return true;
      case codec::frame_status::error:
        fail("malformed packet from %s:%u: %s", s_.host.c_str(), s_.port, codec::describe(ev.err));
        return false;
      case codec::frame_status::oversize_publish:
        handle_oversize(ev.oversize);
        break;
      case codec::frame_status::frame:
        if (!handle_frame(ev.f)) return false;
        break;
    }
    if (state_ == state::closing || state_ == state::idle) return false;
  }
}

bool link::handle_frame(const codec::frame& f) {
  if (state_ == state::wait_connack) {
    if (f.type != packet_type::connack) {
      fail("protocol error: expected CONNACK, got packet type %u", static_cast<unsigned>(f.type));
      return false;
    }
    on_connack(f);
    return state_ == state::connected;
  }
  switch (f.type) {
    case packet_type::publish: handle_publish(f); break;
    case packet_type::puback: handle_puback(f); break;
    case packet_type::suback: handle_suback(f); break;
    case packet_type::unsuback: handle_unsuback(f); break;
    case packet_type::pingresp: {
      if (auto e = codec::decode_pingresp(f, s_.version); e != codec::error::none) {
        fail("malformed PINGRESP: %s", codec::describe(e));
        return false;
      }
      ping_deadline_ = UINT64_MAX;
      break;
    }
    case packet_type::disconnect: {
      codec::disconnect_view d{};
      if (codec::decode_disconnect(f, s_.version, d) != codec::error::none) {
        fail("malformed DISCONNECT from the broker");
      } else {
        fail("the broker disconnected us (reason 0x%02x%s%.*s)", d.reason_code, d.reason_string.empty() ? "" : ": ",
             static_cast<int>(d.reason_string.size()), d.reason_string.data());
      }
      return false;
    }
    default:
      fail("protocol error: unexpected packet type %u from the broker", static_cast<unsigned>(f.type));
      return false;
  }
  return state_ == state::connected;
}

void link::on_connack(const codec::frame& f) {
  codec::connack_view c{};
  if (auto e = codec::decode_connack(f, s_.version, c); e != codec::error::none) {
    fail("malformed CONNACK: %s", codec::describe(e));
    return;
  }
  if (c.reason_code != 0) {
    fail("connection refused by %s:%u (CONNACK code 0x%02x%s%.*s)", s_.host.c_str(), s_.port, c.reason_code,
         c.reason_string.empty() ? "" : ": ", static_cast<int>(c.reason_string.size()), c.reason_string.data());
    return;
  }
  state_ = state::connected;
  state_deadline_ = UINT64_MAX;
  connected_flag_.store(true, std::memory_order_relaxed);
  backoff_ms_ = s_.min_backoff_ms;
  window_ = s_.max_in_flight;
  if (s_.version == protocol_version::v5) {
    window_ = std::min<std::uint32_t>(window_, c.receive_maximum);
    server_max_packet_ = c.maximum_packet_size;
    if (c.has_server_keep_alive) keep_alive_s_ = c.server_keep_alive;
  }
  if (window_ == 0) window_ = 1;
  LOG_INFO("%s: connected to %s:%u as %s (MQTT %s, session %s)", s_.name.c_str(), s_.host.c_str(), s_.port,
           s_.client_id.c_str(), s_.version == protocol_version::v5 ? "5" : "3.1.1",
           c.session_present ? "resumed" : "new");
  ever_connected_ = true;
  last_error_.clear();
  resend_in_flight();
  if (!c.session_present || !subscribed_this_process_) send_subscriptions(0);
  else if (subscribe_from_ < s_.subscriptions.size()) send_subscriptions(subscribe_from_);  // a reload's, not sent yet
  send_unsubscriptions();
  flush();
}

// SUBSCRIBE for s_.subscriptions[from..]: all of them on a new session, a reload's additions otherwise.
void link::send_subscriptions(std::size_t from) {
  const auto& subs = s_.subscriptions;
  subscribed_this_process_ = true;
  subscribe_from_ = subs.size();
  std::vector<codec::subscription_out> batch;
  for (std::size_t i = from; i < subs.size(); i += s_.max_filters_per_subscribe) {
    const std::size_t n = std::min(s_.max_filters_per_subscribe, subs.size() - i);
    batch.clear();
    for (std::size_t j = i; j < i + n; ++j) {
      codec::subscription_out o{};
      o.filter = subs[j].filter;
      o.qos = 1;
      o.no_local = subs[j].no_local;
      o.retain_as_published = subs[j].retain_as_published;
      o.retain_handling = s_.version == protocol_version::v5 ? 1 : 0;  // retained only on a new subscription
      batch.push_back(o);
    }
    const std::uint16_t pid = alloc_packet_id();
    if (pid == 0) {  // only with over 32,767 SUBSCRIBE packets and a full window of publishes
      LOG_ERROR("%s: no packet id free for SUBSCRIBE: %zu of %zu filters not subscribed", s_.name.c_str(),
                subs.size() - i, subs.size());
      subscribe_from_ = i;  // tried again after the next CONNACK
      return;
    }
    track(pid, slot_kind::subscribe, now_ns());
    slot& sl = slots_[pid];
    sl.first_sub = static_cast<std::uint16_t>(i);
    sl.sub_count = static_cast<std::uint16_t>(n);
    sl.sub_gen = sub_gen_;
    const std::size_t sz = codec::subscribe_size(batch, s_.version);
    byte_buffer& o = out();
    const std::size_t at = o.size();
    const std::size_t w = codec::encode_subscribe(o.append(sz), pid, batch, s_.version);
    o.shrink_to(at + w);
  }
}

void link::handle_suback(const codec::frame& f) {
  codec::suback_view v{};
  if (auto e = codec::decode_suback(f, s_.version, v); e != codec::error::none) {
    fail("malformed SUBACK: %s", codec::describe(e));
    return;
  }
  slot& sl = slots_[v.packet_id];
  if (sl.kind != slot_kind::subscribe) {
    LOG_DEBUG("%s: SUBACK for unknown packet id %u", s_.name.c_str(), v.packet_id);
    return;
  }
  if (sl.sub_gen != sub_gen_) {  // sent before a reload replaced the list its indexes point into
    LOG_INFO("%s: SUBACK for %u filters of the configuration before the reload", s_.name.c_str(), sl.sub_count);
    untrack(v.packet_id);
    return;
  }
  for (std::size_t i = 0; i < sl.sub_count; ++i) {
    const auto& filter = s_.subscriptions[sl.first_sub + i].filter;
    if (i >= v.reason_codes.size()) {
      LOG_WARN("%s: SUBACK has no result for '%s'", s_.name.c_str(), filter.c_str());
      continue;
    }
    const std::uint8_t rc = v.reason_codes[i];
    if (rc >= 0x80) LOG_ERROR("%s: the broker refused the subscription to '%s' (code 0x%02x)", s_.name.c_str(), filter.c_str(), rc);
    else LOG_INFO("%s: subscribed to '%s' (QoS %u)", s_.name.c_str(), filter.c_str(), rc);
  }
  untrack(v.packet_id);
}

// UNSUBSCRIBE for every filter a reload dropped and the broker has not confirmed yet; they stay
// pending (and go again after a reconnect) until the UNSUBACK of the packet with the last of them.
void link::send_unsubscriptions() {
  if (unsub_pending_.empty()) return;
  std::vector<std::string_view> batch;
  for (std::size_t i = 0; i < unsub_pending_.size(); i += s_.max_filters_per_subscribe) {
    const std::size_t n = std::min(s_.max_filters_per_subscribe, unsub_pending_.size() - i);
    batch.assign(unsub_pending_.begin() + static_cast<std::ptrdiff_t>(i), unsub_pending_.begin() + static_cast<std::ptrdiff_t>(i + n));
    const std::uint16_t pid = alloc_packet_id();
    if (pid == 0) return;  // all ids in use: sent again after the next CONNACK
    track(pid, slot_kind::unsubscribe, now_ns());
    const std::size_t sz = codec::unsubscribe_size(batch, s_.version);
    byte_buffer& o = out();
    const std::size_t at = o.size();
    const std::size_t w = codec::encode_unsubscribe(o.append(sz), pid, batch, s_.version);
    o.shrink_to(at + w);
    unsub_last_pid_ = pid;
  }
}

void link::handle_unsuback(const codec::frame& f) {
  codec::unsuback_view a{};
  if (auto e = codec::decode_unsuback(f, s_.version, a); e != codec::error::none) {
    fail("malformed UNSUBACK: %s", codec::describe(e));
    return;
  }
  if (slots_[a.packet_id].kind != slot_kind::unsubscribe) {
    LOG_DEBUG("%s: UNSUBACK for unknown packet id %u", s_.name.c_str(), a.packet_id);
    return;
  }
  untrack(a.packet_id);
  if (a.packet_id == unsub_last_pid_) {
    LOG_INFO("%s: unsubscribed from %zu filters no mapping needs any more", s_.name.c_str(), unsub_pending_.size());
    unsub_pending_.clear();
    unsub_last_pid_ = 0;
  }
}

// A reload's new connection settings: taken now, used from the next connection on, which starts
// at once. What this link holds as a target is resent there with DUP (SPEC §4.7); what it took as
// a source and has not acknowledged, the broker redelivers on the new connection (same client ID)
// or keeps for the old session (a new client ID).
void link::reconnect_with(const link_settings& n) {
  for_each_connection_setting(s_, n, [](auto& mine, const auto& theirs) { mine = theirs; });
  set_max_packet_in(n.max_packet_in);
  keep_alive_s_ = s_.keep_alive_s;
  backoff_ms_ = s_.min_backoff_ms;
  LOG_INFO("%s: reloaded connection settings: %s:%u as %s", s_.name.c_str(), s_.host.c_str(), s_.port, s_.client_id.c_str());
  if (state_ == state::idle) {
    reconnect_at_ = now_ns();
  } else {
    reconnect_now_ = true;
    fail("reconnecting with the reloaded settings");
  }
}

// The largest packet taken in (what the targets can carry); 0 leaves it as it is.
void link::set_max_packet_in(std::uint32_t n) noexcept {
  if (n == 0) return;
  s_.max_packet_in = n;
  framer_.set_max_packet_size(n);
}

bool link::reroute_later(std::unique_ptr<reroute>& r) {
  reroute* expected = nullptr;
  if (!pending_reroute_.compare_exchange_strong(expected, r.get(), std::memory_order_acq_rel)) return false;
  r.release();
  return true;
}

// A reload's new routes and subscriptions, on the link's own thread: the table is swapped at once
// (messages already routed keep their routes: the new table keeps the old indexes), and the
// subscription changes go out now or after the next CONNACK. The connection stays up.
void link::apply_reroute() {
  std::unique_ptr<reroute> r(pending_reroute_.exchange(nullptr, std::memory_order_acq_rel));
  if (!r) return;
  if (r->connection) reconnect_with(*r->connection);
  if (!r->new_routes) return;
  routes_.store(r->routes, std::memory_order_release);
  // What was not subscribed on this session yet and is kept moves with the kept filters: count the
  // old list's subscribed ones that the new kept part still has.
  // (The kept part keeps the old order, so the subscribed ones come first.)
  const std::size_t kept = r->subscriptions.size() - r->added;
  std::unordered_set<std::string_view> subscribed;
  for (std::size_t j = 0; j < subscribe_from_ && j < s_.subscriptions.size(); ++j) subscribed.insert(s_.subscriptions[j].filter);
  std::size_t from = 0;
  while (from < kept && subscribed.count(r->subscriptions[from].filter)) ++from;
  subscribed.clear();  // it points into the list replaced below
  s_.subscriptions = std::move(r->subscriptions);
  subscribe_from_ = from;
  ++sub_gen_;
  reserve_subscribe_ids();
  for (auto& f : r->unsubscribe) unsub_pending_.push_back(std::move(f));
  if (!unsub_pending_.empty()) {  // a filter dropped by an earlier reload and wanted again is not unsubscribed
    std::unordered_set<std::string_view> now;
    for (const auto& sub : s_.subscriptions) now.insert(sub.filter);
    std::erase_if(unsub_pending_, [&](const std::string& f) { return now.count(f) != 0; });
  }
  set_max_packet_in(r->max_packet_in);
  LOG_INFO("%s: reloaded: %zu filters (%zu new), %zu to unsubscribe", s_.name.c_str(), s_.subscriptions.size(), r->added,
           unsub_pending_.size());
  if (state_ != state::connected) return;  // on_connack() sends them
  if (subscribe_from_ < s_.subscriptions.size()) send_subscriptions(subscribe_from_);
  send_unsubscriptions();
  flush();
}

// ---------------------------------------------------------------- source role

void link::handle_publish(const codec::frame& f) {
  codec::publish_view p{};
  if (auto e = codec::decode_publish(f, s_.version, p); e != codec::error::none) {
    fail("malformed PUBLISH from %s:%u: %s", s_.host.c_str(), s_.port, codec::describe(e));
    return;
  }
  if (p.topic_alias != 0) {  // we never announce a Topic Alias Maximum, so none may be used
    fail("protocol error: the broker used a topic alias we did not allow");
    return;
  }
  if (p.qos > 1) {
    fail("protocol error: QoS 2 PUBLISH on a QoS 1 subscription");
    return;
  }
  if (ctx_.stopping.load(std::memory_order_relaxed)) return;  // redelivered next session
  if (p.qos == 1) ++unacked_in_;
  ctx_.ctr.received.fetch_add(1, std::memory_order_relaxed);
  const source_routes* rt = routes_.load(std::memory_order_relaxed);
  if (!rt) {
    if (p.qos == 1) ack_in_order(p.packet_id);
    return;
  }
  // Sized once to the most ids a match can return (grows only on the first message).
  if (match_ids_.size() < rt->automaton.max_matches()) match_ids_.resize(rt->automaton.max_matches());
  std::uint32_t* idp = match_ids_.data();
  const std::size_t nm = rt->automaton.match(p.topic, idp);

  // Distinct routes (target, prefix); retain survives if any matching mapping keeps it.
  std::uint16_t routes[32];
  bool keep_retain[32];
  std::size_t nr = 0;
  for (std::size_t i = 0; i < nm; ++i) {
    const std::uint16_t r = rt->mapping_route[idp[i]];
    const bool rap = rt->mapping_rap[idp[i]] != 0;
    std::size_t k = 0;
    while (k < nr && routes[k] != r) ++k;
    if (k == nr) {
      if (nr == 32) break;
      routes[nr] = r;
      keep_retain[nr] = false;
      ++nr;
    }
    keep_retain[k] = keep_retain[k] || rap;
  }
  // Per-target checks (SPEC §4.8) before anything is copied.
  link* targets[32];
  std::size_t nd = 0;
  for (std::size_t k = 0; k < nr; ++k) {
    const route& r = rt->routes[routes[k]];
    if (r.prefix.size() + p.topic.size() > 65535) {  // no MQTT topic can carry it (§4.8)
      ctx_.ctr.skipped_bad_topic.fetch_add(1, std::memory_order_relaxed);
      if (ctx_.once.first(std::string("long:") + r.prefix + std::string(p.topic.substr(0, 256))))
        LOG_WARN("%s: not relaying '%s%.*s…' to %s: prefix + topic is over 65535 bytes; acknowledged and counted "
                 "(logged once per topic)", s_.name.c_str(), r.prefix.c_str(), 64, p.topic.data(),
                 config::endpoint_name(r.target));
      continue;
    }
    if (r.target == config::endpoint::iot_core) {
      if (p.payload.size() > ctx_.cfg.iot_core.max_message_size) {
        ctx_.ctr.skipped_too_large.fetch_add(1, std::memory_order_relaxed);
        if (ctx_.once.first(std::string("size:") + std::string(p.topic)))
          LOG_WARN("%s: not relaying a %zu-byte message on '%.*s' to IotCore: over iotCore.maxMessageSizeInBytes (%u); "
                   "acknowledged and counted (logged once per topic)",
                   s_.name.c_str(), p.payload.size(), static_cast<int>(p.topic.size()), p.topic.data(),
                   ctx_.cfg.iot_core.max_message_size);
        continue;
      }
      if (const char* why = iot_core_topic_problem(r.prefix, p.topic)) {
        ctx_.ctr.skipped_bad_topic.fetch_add(1, std::memory_order_relaxed);
        if (ctx_.once.first(std::string("topic:") + r.prefix + std::string(p.topic)))
          LOG_WARN("%s: not relaying '%s%.*s' to IotCore: %s; acknowledged and counted (logged once per topic)",
                   s_.name.c_str(), r.prefix.c_str(), static_cast<int>(p.topic.size()), p.topic.data(), why);
        continue;
      }
    }
    link* t = ctx_.target_link(r.target, r.prefix, p.topic);
    if (!t) continue;
    targets[nd] = t;
    routes[nd] = routes[k];
    keep_retain[nd] = keep_retain[k];
    ++nd;
  }
  if (nd == 0) {
    if (nm == 0) ctx_.ctr.unrouted.fetch_add(1, std::memory_order_relaxed);
    if (p.qos == 1) ack_in_order(p.packet_id);
    return;
  }
  // Copy once, at the ownership boundary (STYLE lesson 5).
  const bool v5_props = s_.version == protocol_version::v5 && !p.properties.empty();
  message* m = pool_.make(p.topic.size(), v5_props ? p.properties.size() : 0, p.payload.size());
  std::memcpy(m->bytes(), p.topic.data(), p.topic.size());
  if (v5_props) m->props_len = static_cast<std::uint32_t>(codec::copy_forwardable_properties(p.properties, m->bytes() + p.topic.size()));
  std::memcpy(m->bytes() + m->topic_len + m->props_len, p.payload.data(), p.payload.size());
  m->source = this;
  m->generation = generation_;
  m->packet_id = p.packet_id;
  m->qos = p.qos;
  m->retain = p.retain;
  if (p.qos == 1) m->ack_ticket = ack_order_.push(p.packet_id);
  m->pending.store(static_cast<std::uint32_t>(nd), std::memory_order_relaxed);
  ctx_.spool_bytes.fetch_add(m->alloc_bytes, std::memory_order_relaxed);
  ctx_.live_messages.fetch_add(1, std::memory_order_relaxed);
  const bool rap_allowed = s_.version == protocol_version::v5;
  for (std::size_t k = 0; k < nd; ++k) {
    delivery d{m, routes[k], rap_allowed && keep_retain[k] && p.retain};
    targets[k]->deliver(*tokens_[targets[k]->index()], d);
    reactor* r = &targets[k]->owner();
    if (std::find(to_notify_.begin(), to_notify_.end(), r) == to_notify_.end()) to_notify_.push_back(r);
  }
}

void link::handle_oversize(const codec::oversize_publish& o) {
  ctx_.ctr.skipped_too_large.fetch_add(1, std::memory_order_relaxed);
  if (ctx_.once.first(std::string("oversize:") + std::string(o.topic)))
    LOG_WARN("%s: discarding a %u-byte PUBLISH on '%.*s': larger than any target accepts (limit %u bytes); "
             "acknowledged and counted (logged once per topic)",
             s_.name.c_str(), o.remaining_length, static_cast<int>(o.topic.size()), o.topic.data(), s_.max_packet_in);
  if (o.qos == 1 && !ctx_.stopping.load(std::memory_order_relaxed)) {
    ++unacked_in_;
    ack_in_order(o.packet_id);
  }
}

// A QoS 1 PUBLISH that needs nothing more (no target takes it): its PUBACK leaves now, unless
// an earlier one's is still waiting for its targets (ack_order).
void link::ack_in_order(std::uint16_t packet_id) {
  if (ack_order_.empty()) ack_source(packet_id);
  else ack_order_.push(packet_id, /*finished=*/true);
}

void link::ack_source(std::uint16_t packet_id) {
  byte_buffer& o = out();
  const std::size_t at = o.size();
  const std::size_t w = codec::encode_ack(o.append(8), packet_type::puback, packet_id, 0, s_.version);
  o.shrink_to(at + w);
  ++acks_held_;
  acks_held_bytes_ += w;
}

// Whether flush() keeps the PUBACKs it has for the source a little longer; the hold's clock starts
// at the first flush that holds (the clock is read only then, not per PUBACK). A source that is far
// ahead of the relay (a broker with a backlog for it and a large window: mosquitto's
// max_inflight_messages) has many QoS 1 messages unacknowledged with us, and the PUBACKs become
// ready one by one as the targets acknowledge. Sent as they become ready, each one freed one slot
// of the source's window: the broker sent one message, we woke for one, and it stayed that way
// (the few-at-a-time regime of the README). So while the source has at least 2 * kAckBatch
// unacknowledged with us and nothing but PUBACKs is to be sent, they wait until kAckBatch are ready
// or kAckHoldNs after the first: the source then still has kAckBatch or more messages in flight,
// and no message's delivery waits for this. A source with a smaller window (mosquitto's default
// of 20, IoT Core's 100) or one the relay keeps up with is never held. Measured with bench/run.sh,
// 10 s rounds interleaved on 2 cores, local mosquitto -> mqrelay -> cloud mosquitto at QoS 1
// (br-relay-q1): 16.6k msgs/s median (15.4-21.5k) and 12-20 CPU s/M before, 21.3k (20.0-21.9k)
// and 5-11 s/M after. Batches of 64 (from 128 unacknowledged) gained less, 256 (from 512) nothing;
// holding for half the most unacknowledged ever seen stopped holding once the backlog had peaked,
// and holding at any count cost a timer wake-up per batch at 20,000 msgs/s (+20 us p50, +50 % CPU).
bool link::hold_acks() noexcept {
  if (unacked_in_ < 2 * kAckBatch || acks_held_ >= kAckBatch || ctx_.stopping.load(std::memory_order_relaxed)) return false;
  const std::size_t buffered = s_.tls ? plain_.size() : wire_pending_.size();
  if (buffered != acks_held_bytes_ || (s_.tls && !wire_pending_.empty())) return false;  // something else goes anyway
  const std::uint64_t now = now_ns();
  if (acks_held_since_ == 0) acks_held_since_ = now;
  return now - acks_held_since_ < kAckHoldNs;
}

// A finished QoS 1 message wakes its source's thread at once: the PUBACK to the source waits for
// it. A QoS 0 one does not: its block is recycled on that thread's next wake-up (its next receive,
// at the latest its 1 s timer), unless the spooler is half full or the relay is stopping. Waking
// the local thread per QoS 0 batch cost 8.3 CPU s per million messages from a local mosquitto into
// the TLS sink, 5.0 without, at the same msgs/s (medians of 9 interleaved rounds, bench/run.sh
// br-relay-sink; into the cloud mosquitto, br-relay, 16.2 vs 11.0 over 6).
void link::post_completion(message* m) {
  const bool urgent = m->qos != 0;  // read before m is handed over
  completions_.enqueue(m);
  if (urgent || ctx_.stopping.load() || ctx_.spool_bytes.load(std::memory_order_relaxed) >= ctx_.spool_max / 2)
    reactor_.notify();
}

void link::drain_completions() {
  message* batch[kBatch];
  for (;;) {
    const std::size_t n = completions_.try_dequeue_bulk(batch, kBatch);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      message* m = batch[i];
      if (m->qos == 1 && m->generation == generation_ && state_ == state::connected) ack_order_.done(m->ack_ticket);
      ctx_.spool_bytes.fetch_sub(m->alloc_bytes, std::memory_order_relaxed);
      ctx_.live_messages.fetch_sub(1, std::memory_order_release);
      pool_.recycle(m);
    }
  }
  if (state_ == state::connected) ack_order_.release([this](std::uint16_t pid) { ack_source(pid); });
}

// Backpressure (SPEC §4.6): stop reading while the spooler is full and a target this link
// feeds cannot keep up; the broker then holds the messages.
bool link::should_pause() const noexcept {
  if (ctx_.spool_bytes.load(std::memory_order_relaxed) < ctx_.spool_max) return false;
  for (link* t : all_links_)
    if (t != this && t->congested()) return true;
  return false;
}

// ---------------------------------------------------------------- target role

void link::deliver(moodycamel::ProducerToken& tok, const delivery& d) {
  queued_bytes_.fetch_add(d.m->alloc_bytes, std::memory_order_relaxed);
  while (!inbox_.enqueue(tok, d)) {
  }
}

// A free packet id, or 0 when all 65,535 are in use.
std::uint16_t link::alloc_packet_id() {
  if (ids_used_ >= 65535) return 0;
  for (;;) {
    const std::uint16_t pid = next_pid_;
    next_pid_ = static_cast<std::uint16_t>(next_pid_ == 65535 ? 1 : next_pid_ + 1);
    if (slots_[pid].kind == slot_kind::none) return pid;
  }
}

void link::track(std::uint16_t pid, slot_kind kind, std::uint64_t now) noexcept {
  slot& sl = slots_[pid];
  sl.kind = kind;
  sl.sent_ns = now;
  sl.prev = newest_;
  sl.next = 0;
  if (newest_) slots_[newest_].next = pid;
  else oldest_ = pid;
  newest_ = pid;
  ++ids_used_;
}

void link::untrack(std::uint16_t pid) noexcept {
  slot& sl = slots_[pid];
  if (sl.prev) slots_[sl.prev].next = sl.next;
  else oldest_ = sl.next;
  if (sl.next) slots_[sl.next].prev = sl.prev;
  else newest_ = sl.prev;
  sl.kind = slot_kind::none;
  --ids_used_;
}

void link::finish_delivery(const delivery& d) {
  message* m = d.m;
  if (m->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) m->source->post_completion(m);
}

void link::release_for_exit() {
  delivery batch[kBatch];
  for (;;) {
    const std::size_t n = inbox_.try_dequeue_bulk(batch, kBatch);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) finish_delivery(batch[i]);
  }
  for (const delivery& d : backlog_) finish_delivery(d);
  backlog_.clear();
  while (oldest_) {
    const std::uint16_t pid = oldest_;
    if (slots_[pid].kind == slot_kind::publish) finish_delivery(slots_[pid].d);
    untrack(pid);
  }
  in_flight_ = 0;
}

void link::free_for_exit() {
  message* batch[kBatch];
  for (;;) {
    const std::size_t n = completions_.try_dequeue_bulk(batch, kBatch);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) pool_.recycle(batch[i]);  // never acknowledged: redelivered
  }
}

void link::drop_delivery(const delivery& d) {
  queued_bytes_.fetch_sub(d.m->alloc_bytes, std::memory_order_relaxed);
  finish_delivery(d);
}

bool link::can_send_more(std::size_t bytes, std::uint64_t now) {
  if (in_flight_ >= window_ || in_flight_ >= ids_for_publish_) return false;
  if (s_.max_pub_per_s == 0 && s_.max_bytes_per_s == 0) return true;
  if (tokens_at_ == 0) {
    tokens_at_ = now;
    pub_tokens_ = s_.max_pub_per_s;
    byte_tokens_ = s_.max_bytes_per_s;
  }
  const double dt = static_cast<double>(now - tokens_at_) / 1e9;
  tokens_at_ = now;
  if (s_.max_pub_per_s) pub_tokens_ = std::min<double>(s_.max_pub_per_s, pub_tokens_ + dt * s_.max_pub_per_s);
  if (s_.max_bytes_per_s) byte_tokens_ = std::min<double>(s_.max_bytes_per_s, byte_tokens_ + dt * s_.max_bytes_per_s);
  const bool ok = (!s_.max_pub_per_s || pub_tokens_ >= 1.0) &&
                  (!s_.max_bytes_per_s || byte_tokens_ >= static_cast<double>(std::min<std::size_t>(bytes, s_.max_bytes_per_s)));
  if (!ok) {
    throttled_until_ = now + 10 * kMs;
    return false;
  }
  if (s_.max_pub_per_s) pub_tokens_ -= 1.0;
  if (s_.max_bytes_per_s) byte_tokens_ -= static_cast<double>(bytes);
  return true;
}

// Encodes one QoS 1 PUBLISH. False when the window or rate limit is exhausted (nothing sent).
bool link::send_publish(const delivery& d, std::uint64_t now) {
  message* m = d.m;
  const route& r = m->source->routes()->routes[d.route];
  codec::publish_out p{};
  p.topic_prefix = r.prefix;
  p.topic = m->topic();
  p.payload = m->payload();
  p.qos = 1;
  p.retain = d.retain;
  if (s_.version == protocol_version::v5) p.properties = m->properties();
  const std::size_t sz = codec::publish_size(p, s_.version);
  if (server_max_packet_ && sz > server_max_packet_) {
    ctx_.ctr.skipped_too_large.fetch_add(1, std::memory_order_relaxed);
    if (ctx_.once.first("maxpacket:" + s_.name + r.prefix + std::string(m->topic())))
      LOG_WARN("%s: not relaying a %zu-byte PUBLISH on '%s%.*s': over the broker's Maximum Packet Size (%u); "
               "acknowledged and counted (logged once per topic)",
               s_.name.c_str(), sz, r.prefix.c_str(), static_cast<int>(m->topic().size()), m->topic().data(),
               server_max_packet_);
    drop_delivery(d);
    return true;
  }
  if (!can_send_more(m->payload_len, now)) return false;
  const std::uint16_t pid = alloc_packet_id();  // not 0: can_send_more() keeps in_flight_ < ids_for_publish_
  p.packet_id = pid;
  track(pid, slot_kind::publish, now);
  slots_[pid].d = d;
  ++in_flight_;
  byte_buffer& o = out();
  const std::size_t at = o.size();
  const std::size_t w = codec::encode_publish(o.append(sz), p, s_.version);
  o.shrink_to(at + w);
  queued_bytes_.fetch_sub(m->alloc_bytes, std::memory_order_relaxed);
  return true;
}

void link::resend_in_flight() {
  std::size_t resent = 0;
  const std::uint64_t now = now_ns();
  for (std::uint16_t pid = oldest_, next = 0; pid != 0; pid = next) {
    slot& sl = slots_[pid];
    next = sl.next;
    if (sl.kind == slot_kind::subscribe) {  // re-sent by send_subscriptions() when needed
      // Lost with the connection: subscribe again from its first filter. One sent before a reload
      // replaced the list cannot say which filters it had: then the whole list goes again.
      subscribe_from_ = std::min<std::size_t>(subscribe_from_, sl.sub_gen == sub_gen_ ? sl.first_sub : 0);
      untrack(pid);
      continue;
    }
    if (sl.kind == slot_kind::unsubscribe) {  // unsub_pending_ still has them: sent after CONNACK
      untrack(pid);
      continue;
    }
    message* m = sl.d.m;
    const route& r = m->source->routes()->routes[sl.d.route];
    codec::publish_out p{};
    p.topic_prefix = r.prefix;
    p.topic = m->topic();
    p.payload = m->payload();
    p.qos = 1;
    p.dup = true;
    p.retain = sl.d.retain;
    p.packet_id = pid;
    if (s_.version == protocol_version::v5) p.properties = m->properties();
    const std::size_t sz = codec::publish_size(p, s_.version);
    byte_buffer& o = out();
    const std::size_t at = o.size();
    const std::size_t w = codec::encode_publish(o.append(sz), p, s_.version);
    o.shrink_to(at + w);
    sl.sent_ns = now;
    ++resent;
  }
  if (resent) LOG_INFO("%s: resending %zu unacknowledged publishes", s_.name.c_str(), resent);
}

void link::handle_puback(const codec::frame& f) {
  codec::ack_view a{};
  if (auto e = codec::decode_ack(f, s_.version, a); e != codec::error::none) {
    fail("malformed PUBACK: %s", codec::describe(e));
    return;
  }
  slot& sl = slots_[a.packet_id];
  if (sl.kind != slot_kind::publish) {
    LOG_DEBUG("%s: PUBACK for unknown packet id %u", s_.name.c_str(), a.packet_id);
    return;
  }
  const delivery d = sl.d;
  untrack(a.packet_id);
  --in_flight_;
  if (a.reason_code >= 0x80) {
    ctx_.ctr.refused_by_target.fetch_add(1, std::memory_order_relaxed);
    message* m = d.m;
    if (ctx_.once.first("refused:" + s_.name + std::string(m->topic())))
      LOG_WARN("%s: the broker refused a message on '%.*s' (PUBACK reason 0x%02x); counted (logged once per topic)",
               s_.name.c_str(), static_cast<int>(m->topic().size()), m->topic().data(), a.reason_code);
  } else {
    ctx_.ctr.delivered.fetch_add(1, std::memory_order_relaxed);
  }
  finish_delivery(d);
}

void link::drain_inbox(std::uint64_t now) {
  delivery batch[kBatch];
  if (state_ != state::connected) {
    // Target down: keep QoS 1 (and QoS 0 when asked), drop QoS 0 and count it (SPEC §4.6).
    for (;;) {
      const std::size_t n = inbox_.try_dequeue_bulk(batch, kBatch);
      if (n == 0) break;
      for (std::size_t i = 0; i < n; ++i) {
        if (batch[i].m->qos == 0 && !s_.keep_qos0_when_offline) {
          ctx_.ctr.dropped_qos0.fetch_add(1, std::memory_order_relaxed);
          drop_delivery(batch[i]);
        } else {
          backlog_.push_back(batch[i]);
        }
      }
    }
    return;
  }
  if (now < throttled_until_) return;
  while (!backlog_.empty()) {
    if (output_full() || !send_publish(backlog_.front(), now)) return;
    backlog_.pop_front();
  }
  for (;;) {
    const std::size_t room = window_ > in_flight_ ? window_ - in_flight_ : 0;
    if (room == 0 || output_full()) return;
    const std::size_t n = inbox_.try_dequeue_bulk(batch, std::min<std::size_t>(room, kBatch));
    if (n == 0) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (!send_publish(batch[i], now)) {
        for (std::size_t j = i; j < n; ++j) backlog_.push_back(batch[j]);
        return;
      }
    }
  }
}

// ---------------------------------------------------------------- output

bool link::output_full() const noexcept {
  return plain_.size() + wire_pending_.size() >= kMaxBufferedOut;
}

void link::flush() {
  if (fd_ < 0 || state_ == state::closing || state_ == state::idle) return;
  if (acks_held_) {
    if (hold_acks()) return;
    unacked_in_ -= std::min(unacked_in_, acks_held_);
    acks_held_ = 0;
    acks_held_bytes_ = 0;
    acks_held_since_ = 0;
  }
  if (tls_) {
    if (!plain_.empty()) {
      if (!tls_->write(plain_.view())) {
        fail("TLS write failed: %s", tls_->last_error().c_str());
        return;
      }
      plain_.clear();
    }
    auto c = tls_->cipher_out();
    if (!c.empty()) {
      wire_pending_.append(c);
      tls_->cipher_out_consume(c.size());
    }
  }
  if (send_inflight_ || wire_pending_.empty()) return;
  wire_inflight_.swap(wire_pending_);
  wire_pending_.clear();
  wire_sent_ = 0;
  io_uring_sqe* sqe = reactor_.sqe();
  io_uring_prep_send(sqe, fd_, wire_inflight_.data(), wire_inflight_.size(), MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, static_cast<op*>(&send_op_));
  send_inflight_ = true;
  last_send_ns_ = now_ns();
}

// ---------------------------------------------------------------- the loop's view

void link::poll(std::uint64_t now) {
  if (pending_reroute_.load(std::memory_order_relaxed)) apply_reroute();
  drain_completions();
  if (ctx_.disconnect_now.load(std::memory_order_relaxed)) {
    if (state_ == state::connected && !disconnect_sent_) {
      disconnect_sent_ = true;
      byte_buffer& o = out();
      const std::size_t at = o.size();
      const std::size_t w = codec::encode_disconnect(o.append(8), 0, s_.version);
      o.shrink_to(at + w);
      flush();
    } else if (state_ == state::idle) {
      stop_done_.store(true, std::memory_order_release);
    } else if (state_ != state::connected && state_ != state::closing) {
      fail("stopping");
    }
    return;
  }
  switch (state_) {
    case state::idle:
      if (now >= reconnect_at_) begin_connect(now);
      drain_inbox(now);
      return;
    case state::connecting:
    case state::tls_handshake:
    case state::wait_connack:
      if (now >= state_deadline_) {
        fail("no CONNACK from %s:%u within %u ms", s_.host.c_str(), s_.port, s_.connect_timeout_ms);
        return;
      }
      drain_inbox(now);
      return;
    case state::closing:
      return;
    case state::connected:
      break;
  }
  drain_inbox(now);
  if (recv_paused_ && !should_pause()) {
    recv_paused_ = false;
    arm_recv();
  }
  // Keep alive and acknowledgement timeouts.
  if (oldest_ && now > slots_[oldest_].sent_ns + std::uint64_t{s_.ack_timeout_ms} * kMs) {
    fail("no acknowledgement from %s:%u within %u s", s_.host.c_str(), s_.port, s_.ack_timeout_ms / 1000);
    return;
  }
  if (ping_deadline_ != UINT64_MAX && now > ping_deadline_) {
    fail("no PINGRESP from %s:%u within %u ms", s_.host.c_str(), s_.port, s_.ping_timeout_ms);
    return;
  }
  if (keep_alive_s_ && ping_deadline_ == UINT64_MAX && now >= last_send_ns_ + std::uint64_t{keep_alive_s_} * 1000 * kMs) {
    byte_buffer& o = out();
    const std::size_t at = o.size();
    o.shrink_to(at + codec::encode_pingreq(o.append(2)));
    ping_deadline_ = now + std::uint64_t{s_.ping_timeout_ms} * kMs;
  }
  flush();
}

std::uint64_t link::next_deadline() const {
  std::uint64_t d = UINT64_MAX;
  switch (state_) {
    case state::idle: d = reconnect_at_; break;
    case state::connecting:
    case state::tls_handshake:
    case state::wait_connack: d = state_deadline_; break;
    case state::connected:
      if (keep_alive_s_) d = last_send_ns_ + std::uint64_t{keep_alive_s_} * 1000 * kMs;
      d = std::min(d, ping_deadline_);
      if (throttled_until_ > now_ns()) d = std::min(d, throttled_until_);
      if (acks_held_since_) d = std::min(d, acks_held_since_ + kAckHoldNs);
      break;
    case state::closing: break;
  }
  return d;
}

}  // namespace mqrelay::engine
