// session against an in-process wolfSSL server over memory: handshakes, data both ways,
// verification failures and their messages, ALPN and SNI. Run for TLS 1.2 and for TLS 1.3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <random>
#include <thread>

#include "tests/tls/certs.hpp"
#include "tests/tls/memory_server.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::tls {
namespace {

using testing::cert;
using testing::memory_server;
using testing::run_handshake;
using testing::server_options;
using ::testing::HasSubstr;
using ::testing::StartsWith;

client_options client_opts(const std::string& name = "localhost") {
  client_options o;
  o.ca_file = cert("ca.pem");
  o.cert_file = cert("client.pem");
  o.key_file = cert("client.key");
  o.server_name = name;
  return o;
}

std::unique_ptr<client_context> make_ctx(const client_options& o) {
  std::string err;
  auto ctx = client_context::create(o, err);
  EXPECT_NE(ctx, nullptr) << err;
  return ctx;
}

// Parameter: true = server speaks TLS 1.2 only; false = TLS 1.3 is negotiated.
class Session : public ::testing::TestWithParam<bool> {
 protected:
  server_options server_opts(const char* leaf = "server") const {
    server_options s;
    s.cert_file = cert((std::string(leaf) + ".pem").c_str());
    s.key_file = cert((std::string(leaf) + ".key").c_str());
    s.client_ca_file = cert("ca.pem");
    s.require_client_cert = true;
    s.tls12_only = GetParam();
    return s;
  }
};

// Reads everything the server sent until `want` plaintext bytes arrived, feeding the client
// in pieces of `chunk` bytes (a receive that returns little at a time).
std::vector<std::uint8_t> client_read(session& c, memory_server& s, std::size_t want, std::size_t chunk) {
  std::vector<std::uint8_t> got;
  std::vector<std::uint8_t> buf(4096);
  std::size_t pos = 0;
  while (got.size() < want && pos < s.out.size()) {
    const std::size_t n = std::min(chunk, s.out.size() - pos);
    auto w = c.cipher_in_writable(n);
    std::memcpy(w.data(), s.out.data() + pos, n);
    c.cipher_in_commit(n);
    pos += n;
    for (;;) {
      const long r = c.read(buf.data(), buf.size());
      if (r < 0) {
        ADD_FAILURE() << c.last_error();
        return got;
      }
      if (r == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + r);
    }
  }
  s.out.erase(s.out.begin(), s.out.begin() + static_cast<long>(pos));
  return got;
}

std::vector<std::uint8_t> server_read_all(memory_server& s) {
  std::vector<std::uint8_t> got, buf(65536);
  for (long r; (r = s.read(buf.data(), buf.size())) > 0;) got.insert(got.end(), buf.begin(), buf.begin() + r);
  return got;
}

// Application-data records (type 23) in a ciphertext stream, with their lengths.
std::vector<std::size_t> app_records(std::span<const std::uint8_t> c) {
  std::vector<std::size_t> lens;
  for (std::size_t p = 0; p + 5 <= c.size();) {
    const std::size_t len = (std::size_t{c[p + 3]} << 8) | c[p + 4];
    if (c[p] == 23) lens.push_back(len);
    p += 5 + len;
  }
  return lens;
}

TEST_P(Session, MutualTlsHandshake) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  EXPECT_FALSE(c.handshake_done());
  auto r = run_handshake(c, srv);
  ASSERT_EQ(r.client, session::status::ok) << c.last_error();
  ASSERT_EQ(r.server, 1) << srv.error();
  EXPECT_TRUE(c.handshake_done());
  EXPECT_EQ(c.handshake(), session::status::ok);  // idempotent once done
  EXPECT_EQ(c.last_error(), "");
  EXPECT_EQ(srv.protocol_version(), GetParam() ? "TLSv1.2" : "TLSv1.3");
  EXPECT_EQ(srv.sni_received(), "localhost");
  EXPECT_EQ(c.alpn_selected(), "");
}

TEST_P(Session, HandshakeWithCiphertextArrivingFewBytesAtATime) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  auto r = run_handshake(c, srv, 7);
  ASSERT_EQ(r.client, session::status::ok) << c.last_error();
  ASSERT_EQ(r.server, 1) << srv.error();
}

