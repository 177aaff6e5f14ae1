// mqbench_source — the flooding source (issue 4, item 1).
//
// Broker mode (--listen PORT): accepts one client (the relay, a raw forwarder, ...), answers its
// CONNECT and SUBSCRIBEs, then streams pre-encoded PUBLISH packets as fast as the socket takes
// them. Client mode (--connect HOST:PORT): connects to a broker as a publisher (optionally TLS
// with a client certificate) and streams the same packets. --raw skips the MQTT handshake in
// broker mode: streaming starts at accept (for the raw byte forwarder, which parses nothing).
// --ready-file FILE is written once the listening socket is bound (broker mode).
//
// I/O: the set-up (accept or connect, TLS handshake, CONNECT/SUBSCRIBE) uses blocking calls; the
// stream itself runs on io_uring (uring_conn.hpp): batches of up to 256 KiB, one send in flight
// and the next batch queued behind it, the PUBACKs reaped in the same io_uring_enter.
//
// Every payload starts with the sequence number and the CLOCK_MONOTONIC send time (common.hpp),
// stamped while the batch is written into the send buffer, just before it is queued. QoS 1 keeps at
// most --window (or the peer's MQTT 5 Receive Maximum, the smaller) publishes unacknowledged.
// --rate paces (msgs/s); 0 floods. The run ends after --count messages or --duration-ms; QoS 1
// then waits up to --drain-ms for the remaining PUBACKs.
//
// Output: one JSON line on stdout (or --out FILE): sent, acked, secs, rate.
#include "bench/relay/common.hpp"
#include "bench/relay/uring_conn.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>

using namespace mqrelay::bench;

namespace {

volatile std::sig_atomic_t stop_flag = 0;
void on_signal(int) { stop_flag = 1; }

struct publisher {
  explicit publisher(uring_conn& c) : conn(c) {}
  uring_conn& conn;
  int version = 4;
  int qos = 1;
  std::size_t window = 65535;
  std::vector<std::vector<std::uint8_t>> templates;  // one encoded PUBLISH per topic
  std::vector<std::size_t> pid_offset, stamp_offset;
  std::vector<std::uint8_t> inflight = std::vector<std::uint8_t>(65536, 0);
  std::size_t outstanding = 0;
  std::uint64_t acked = 0;
  std::uint16_t next_pid = 1;
  bool closed = false;  // DISCONNECT or malformed input (conn.closed(): the socket)

  void build(std::size_t topics, std::size_t payload, const std::string& prefix) {
    for (std::size_t t = 0; t < topics; ++t) {
      const std::string topic = prefix + std::to_string(t);
      std::vector<std::uint8_t> body;
      body.push_back(static_cast<std::uint8_t>(topic.size() >> 8));
      body.push_back(static_cast<std::uint8_t>(topic.size() & 0xff));
      body.insert(body.end(), topic.begin(), topic.end());
      std::size_t pid_at = 0;
      if (qos > 0) { pid_at = body.size(); body.push_back(0); body.push_back(0); }
      if (version == 5) body.push_back(0);  // no properties
      const std::size_t stamp_at = body.size();
      body.resize(body.size() + payload, 'x');
      std::vector<std::uint8_t> pkt(5 + body.size());
      pkt[0] = static_cast<std::uint8_t>(PUBLISH << 4 | (qos << 1));
      const std::size_t h = 1 + put_varint(pkt.data() + 1, static_cast<std::uint32_t>(body.size()));
      std::copy(body.begin(), body.end(), pkt.begin() + static_cast<long>(h));
      pkt.resize(h + body.size());
      templates.push_back(std::move(pkt));
      pid_offset.push_back(h + pid_at);
      stamp_offset.push_back(h + stamp_at);
    }
  }

