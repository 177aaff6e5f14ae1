// Test-only TLS server on wolfSSL over memory buffers: the peer for tls::session in-process.
// Not thread-safe; one per test. Throws std::runtime_error when set-up fails.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tls/tls_session.hpp"

struct WOLFSSL;

namespace mqrelay::tls::testing {

struct server_options {
  std::string cert_file, key_file;
  std::string client_ca_file;    // "" = do not ask for a client certificate
  bool require_client_cert = false;
  std::string alpn;              // protocols the server accepts ("" = no ALPN)
  bool tls12_only = false;       // false: TLS 1.2 or 1.3, whatever the client offers
};

class memory_server {
 public:
  explicit memory_server(const server_options& o);
  ~memory_server();
  memory_server(const memory_server&) = delete;
  memory_server& operator=(const memory_server&) = delete;

  // 1 = handshake done, 0 = needs more input, -1 = failed (error()).
  int accept();
  // >0 bytes, 0 = needs more input, -1 = failed or closed.
  long read(std::uint8_t* out, std::size_t len);
  bool write(std::span<const std::uint8_t> plain);
  void shutdown();
  // TLS 1.3 only: sends a KeyUpdate that requests the client's own KeyUpdate in return.
  bool update_keys();

  const std::string& error() const { return error_; }
  std::string alpn_selected() const;
  std::string sni_received() const;  // the SNI host name the client sent, "" if none
  std::string protocol_version() const;

  std::vector<std::uint8_t> in;   // ciphertext from the client; the server consumes from the front
  std::vector<std::uint8_t> out;  // ciphertext for the client
  std::size_t in_pos = 0;

 private:
  void* ctx_ = nullptr;  // WOLFSSL_CTX*
  WOLFSSL* ssl_ = nullptr;
  std::string error_;
};

// Moves every pending byte client -> server and server -> client (one round).
void shuttle(session& client, memory_server& server);

struct handshake_result {
  session::status client = session::status::want_io;
  int server = 0;
};
// Drives both handshakes until both finish or one fails (bounded number of rounds). chunk > 0
// hands the client its ciphertext in pieces of at most chunk bytes, calling handshake() after
// each piece (a receive that returns a few bytes at a time).
handshake_result run_handshake(session& client, memory_server& server, std::size_t chunk = 0);

}  // namespace mqrelay::tls::testing