TEST_P(Session, DataBothWaysManySmallWritesAndBigOnes) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  auto r = run_handshake(c, srv);
  ASSERT_EQ(r.client, session::status::ok) << c.last_error();
  ASSERT_EQ(r.server, 1) << srv.error();
  std::mt19937 rng(42);

  // Client -> server: batches of small MQTT-sized packets, one write() per batch, plus one
  // big write of 1 MiB. The server must get the exact byte stream.
  std::vector<std::uint8_t> sent;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<std::uint8_t> b;
    for (int i = 0; i < 200; ++i) {
      const std::size_t len = 2 + rng() % 120;
      for (std::size_t k = 0; k < len; ++k) b.push_back(static_cast<std::uint8_t>(rng()));
    }
    ASSERT_TRUE(c.write(b)) << c.last_error();
    sent.insert(sent.end(), b.begin(), b.end());
    // Short sends: the owner sends the ciphertext in uneven pieces.
    while (!c.cipher_out().empty()) {
      auto out = c.cipher_out();
      const std::size_t n = std::min<std::size_t>(out.size(), 1 + rng() % 3000);
      srv.in.insert(srv.in.end(), out.begin(), out.begin() + static_cast<long>(n));
      c.cipher_out_consume(n);
    }
  }
  std::vector<std::uint8_t> big(1 << 20);
  for (auto& x : big) x = static_cast<std::uint8_t>(rng());
  ASSERT_TRUE(c.write(big)) << c.last_error();
  sent.insert(sent.end(), big.begin(), big.end());
  testing::shuttle(c, srv);
  EXPECT_EQ(server_read_all(srv), sent);

  // Server -> client: small and big, fed to the client in odd-sized receives.
  std::vector<std::uint8_t> back(300000);
  for (auto& x : back) x = static_cast<std::uint8_t>(rng());
  ASSERT_TRUE(srv.write({back.data(), 10}));
  ASSERT_TRUE(srv.write({back.data() + 10, back.size() - 10}));
  EXPECT_EQ(client_read(c, srv, back.size(), 1000), back);
  EXPECT_EQ(c.last_error(), "");
}

TEST_P(Session, OneWriteOfManySmallPacketsCostsFullSizeRecords) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  std::vector<std::uint8_t> batch(1000 * 40, 0x30);  // 1000 PUBLISH packets of 40 bytes
  ASSERT_TRUE(c.write(batch));
  const auto recs = app_records(c.cipher_out());
  // Records carry ≤ 16 KiB of plaintext each: 3 records, not 1000.
  EXPECT_EQ(recs.size(), (batch.size() + 16383) / 16384);
  for (std::size_t len : recs) EXPECT_LE(len, 16384u + 256u);
  testing::shuttle(c, srv);
  EXPECT_EQ(server_read_all(srv), batch);
}

TEST_P(Session, BuffersAreReusedOnceWarm) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  std::vector<std::uint8_t> msg(500, 7), buf(4096);
  const std::uint8_t* in_addr = nullptr;
  const std::uint8_t* out_addr = nullptr;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.write(msg));
    if (i > 1) {
      EXPECT_EQ(c.cipher_out().data(), out_addr) << "round " << i;
    }
    out_addr = c.cipher_out().data();
    testing::shuttle(c, srv);
    ASSERT_EQ(server_read_all(srv).size(), msg.size());
    ASSERT_TRUE(srv.write(msg));
    auto w = c.cipher_in_writable();
    if (i > 1) {
      EXPECT_EQ(w.data(), in_addr) << "round " << i;
    }
    in_addr = w.data();
    std::memcpy(w.data(), srv.out.data(), srv.out.size());
    c.cipher_in_commit(srv.out.size());
    srv.out.clear();
    ASSERT_EQ(c.read(buf.data(), buf.size()), static_cast<long>(msg.size())) << c.last_error();
    ASSERT_EQ(c.read(buf.data(), buf.size()), 0);
  }
}

TEST_P(Session, ReadWithoutCiphertextNeedsMore) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  std::uint8_t buf[64];
  EXPECT_EQ(c.read(buf, sizeof buf), 0);
  // Half a record is still "needs more".
  ASSERT_TRUE(srv.write(std::vector<std::uint8_t>(100, 1)));
  const std::size_t half = srv.out.size() / 2;
  auto w = c.cipher_in_writable(half);
  std::memcpy(w.data(), srv.out.data(), half);
  c.cipher_in_commit(half);
  EXPECT_EQ(c.read(buf, sizeof buf), 0);
  EXPECT_EQ(c.last_error(), "");
}

