// TLS client layer for mqrelay, on wolfSSL, over memory buffers (SPEC §1, §4.12).
//
// TLS never touches a socket here. The owner of a connection (the io_uring loop) receives
// ciphertext straight into session::cipher_in_writable(), commits it, and sends what
// session::cipher_out() holds. wolfSSL reaches those buffers through its per-object I/O
// callbacks (wolfSSL_SSLSetIORecv / wolfSSL_SSLSetIOSend), which answer
// WOLFSSL_CBIO_ERR_WANT_READ when no ciphertext is buffered.
//
// When cipher_out() has bytes to send (the owner must flush it after each of these calls):
//   - handshake(): the ClientHello on the first call; later the client's next flight
//     (TLS 1.2: key exchange, certificate, CertificateVerify, ChangeCipherSpec, Finished;
//     TLS 1.3: certificate, CertificateVerify, Finished), including the call that returns ok.
//     On error it may hold a fatal alert for the peer (sending it is courtesy, not required).
//     A want_io return with nothing in cipher_out() means: receive more.
//   - write(): always, on success (the encrypted records of the whole batch).
//   - shutdown(): the close_notify alert.
//   - read(): sometimes, with no application data involved: the answer to a TLS 1.3 KeyUpdate
//     that requests one (the peer rekeys, we must rekey too), or an alert when read() fails.
//     So flush after a read() loop too, not only after write().
// Nothing else appends to it; cipher_in_writable()/cipher_in_commit() never do. Bytes stay
// there until cipher_out_consume() says they were sent; later output is appended behind them.
//
// Threads: Debian's wolfSSL 5.5.4 has no wolfSSL_write_dup, so a session (one WOLFSSL object)
// must be used by one thread at a time: its link's loop. A client_context (one WOLFSSL_CTX) is
// shared read-only by many sessions on several threads once create() has returned. A thread that
// creates a session or context also frees wolfSSL's per-thread ECC cache when it exits (a
// thread_local guard, see tls/internal.hpp); nothing to call for that.
//
// Security: peer verification is always on (chain against ca_file, and the host name or IP
// address in server_name against the certificate); there is deliberately no switch to turn it
// off (SPEC §4.12). TLS 1.2 is the minimum version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct WOLFSSL_CTX;  // wolfSSL's own types, kept out of this header

namespace mqrelay::tls {

// Initialises wolfSSL once per process. Idempotent and thread-safe (std::call_once); create()
// calls it too, so calling it explicitly only moves the cost to start-up.
void global_init();

struct client_options {
  std::string ca_file;    // PEM file of the CA(s) the server's chain must end in (required)
  std::string cert_file;  // PEM client certificate (chain); optional, but only with key_file
  std::string key_file;   // PEM private key of cert_file; optional, but only with cert_file
  // SNI and the name verified against the server certificate (required). A DNS name is matched
  // against the SAN DNS entries (or the CN); an IPv4/IPv6 literal such as "127.0.0.1" is matched
  // against the SAN IP entries and is never sent as SNI (RFC 6066 §3 forbids literals there).
  std::string server_name;
  // ALPN protocol to offer, "" = none. IoT Core on port 443 needs "x-amzn-mqtt-ca". A server that
  // selects a different protocol fails the handshake; one that ignores ALPN does not (see
  // session::alpn_selected()).
  std::string alpn;
  bool send_sni = true;
};

// One WOLFSSL_CTX: a TLS 1.2+ client with peer verification always on.
// Immutable after create(); sessions may be created from it on any thread.
// It must outlive every session made from it.
class client_context {
 public:
  // Loads the files and checks them. On failure returns nullptr and sets error to a sentence that
  // names the file, e.g. "cannot read CA file /x/ca.pem: No such file or directory",
  // "private key /k.pem does not match certificate /c.pem".
  static std::unique_ptr<client_context> create(const client_options& options, std::string& error);

  ~client_context();
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;

  const client_options& options() const noexcept { return options_; }
  WOLFSSL_CTX* native() const noexcept { return ctx_; }
  bool server_name_is_ip() const noexcept { return server_name_is_ip_; }

