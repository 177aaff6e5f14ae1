// link: one MQTT client connection (to the local broker or to IoT Core), plain TCP or TLS, on
// one reactor thread. It is a state machine with explicit states (STYLE lesson 12):
//
//   idle ──(backoff over)──> connecting ──> tls_handshake ──> wait_connack ──> connected
//     ^                                                                          │
//     └──────────────── closing (ops cancelled, socket closed) <── any failure ──┘
//
// A link plays two roles at once:
//  * source: it subscribes to the mappings' covering filters and routes each PUBLISH it receives
//    (copy once into a pooled message, one delivery per distinct target) into target inboxes;
//    it PUBACKs a QoS 1 message only when every target acknowledged it (SPEC §4.5).
//  * target: it drains its inbox (lock-free, one producer token per source link), publishes at
//    QoS 1 within the in-flight window and the rate limits, batches everything it writes into one
//    send per loop iteration, and resends unacknowledged publishes with DUP after a reconnect.
// Only the owning reactor thread touches a link, except deliver()/post_completion()/congested(),
// which other threads call.
#pragma once
#include <concurrentqueue/concurrentqueue.h>

#include <deque>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <cstdlib>
#include <vector>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"
#include "engine/ack_order.hpp"
#include "engine/buffer.hpp"
#include "engine/context.hpp"
#include "engine/message.hpp"
#include "engine/reactor.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::engine {

struct link_settings {
  std::string name;  // for logs: "local", "iotcore", "iotcore#2"
  config::endpoint endpoint = config::endpoint::local_mqtt;
  std::string host;
  std::uint16_t port = 0;
  tls::client_context* tls = nullptr;  // nullptr: plain TCP
  codec::protocol_version version = codec::protocol_version::v311;
  std::string client_id;
  std::optional<std::string> username, password;
  std::uint16_t keep_alive_s = 60;
  std::uint32_t session_expiry = 0;
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size = 0;  // sent in CONNECT (v5), 0 = not sent
  std::uint32_t connect_timeout_ms = 20000, ping_timeout_ms = 30000, ack_timeout_ms = 60000;
  std::uint32_t min_backoff_ms = 1000, max_backoff_ms = 30000;
  std::uint32_t max_in_flight = 100;     // our cap on unacknowledged QoS 1 publishes we send
  std::uint32_t max_packet_in = 0;       // largest packet we take in (framer limit)
  std::uint32_t max_pub_per_s = 0, max_bytes_per_s = 0;  // token buckets, 0 = off
  bool keep_qos0_when_offline = false;
  struct subscription {
    std::string filter;
    bool no_local = false;
    bool retain_as_published = false;
  };
  std::vector<subscription> subscriptions;
  std::size_t max_filters_per_subscribe = 8;
  const source_routes* routes = nullptr;  // when this link is a source
};

// The settings a connection is made with, one pair at a time: f(a.x, b.x) for each of them (not
// the name, endpoint, subscriptions, routes, max_packet_in or keep_qos0_when_offline). A reload
// compares them (relay.cpp) and copies them (link::reconnect_with) with this one list.
template <class A, class B, class F>
void for_each_connection_setting(A& a, B& b, F&& f) {
  f(a.host, b.host);
  f(a.port, b.port);
  f(a.tls, b.tls);
  f(a.version, b.version);
  f(a.client_id, b.client_id);
  f(a.username, b.username);
  f(a.password, b.password);
  f(a.keep_alive_s, b.keep_alive_s);
  f(a.session_expiry, b.session_expiry);
  f(a.receive_maximum, b.receive_maximum);
  f(a.maximum_packet_size, b.maximum_packet_size);
  f(a.connect_timeout_ms, b.connect_timeout_ms);
  f(a.ping_timeout_ms, b.ping_timeout_ms);
  f(a.ack_timeout_ms, b.ack_timeout_ms);
  f(a.min_backoff_ms, b.min_backoff_ms);
  f(a.max_backoff_ms, b.max_backoff_ms);
  f(a.max_in_flight, b.max_in_flight);
  f(a.max_pub_per_s, b.max_pub_per_s);
  f(a.max_bytes_per_s, b.max_bytes_per_s);
}