// tls_session.hpp: read() may leave bytes in cipher_out() without returning any data.
TEST_P(Session, KeyUpdateIsAnsweredThroughCipherOutDuringRead) {
  if (GetParam()) GTEST_SKIP() << "KeyUpdate exists in TLS 1.3 only";
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  std::uint8_t buf[256];
  while (c.read(buf, sizeof buf) > 0) {
  }
  ASSERT_TRUE(c.cipher_out().empty());
  ASSERT_TRUE(srv.update_keys());
  testing::shuttle(c, srv);
  EXPECT_EQ(c.read(buf, sizeof buf), 0) << c.last_error();
  EXPECT_FALSE(c.cipher_out().empty()) << "the client's KeyUpdate answer";
  testing::shuttle(c, srv);
  // Both sides now use the new keys: data still flows both ways.
  const std::vector<std::uint8_t> up{1, 2, 3, 4}, down{5, 6, 7};
  ASSERT_TRUE(c.write(up)) << c.last_error();
  testing::shuttle(c, srv);
  EXPECT_EQ(server_read_all(srv), up);
  ASSERT_TRUE(srv.write(down));
  testing::shuttle(c, srv);
  ASSERT_EQ(c.read(buf, sizeof buf), 3) << c.last_error();
  EXPECT_EQ(std::vector<std::uint8_t>(buf, buf + 3), down);
}

TEST_P(Session, CloseNotifyEndsReadingWithASentence) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  srv.shutdown();
  testing::shuttle(c, srv);
  std::uint8_t buf[64];
  EXPECT_EQ(c.read(buf, sizeof buf), -1);
  EXPECT_THAT(c.last_error(), HasSubstr("close_notify"));
}

TEST_P(Session, ClientShutdownSendsCloseNotify) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  testing::shuttle(c, srv);
  c.shutdown();
  EXPECT_FALSE(c.cipher_out().empty());
  testing::shuttle(c, srv);
  std::uint8_t buf[64];
  EXPECT_EQ(srv.read(buf, sizeof buf), -1);
}

TEST_P(Session, WrongCaIsRefused) {
  client_options o = client_opts();
  o.ca_file = cert("other-ca.pem");
  auto ctx = make_ctx(o);
  memory_server srv(server_opts());
  session c(*ctx);
  auto r = run_handshake(c, srv);
  EXPECT_EQ(r.client, session::status::error);
  EXPECT_FALSE(c.handshake_done());
  EXPECT_THAT(c.last_error(), StartsWith("certificate verify failed: "));
  EXPECT_THAT(c.last_error(), HasSubstr("CA file " + o.ca_file));
  EXPECT_THAT(c.last_error(), HasSubstr("wolfSSL error"));
  // Once failed, it stays failed.
  EXPECT_EQ(c.handshake(), session::status::error);
  EXPECT_FALSE(c.write(std::vector<std::uint8_t>(3, 0)));
}

TEST_P(Session, WrongHostNameIsRefused) {
  auto ctx = make_ctx(client_opts("localhost"));
  memory_server srv(server_opts("wronghost"));
  session c(*ctx);
  EXPECT_EQ(run_handshake(c, srv).client, session::status::error);
  EXPECT_THAT(c.last_error(), StartsWith("host name mismatch"));
  EXPECT_THAT(c.last_error(), HasSubstr("localhost"));
}

TEST_P(Session, OtherDnsNameIsRefused) {
  auto ctx = make_ctx(client_opts("example.com"));
  memory_server srv(server_opts());
  session c(*ctx);
  EXPECT_EQ(run_handshake(c, srv).client, session::status::error);
  EXPECT_THAT(c.last_error(), StartsWith("host name mismatch"));
}

TEST_P(Session, IpAddressIsVerifiedAgainstSanIp) {
  auto ctx = make_ctx(client_opts("127.0.0.1"));
  memory_server srv(server_opts());
  session c(*ctx);
  auto r = run_handshake(c, srv);
  ASSERT_EQ(r.client, session::status::ok) << c.last_error();
  EXPECT_EQ(srv.sni_received(), "");  // no IP literal in SNI (RFC 6066 §3)
}

TEST_P(Session, OtherIpAddressIsRefused) {
  auto ctx = make_ctx(client_opts("127.0.0.2"));
  memory_server srv(server_opts());
  session c(*ctx);
  EXPECT_EQ(run_handshake(c, srv).client, session::status::error);
  EXPECT_THAT(c.last_error(), StartsWith("host name mismatch"));
  EXPECT_THAT(c.last_error(), HasSubstr("127.0.0.2"));
}

