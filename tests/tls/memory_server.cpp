#include "tests/tls/memory_server.hpp"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mqrelay::tls::testing {

namespace {

int srv_recv(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto* s = static_cast<memory_server*>(ctx);
  const std::size_t avail = s->in.size() - s->in_pos;
  if (avail == 0) return WOLFSSL_CBIO_ERR_WANT_READ;
  const std::size_t n = std::min(avail, static_cast<std::size_t>(sz));
  std::memcpy(buf, s->in.data() + s->in_pos, n);
  s->in_pos += n;
  if (s->in_pos == s->in.size()) {
    s->in.clear();
    s->in_pos = 0;
  }
  return static_cast<int>(n);
}

int srv_send(WOLFSSL*, char* buf, int sz, void* ctx) {
  auto* s = static_cast<memory_server*>(ctx);
  s->out.insert(s->out.end(), buf, buf + sz);
  return sz;
}

std::string err_text(WOLFSSL* ssl, int rc) {
  const int e = wolfSSL_get_error(ssl, rc);
  char b[WOLFSSL_MAX_ERROR_SZ] = {};
  wolfSSL_ERR_error_string_n(static_cast<unsigned long>(static_cast<long>(e)), b, sizeof b);
  return "server: wolfSSL error " + std::to_string(e) + " " + b;
}

}  // namespace

memory_server::memory_server(const server_options& o) {
  global_init();
  auto* ctx = wolfSSL_CTX_new(o.tls12_only ? wolfTLSv1_2_server_method() : wolfSSLv23_server_method());
  if (ctx == nullptr) throw std::runtime_error("server: wolfSSL_CTX_new");
  ctx_ = ctx;
  if (wolfSSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != WOLFSSL_SUCCESS ||
      wolfSSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
    throw std::runtime_error("server: cannot load " + o.cert_file + " / " + o.key_file);
  if (!o.client_ca_file.empty()) {
    if (wolfSSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) != WOLFSSL_SUCCESS)
      throw std::runtime_error("server: cannot load " + o.client_ca_file);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | (o.require_client_cert ? WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           nullptr);
  } else {
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
  }
  ssl_ = wolfSSL_new(ctx);
  if (ssl_ == nullptr) throw std::runtime_error("server: wolfSSL_new");
  wolfSSL_SSLSetIORecv(ssl_, srv_recv);
  wolfSSL_SSLSetIOSend(ssl_, srv_send);
  wolfSSL_SetIOReadCtx(ssl_, this);
  wolfSSL_SetIOWriteCtx(ssl_, this);
  // Accept and record any SNI the client sends.
  static const char kAny[] = "*";
  wolfSSL_UseSNI(ssl_, WOLFSSL_SNI_HOST_NAME, kAny, 1);
  wolfSSL_SNI_SetOptions(ssl_, WOLFSSL_SNI_HOST_NAME,
                         WOLFSSL_SNI_CONTINUE_ON_MISMATCH | WOLFSSL_SNI_ANSWER_ON_MISMATCH);
  if (!o.alpn.empty()) {
    std::string list = o.alpn;
    wolfSSL_UseALPN(ssl_, list.data(), static_cast<unsigned>(list.size()), WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
  }
}

memory_server::~memory_server() {
  if (ssl_ != nullptr) wolfSSL_free(ssl_);
  if (ctx_ != nullptr) wolfSSL_CTX_free(static_cast<WOLFSSL_CTX*>(ctx_));
}

int memory_server::accept() {
  if (!error_.empty()) return -1;
  if (wolfSSL_is_init_finished(ssl_)) return 1;
  const int rc = wolfSSL_accept(ssl_);
  if (rc == WOLFSSL_SUCCESS) return 1;
  const int e = wolfSSL_get_error(ssl_, rc);
  if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return 0;
  error_ = err_text(ssl_, rc);
  return -1;
}

long memory_server::read(std::uint8_t* out_buf, std::size_t len) {
  const int n = wolfSSL_read(ssl_, out_buf, static_cast<int>(len));
  if (n > 0) return n;
  const int e = wolfSSL_get_error(ssl_, n);
  if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return 0;
  error_ = err_text(ssl_, n);
  return -1;
}

bool memory_server::write(std::span<const std::uint8_t> plain) {
  return plain.empty() || wolfSSL_write(ssl_, plain.data(), static_cast<int>(plain.size())) ==
                              static_cast<int>(plain.size());
}

void memory_server::shutdown() { (void)wolfSSL_shutdown(ssl_); }

bool memory_server::update_keys() { return wolfSSL_update_keys(ssl_) == WOLFSSL_SUCCESS; }

std::string memory_server::alpn_selected() const {
  char* name = nullptr;
  unsigned short size = 0;
  if (wolfSSL_ALPN_GetProtocol(ssl_, &name, &size) != WOLFSSL_SUCCESS || name == nullptr) return {};
  return std::string(name, size);
}

std::string memory_server::sni_received() const {
  void* data = nullptr;
  const unsigned short n = wolfSSL_SNI_GetRequest(ssl_, WOLFSSL_SNI_HOST_NAME, &data);
  return n == 0 || data == nullptr ? std::string() : std::string(static_cast<const char*>(data), n);
}

std::string memory_server::protocol_version() const { return wolfSSL_get_version(ssl_); }

void shuttle(session& client, memory_server& server) {
  auto c = client.cipher_out();
  server.in.insert(server.in.end(), c.begin(), c.end());
  client.cipher_out_consume(c.size());
  if (!server.out.empty()) {
    auto w = client.cipher_in_writable(server.out.size());
    std::memcpy(w.data(), server.out.data(), server.out.size());
    client.cipher_in_commit(server.out.size());
    server.out.clear();
  }
}

handshake_result run_handshake(session& client, memory_server& server, std::size_t chunk) {
  handshake_result r;
  for (int round = 0; round < 100; ++round) {
    // Server -> client: whole, or a few bytes at a time with handshake() after each piece.
    if (chunk == 0) {
      shuttle(client, server);
      r.client = client.handshake();
    } else {
      r.client = client.handshake();
      std::size_t pos = 0;
      while (pos < server.out.size() && r.client != session::status::error) {
        const std::size_t n = std::min(chunk, server.out.size() - pos);
        auto w = client.cipher_in_writable(n);
        std::memcpy(w.data(), server.out.data() + pos, n);
        client.cipher_in_commit(n);
        pos += n;
        r.client = client.handshake();
      }
      server.out.clear();
    }
    // Client -> server.
    auto c = client.cipher_out();
    server.in.insert(server.in.end(), c.begin(), c.end());
    client.cipher_out_consume(c.size());
    if (r.client == session::status::error) return r;
    r.server = server.accept();
    if (r.server < 0) {
      shuttle(client, server);
      r.client = client.handshake();  // let the client see the server's alert
      return r;
    }
    if (r.client == session::status::ok && r.server == 1) return r;
  }
  return r;
}

}  // namespace mqrelay::tls::testing