class link final : public poll_handler {
 public:
  link(reactor& r, relay_context& ctx, link_settings s, std::size_t index);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  // ---- called from other threads ----
  // Queues a delivery. Thread-safe; does not notify (the caller notifies once per batch).
  void deliver(moodycamel::ProducerToken& tok, const delivery& d);
  moodycamel::ConcurrentQueue<delivery>& inbox() noexcept { return inbox_; }
  // Hands a finished message back to its source link. Thread-safe.
  void post_completion(message* m);
  bool congested() const noexcept { return queued_bytes_.load(std::memory_order_relaxed) > 0; }
  bool connected_now() const noexcept { return connected_flag_.load(std::memory_order_relaxed); }
  bool closed_for_stop() const noexcept { return stop_done_.load(std::memory_order_acquire); }
  // After the reactors stopped (single-threaded): give back every message this link still holds
  // as a target (inbox, backlog, in flight), then free_for_exit() on every link frees them
  // without acknowledging them to their sources, which redeliver them to the next run.
  void release_for_exit();
  void free_for_exit();
  reactor& owner() noexcept { return reactor_; }
  std::size_t index() const noexcept { return index_; }
  const link_settings& settings() const noexcept { return s_; }
  // This link's route table as a source (nullptr: it is no source). Thread-safe: targets look up
  // the route of a delivery here. A reload replaces the table with one that keeps every route of
  // the old one at its index, and the old table stays alive until the relay exits.
  const source_routes* routes() const noexcept { return routes_.load(std::memory_order_acquire); }

  // ---- reload (SPEC §4.10), from the main thread ----
  struct reroute {
    bool new_routes = true;                 // false: only `connection` changes
    const source_routes* routes = nullptr;  // the new table (see routes())
    // The new whole subscription list: the filters this link keeps, in their old order, then
    // `added` new ones (or ones whose options changed), which it subscribes.
    std::vector<link_settings::subscription> subscriptions;
    std::size_t added = 0;
    std::vector<std::string> unsubscribe;  // filters no mapping needs any more
    std::uint32_t max_packet_in = 0;       // the largest packet its targets can carry
    // New connection settings (host, port, TLS, client ID, credentials, MQTT options; not the
    // name, subscriptions or routes): the link closes its connection and reconnects at once.
    std::optional<link_settings> connection;
  };
  // Hands the change to the link's thread, which applies it when its loop next wakes (the caller
  // notifies the reactor). False, and nothing taken, while the previous one is not applied yet.
  bool reroute_later(std::unique_ptr<reroute>& r);
  bool reroute_applied() const noexcept { return pending_reroute_.load(std::memory_order_acquire) == nullptr; }

  // ---- reactor thread ----
  // Wires the producer tokens to every possible target (call before start, single-threaded).
  void set_targets(const std::vector<link*>& all_links);
  void start();
  void poll(std::uint64_t now) override;
  std::uint64_t next_deadline() const override;

 private:
  enum class state : std::uint8_t { idle, connecting, tls_handshake, wait_connack, connected, closing };
  enum class op_kind : std::uint8_t { connect, recv, send, cancel };
  struct link_op final : op {
    link* l = nullptr;
    op_kind kind = op_kind::connect;
    void complete(int res, std::uint32_t flags) override { l->on_complete(kind, res, flags); }
  };
  enum class slot_kind : std::uint8_t { none, publish, subscribe, unsubscribe };
  struct slot {
    delivery d;
    std::uint64_t sent_ns;
    slot_kind kind;
    std::uint16_t first_sub;  // subscribe: index of the first filter in s_.subscriptions
    std::uint16_t sub_count;
    std::uint16_t sub_gen;    // subscribe: sub_gen_ when sent (first_sub indexes that list)
    std::uint16_t prev, next;  // the send-order list (packet ids; 0 = none)
  };

  void on_complete(op_kind k, int res, std::uint32_t flags);
  void begin_connect(std::uint64_t now);
  void on_connected_tcp();
  void on_recv(int res);
  void on_send(int res);
  void arm_recv();
  void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void finish_close();
  void schedule_reconnect(std::uint64_t now);

  // protocol
  void send_connect();
  bool process_frames();
  bool handle_frame(const codec::frame& f);
  void on_connack(const codec::frame& f);
  void handle_publish(const codec::frame& f);
  void handle_oversize(const codec::oversize_publish& o);
  void handle_puback(const codec::frame& f);
  void handle_suback(const codec::frame& f);
  void handle_unsuback(const codec::frame& f);
  void send_subscriptions(std::size_t from);
  void send_unsubscriptions();
  void resend_in_flight();
  void apply_reroute();
  void reconnect_with(const link_settings& n);
  void set_max_packet_in(std::uint32_t n) noexcept;
  void reserve_subscribe_ids() noexcept;

  // target role
  void drain_inbox(std::uint64_t now);
  bool can_send_more(std::size_t bytes, std::uint64_t now);
  bool send_publish(const delivery& d, std::uint64_t now);
  std::uint16_t alloc_packet_id();
  void track(std::uint16_t pid, slot_kind kind, std::uint64_t now) noexcept;
  void untrack(std::uint16_t pid) noexcept;
  void finish_delivery(const delivery& d);
  void drop_delivery(const delivery& d);

  // source role
  void drain_completions();
  void ack_in_order(std::uint16_t packet_id);
  void ack_source(std::uint16_t packet_id);
  bool hold_acks() noexcept;
  bool should_pause() const noexcept;