 private:
  client_context(WOLFSSL_CTX* ctx, client_options options, bool server_name_is_ip);
  friend class session;

  WOLFSSL_CTX* ctx_;
  client_options options_;
  bool server_name_is_ip_;
};

// One TLS connection. Not thread-safe (one owner thread, see above). Movable; the wolfSSL state
// lives on the heap, so moving does not disturb it. Buffers are kept and reused for the whole
// connection: no allocation per record or message once they have grown to the working size.
class session {
 public:
  // A fresh WOLFSSL with the memory callbacks, SNI, host name / IP check and ALPN. Does not fail:
  // an allocation failure inside wolfSSL makes the first handshake() return status::error.
  explicit session(client_context& context);
  ~session();
  session(session&&) noexcept;
  session& operator=(session&&) noexcept;

  // Free space at the end of the ciphertext input buffer, at least min_free bytes; receive
  // ciphertext straight into it, then call cipher_in_commit(). The span stays valid (and keeps
  // its address) until the next cipher_in_writable() call: handshake() and read() only consume
  // from the front, so a receive may be in flight into it while they run. May allocate (grows or
  // compacts the buffer) only here.
  std::span<std::uint8_t> cipher_in_writable(std::size_t min_free = 16384);
  // n bytes (≤ the span's size) were written at the start of the last writable span.
  void cipher_in_commit(std::size_t n);

  enum class status { ok, want_io, error };
  // Drives the handshake as far as the buffered ciphertext allows. ok: done (also when called
  // again afterwards); want_io: send cipher_out() and receive more; error: last_error() says why
  // (certificate verify failure, host name mismatch, alert from the peer, ...). Check cipher_out()
  // after every call, including on error (it may hold an alert for the peer).
  status handshake();

  // Decrypts application data into out; call it after handshake() returned ok, in a loop until
  // it returns ≤ 0 (one call returns at most one record's worth). >0: bytes written; 0: needs
  // more ciphertext (or len 0); -1: error or the peer's close_notify (last_error() says which;
  // the session stays failed). Non-application records (TLS 1.3 NewSessionTicket, KeyUpdate) are
  // handled inside; their answers, if any, are appended to cipher_out(): flush after reading.
  long read(std::uint8_t* out, std::size_t len);

  // Encrypts all of plain into cipher_out() (records of at most 16 KiB), appending behind what
  // is still unsent there; the caller's buffer is not referenced afterwards. Call it once per batch
  // of MQTT packets: one call, however many packets, costs the fewest records. false on error
  // (last_error()), or before the handshake is done.
  bool write(std::span<const std::uint8_t> plain);

  // Ciphertext waiting to be sent. Valid until the next call of a non-const member.
  std::span<const std::uint8_t> cipher_out() const noexcept;
  // n bytes (≤ cipher_out().size()) from the front were sent (short sends are fine).
  void cipher_out_consume(std::size_t n) noexcept;

  // Queues a close_notify alert into cipher_out() (best effort, for a clean DISCONNECT). Does not
  // wait for the peer's reply; does nothing on a failed session.
  void shutdown();

  bool handshake_done() const noexcept;
  // Why the last handshake()/read()/write() failed, "" if none did. Examples:
  // "certificate verify failed: unable to get local issuer certificate at depth 0 (subject
  //  /CN=localhost) (wolfSSL error -188: ASN no signer error to confirm failure)",
  // "host name mismatch: the server certificate is not valid for wrong.example.com (...)",
  // "peer closed the TLS session (close_notify)".
  const std::string& last_error() const noexcept;
  // The ALPN protocol the server selected, "" if none.
  std::string alpn_selected() const;

  struct impl;  // defined in tls/session.cpp

 private:
  std::unique_ptr<impl> impl_;
};

// True when the file is readable by group or others (SPEC §4.12: warn about such a private key).
// False when it is not, or cannot be examined (a missing file is create()'s error to report).
bool key_file_too_open(const std::string& path) noexcept;

}  // namespace mqrelay::tls