TEST_P(Session, IpAddressWithoutSanIpIsRefused) {
  auto ctx = make_ctx(client_opts("127.0.0.1"));
  memory_server srv(server_opts("wronghost"));
  session c(*ctx);
  EXPECT_EQ(run_handshake(c, srv).client, session::status::error);
  EXPECT_THAT(c.last_error(), StartsWith("host name mismatch"));
}

TEST_P(Session, SniCanBeTurnedOff) {
  client_options o = client_opts();
  o.send_sni = false;
  auto ctx = make_ctx(o);
  memory_server srv(server_opts());
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  EXPECT_EQ(srv.sni_received(), "");
}

TEST_P(Session, ServerRequiringClientCertRefusesClientWithout) {
  client_options o = client_opts();
  o.cert_file.clear();
  o.key_file.clear();
  auto ctx = make_ctx(o);
  memory_server srv(server_opts());
  session c(*ctx);
  auto r = run_handshake(c, srv);
  EXPECT_EQ(r.server, -1);
  EXPECT_THAT(srv.error(), HasSubstr("did not return a certificate"));
  if (GetParam()) {
    // TLS 1.2: wolfSSL's server refuses without an alert (a real broker closes the socket, see
    // broker_test.cpp); the client must at least never consider itself connected.
    EXPECT_NE(r.client, session::status::ok);
    EXPECT_FALSE(c.handshake_done());
    return;
  }
  // TLS 1.3: the client finishes first and learns of the refusal from the alert on its first read.
  EXPECT_EQ(r.client, session::status::ok);
  testing::shuttle(c, srv);
  std::uint8_t buf[64];
  EXPECT_EQ(c.read(buf, sizeof buf), -1);
  EXPECT_THAT(c.last_error(), HasSubstr("the server sent the fatal alert \"certificate required\""));
}

TEST_P(Session, AlpnOfferedAndSelected) {
  client_options o = client_opts();
  o.alpn = "x-amzn-mqtt-ca";
  auto ctx = make_ctx(o);
  server_options so = server_opts();
  so.alpn = "x-amzn-mqtt-ca";
  memory_server srv(so);
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  EXPECT_EQ(c.alpn_selected(), "x-amzn-mqtt-ca");
  EXPECT_EQ(srv.alpn_selected(), "x-amzn-mqtt-ca");
}

TEST_P(Session, AlpnIgnoredByServerStillConnects) {
  client_options o = client_opts();
  o.alpn = "x-amzn-mqtt-ca";
  auto ctx = make_ctx(o);
  server_options so = server_opts();
  so.alpn = "h2";  // knows ALPN, but not our protocol: answers none
  memory_server srv(so);
  session c(*ctx);
  ASSERT_EQ(run_handshake(c, srv).client, session::status::ok) << c.last_error();
  EXPECT_EQ(c.alpn_selected(), "");
}

TEST_P(Session, MovedSessionKeepsWorking) {
  auto ctx = make_ctx(client_opts());
  memory_server srv(server_opts());
  session a(*ctx);
  ASSERT_EQ(a.handshake(), session::status::want_io);
  session c(std::move(a));
  auto r = run_handshake(c, srv);
  ASSERT_EQ(r.client, session::status::ok) << c.last_error();
  std::vector<std::uint8_t> msg{0x10, 0x02, 0x00, 0x00};
  ASSERT_TRUE(c.write(msg));
  testing::shuttle(c, srv);
  EXPECT_EQ(server_read_all(srv), msg);
}

TEST_P(Session, WriteBeforeHandshakeFails) {
  auto ctx = make_ctx(client_opts());
  session c(*ctx);
  std::vector<std::uint8_t> msg{1, 2, 3};
  EXPECT_FALSE(c.write(msg));
  EXPECT_THAT(c.last_error(), HasSubstr("before the TLS handshake"));
}

// One client_context serves the links of several reactor threads at once (tls_session.hpp).
TEST_P(Session, OneContextManyThreads) {
  auto ctx = make_ctx(client_opts());
  const server_options so = server_opts();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      global_init();
      memory_server srv(so);
      session c(*ctx);
      if (run_handshake(c, srv).client != session::status::ok) return;
      std::vector<std::uint8_t> msg(1000, static_cast<std::uint8_t>(t));
      if (!c.write(msg)) return;
      testing::shuttle(c, srv);
      ok[static_cast<std::size_t>(t)] = server_read_all(srv) == msg ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::accumulate(ok.begin(), ok.end(), 0), 4);
}

INSTANTIATE_TEST_SUITE_P(Tls, Session, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Tls12" : "Tls13"; });

}  // namespace
}  // namespace mqrelay::tls