  // Handles what has arrived (PUBACK, PINGREQ, SUBSCRIBE, DISCONNECT); replies are queued on
  // the connection and go out with its next wait().
  void handle_input() {
    const std::uint8_t* rx = conn.data();
    const std::size_t len = conn.size();
    std::size_t at = 0;
    reply.clear();
    for (;;) {
      std::size_t hl = 0;
      std::uint32_t rem = 0;
      const int f = frame(rx + at, len - at, hl, rem);
      if (f < 0) { std::fprintf(stderr, "source: malformed input\n"); closed = true; return; }
      if (f == 0 || at + hl + rem > len) break;
      const std::uint8_t* body = rx + at + hl;
      const std::uint8_t type = rx[at] >> 4;
      if (type == PUBACK && rem >= 2) {
        const std::uint16_t pid = get_u16(body);
        if (inflight[pid] != 0) { inflight[pid] = 0; --outstanding; ++acked; }
      } else if (type == PINGREQ) {
        const auto a = encode_ack(PINGRESP, 0, version);
        reply.insert(reply.end(), a.begin(), a.end());
      } else if (type == SUBSCRIBE || type == UNSUBSCRIBE) {
        std::uint16_t pid = 0;
        const std::size_t n = count_filters(body, rem, version, type == SUBSCRIBE, pid);
        const auto a = encode_ack(type == SUBSCRIBE ? SUBACK : UNSUBACK, pid, version,
                                  version == 5 || type == SUBSCRIBE ? n : 0, type == SUBSCRIBE ? 1 : 0);
        reply.insert(reply.end(), a.begin(), a.end());
      } else if (type == DISCONNECT) {
        closed = true;
      }
      at += hl + rem;
    }
    conn.consume(at);
    if (!reply.empty() && !conn.write(reply.data(), reply.size())) closed = true;
  }
  bool done() const { return closed || conn.closed(); }
  // Waits for input or a send to finish (at most timeout_ns), then handles the input.
  void wait(std::uint64_t timeout_ns) {
    conn.wait(timeout_ns);
    handle_input();
  }

 private:
  std::vector<std::uint8_t> reply;
};

}  // namespace