  // output
  byte_buffer& out() noexcept { return s_.tls ? plain_ : wire_pending_; }
  bool output_full() const noexcept;
  void flush();

  reactor& reactor_;
  relay_context& ctx_;
  link_settings s_;
  std::size_t index_;
  std::string endpoint_label_;

  state state_ = state::idle;
  int fd_ = -1;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  link_op connect_op_, recv_op_, send_op_, cancel_op_;
  bool connect_inflight_ = false, recv_inflight_ = false, send_inflight_ = false;
  int cancels_inflight_ = 0;
  bool recv_paused_ = false;
  std::uint64_t reconnect_at_ = 0;
  std::uint64_t state_deadline_ = UINT64_MAX;  // connect/handshake/CONNACK timeout
  std::uint32_t backoff_ms_ = 0;
  std::uint64_t rng_;
  bool ever_connected_ = false;
  bool subscribed_this_process_ = false;
  std::string last_error_;

  codec::framer framer_;
  std::vector<std::uint32_t> match_ids_;  // scratch for automaton matches
  std::unique_ptr<tls::session> tls_;
  byte_buffer plain_;          // TLS: plaintext packets of this iteration
  byte_buffer wire_pending_;   // bytes to send next (plaintext for TCP, ciphertext for TLS)
  byte_buffer wire_inflight_;  // bytes the kernel is sending now
  std::size_t wire_sent_ = 0;

  // keep alive
  std::uint64_t last_send_ns_ = 0;
  std::uint64_t ping_deadline_ = UINT64_MAX;
  std::uint16_t keep_alive_s_ = 60;

  // target role
  moodycamel::ConcurrentQueue<delivery> inbox_;
  std::atomic<std::int64_t> queued_bytes_{0};
  std::deque<delivery> backlog_;
  struct free_delete {
    void operator()(void* p) const noexcept { std::free(p); }
  };
  // By packet id. calloc'ed: the kernel maps zero pages lazily, so only slots in use count in RSS.
  std::unique_ptr<slot[], free_delete> slots_;
  // Packet ids in use, oldest sent first: a doubly linked list threaded through slots_ (MQTT
  // never uses packet id 0, so 0 ends it). Adding and removing are O(1) and allocate nothing;
  // each id is in it at most once. (A deque of ids pruned lazily from the front kept an id acked
  // and reused behind an older one: it grew to millions of entries under a 65,535 window and
  // resent such ids twice after a reconnect.)
  std::uint16_t oldest_ = 0, newest_ = 0;
  std::uint32_t ids_used_ = 0;
  std::uint32_t ids_for_publish_ = 65535;  // the rest is kept for this link's SUBSCRIBE packets
  std::uint32_t in_flight_ = 0;
  std::uint32_t window_ = 0;
  std::uint16_t next_pid_ = 1;
  std::uint32_t server_max_packet_ = 0;
  double pub_tokens_ = 0, byte_tokens_ = 0;
  std::uint64_t tokens_at_ = 0;
  std::uint64_t throttled_until_ = 0;

  // source role
  std::atomic<const source_routes*> routes_{nullptr};
  std::atomic<reroute*> pending_reroute_{nullptr};
  std::uint16_t sub_gen_ = 0;          // changes when a reload replaces s_.subscriptions
  std::size_t subscribe_from_ = 0;     // s_.subscriptions from here on are not subscribed on this session yet
  std::vector<std::string> unsub_pending_;  // filters to unsubscribe (sent when connected)
  std::uint16_t unsub_last_pid_ = 0;   // the packet that carries the last of them
  bool reconnect_now_ = false;         // the next reconnect skips the backoff (a reload's new settings)
  std::uint32_t generation_ = 0;
  ack_order ack_order_;             // this connection's QoS 1 PUBLISHes whose PUBACK has not left, in order
  message_pool pool_;
  moodycamel::ConcurrentQueue<message*> completions_;
  std::vector<std::unique_ptr<moodycamel::ProducerToken>> tokens_;  // by target link index
  std::vector<link*> all_links_;
  std::vector<reactor*> to_notify_;
  // PUBACKs to the source wait a little to leave together (see hold_acks()).
  std::uint32_t unacked_in_ = 0;    // QoS 1 publishes received on this connection whose PUBACK has not left
  std::uint32_t acks_held_ = 0;     // PUBACKs in the output buffer since the last flush
  std::size_t acks_held_bytes_ = 0;
  std::uint64_t acks_held_since_ = 0;  // when a flush first held them; 0 = not held

  // stop
  bool disconnect_sent_ = false;
  std::atomic<bool> stop_done_{false};
  std::atomic<bool> connected_flag_{false};
};

}  // namespace mqrelay::engine