int main(int argc, char** argv) {
  const options opt(argc, argv);
  on_stop_signals(on_signal);
  const std::size_t payload = static_cast<std::size_t>(std::max<std::int64_t>(opt.num("payload", 64), stamp_size));
  const std::size_t topics = static_cast<std::size_t>(std::max<std::int64_t>(opt.num("topics", 1), 1));
  const std::uint64_t count = static_cast<std::uint64_t>(opt.num("count", 0));
  const std::uint64_t duration_ns = static_cast<std::uint64_t>(opt.num("duration-ms", 0)) * 1000000ULL;
  const double rate = static_cast<double>(opt.num("rate", 0));
  const int qos = static_cast<int>(opt.num("qos", 1));
  const bool tls = opt.has("tls");
  WOLFSSL_CTX* ctx = nullptr;

  stream s;
  int version = 4, receive_maximum = 65535;
  if (opt.has("connect")) {
    std::string host; int port = 0;
    split_host_port(opt.get("connect"), host, port);
    if (tls) ctx = tls_client_ctx(opt.need("ca"), opt.get("cert"), opt.get("key"));
    s = stream::client(connect_tcp(host, port), ctx, "localhost");
    const auto c = encode_connect(opt.get("client-id", "mqbench-pub"), true, 4);
    if (!s.write_all(c.data(), c.size())) die("source: cannot send CONNECT");
    std::uint8_t ack[4];
    std::size_t got = 0;
    while (got < 4) {
      const long r = s.read(ack + got, 4 - got);
      if (r <= 0) die("source: no CONNACK");
      got += static_cast<std::size_t>(r);
    }
    if (ack[0] != (CONNACK << 4) || ack[3] != 0) die("source: CONNECT refused");
  } else {
    if (tls) ctx = tls_server_ctx(opt.need("cert"), opt.need("key"), opt.need("ca"));
    const int lfd = listen_tcp("127.0.0.1", static_cast<int>(opt.num("listen", 1883)));
    if (opt.has("ready-file")) std::ofstream(opt.get("ready-file")) << "ready\n";
    for (;;) {
      pollfd p{lfd, POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) break;
      if (stop_flag) return 1;
    }
    const int afd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (afd < 0) die("source: accept failed");
    tune_socket(afd);  // TCP_NODELAY is not inherited from the listening socket everywhere
    s = stream::server(afd, ctx);
    if (s.fd() < 0) die("source: TLS handshake failed");
    if (!opt.has("raw")) {
      // Handshake: CONNECT -> CONNACK, then SUBSCRIBE(s) -> SUBACK; start once subscriptions
      // have been quiet for 300 ms (the relay may send many SUBSCRIBEs for 100k mappings).
      std::vector<std::uint8_t> buf(1 << 20);
      std::size_t len = 0;
      bool connected = false;
      std::uint64_t last_sub = 0;
      timeval tv{0, 50000};
      setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      while (!stop_flag) {
        if (last_sub != 0 && now_ns() - last_sub > 300000000ULL && !s.pending()) break;
        if (len == buf.size()) buf.resize(buf.size() * 2);
        const long r = s.read(buf.data() + len, buf.size() - len);
        if (r == 0) die("source: client closed during handshake");
        if (r < 0) continue;
        len += static_cast<std::size_t>(r);
        std::size_t at = 0;
        std::vector<std::uint8_t> reply;
        for (;;) {
          std::size_t hl = 0; std::uint32_t rem = 0;
          const int f = frame(buf.data() + at, len - at, hl, rem);
          if (f < 0) die("source: malformed handshake");
          if (f == 0 || at + hl + rem > len) break;
          const std::uint8_t type = buf[at] >> 4;
          const std::uint8_t* body = buf.data() + at + hl;
          if (type == CONNECT) {
            if (!parse_connect(body, rem, version, receive_maximum)) die("source: bad CONNECT");
            const auto a = encode_ack(CONNACK, 0, version);
            reply.insert(reply.end(), a.begin(), a.end());
            connected = true;
          } else if (type == SUBSCRIBE || type == UNSUBSCRIBE) {
            std::uint16_t pid = 0;
            const std::size_t n = count_filters(body, rem, version, type == SUBSCRIBE, pid);
            const auto a = encode_ack(type == SUBSCRIBE ? SUBACK : UNSUBACK, pid, version,
                                      version == 5 || type == SUBSCRIBE ? n : 0, type == SUBSCRIBE ? 1 : 0);
            reply.insert(reply.end(), a.begin(), a.end());
            last_sub = now_ns();
          } else if (type == PINGREQ) {
            const auto a = encode_ack(PINGRESP, 0, version);
            reply.insert(reply.end(), a.begin(), a.end());
          }
          at += hl + rem;
        }
        std::memmove(buf.data(), buf.data() + at, len - at);
        len -= at;
        if (!reply.empty() && !s.write_all(reply.data(), reply.size())) die("source: send failed");
        (void)connected;
      }
      timeval none{0, 0};
      setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    }
  }

  uring_conn conn(std::move(s));  // from here on, every byte goes through io_uring
  publisher pub(conn);
  pub.version = version;
  pub.qos = qos;
  pub.window = static_cast<std::size_t>(std::min<std::int64_t>(opt.num("window", 65000), receive_maximum));
  pub.window = std::clamp<std::size_t>(pub.window, 1, 65000);
  pub.build(topics, payload, opt.get("topic-prefix", "bench/t/"));

  // Send loop: fill a batch buffer with due messages and queue it; conn.wait() submits it (one
  // send in flight, the next batch queued behind it) and reaps acks in the same io_uring_enter.
  // Pacing sleeps with clock_nanosleep at the default timer slack, as before the move to io_uring:
  // at 20,000 msgs/s that sends bursts of 2-3 messages (see bench/results/README.md).
  const std::size_t batch_max = std::max<std::size_t>(1, (256u << 10) / pub.templates[0].size());
  std::vector<std::uint8_t> out(batch_max * pub.templates[0].size() + 64 + topics);
  std::uint64_t seq = 0;
  const std::uint64_t t0 = now_ns();
  const double interval_ns = rate > 0 ? 1e9 / rate : 0;
  constexpr std::uint64_t tick = 100000000ULL;  // longest blocking wait: then look at stop_flag
  while (!stop_flag && !pub.done()) {
    const std::uint64_t now = now_ns();
    if (count != 0 && seq >= count) break;
    if (duration_ns != 0 && now - t0 >= duration_ns) break;
    std::size_t n = batch_max;
    if (count != 0) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, count - seq));
    if (rate > 0) {
      const auto due = static_cast<std::uint64_t>(static_cast<double>(now - t0) / interval_ns) + 1;
      if (due <= seq) {  // nothing due: wait for the next slot
        const auto next = t0 + static_cast<std::uint64_t>(static_cast<double>(seq) * interval_ns);
        const timespec ts{static_cast<time_t>(next / 1000000000ULL), static_cast<long>(next % 1000000000ULL)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        continue;
      }
      n = static_cast<std::size_t>(std::min<std::uint64_t>(n, due - seq));
    }
    if (conn.queued() > 0) { pub.wait(tick); continue; }  // the previous batch waits for the socket
    if (qos > 0) {
      if (pub.outstanding >= pub.window) { pub.wait(tick); continue; }  // window full: wait for acks
      n = std::min(n, pub.window - pub.outstanding);
    }
    std::size_t len = 0;
    const std::uint64_t stamp = now_ns();
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t t = static_cast<std::size_t>(seq % topics);
      const auto& tpl = pub.templates[t];
      std::uint8_t* p = out.data() + len;
      if (len + tpl.size() > out.size()) break;
      std::memcpy(p, tpl.data(), tpl.size());
      if (qos > 0) {
        while (pub.inflight[pub.next_pid] != 0) pub.next_pid = static_cast<std::uint16_t>(pub.next_pid % 65535 + 1);
        put_u16(p + pub.pid_offset[t], pub.next_pid);
        pub.inflight[pub.next_pid] = 1;
        ++pub.outstanding;
        pub.next_pid = static_cast<std::uint16_t>(pub.next_pid % 65535 + 1);
      }
      put_u64(p + pub.stamp_offset[t], seq);
      put_u64(p + pub.stamp_offset[t] + 8, stamp);
      len += tpl.size();
      ++seq;
    }
    if (!conn.write(out.data(), len)) break;
    pub.wait(0);  // submit it now; reap what is there
  }
  conn.flush(30000000000ULL);
  const bool send_failed = conn.closed() && conn.unsent() > 0;
  const std::uint64_t t_sent = now_ns();
  if (qos > 0 && !send_failed) {
    const std::uint64_t drain_until = now_ns() + static_cast<std::uint64_t>(opt.num("drain-ms", 30000)) * 1000000ULL;
    while (pub.outstanding > 0 && !pub.done() && now_ns() < drain_until && !stop_flag) pub.wait(tick);
  }
  if (opt.has("connect")) {
    const std::uint8_t disc[2] = {DISCONNECT << 4, 0};
    if (conn.write(disc, 2)) conn.flush(1000000000ULL);
  }
  const double secs = static_cast<double>(t_sent - t0) / 1e9;
  char line[512];
  std::snprintf(line, sizeof line,
                "{\"sent\":%llu,\"acked\":%llu,\"unacked\":%zu,\"secs\":%.3f,\"rate\":%.0f,\"closed\":%s}\n",
                static_cast<unsigned long long>(seq), static_cast<unsigned long long>(pub.acked),
                pub.outstanding, secs, secs > 0 ? static_cast<double>(seq) / secs : 0.0,
                pub.done() || send_failed ? "true" : "false");
  if (opt.has("out")) {
    std::ofstream(opt.get("out")) << line;
  } else {
    std::fputs(line, stdout);
  }
  // Linger so a relay does not see its source vanish before the sink has drained.
  const std::uint64_t linger = now_ns() + static_cast<std::uint64_t>(opt.num("linger-ms", 0)) * 1000000ULL;
  while (now_ns() < linger && !stop_flag && !pub.done()) pub.wait(tick);
  tls_thread_done();
  if (ctx != nullptr) wolfSSL_CTX_free(ctx);  // sessions hold a reference: freed with the last one
  return 0;
}
