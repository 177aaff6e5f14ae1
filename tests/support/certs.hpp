// The throw-away PKI of tests/support/make_certs.sh (path compiled in as MQRELAY_MAKE_CERTS).
//
// shared_certs() makes one set per test process, on first use, in a temp_dir that lives until the
// process exits; files: ca.pem ca.key server.pem server.key client.pem client.key other-ca.pem
// wronghost.pem wronghost.key (keys 0600). Thread-safe (call_once). Throws std::runtime_error
// with the script's output if it fails.
#pragma once
#include <string>

namespace mqrelay::test {

class certs {
 public:
  explicit certs(std::string dir);  // runs make_certs.sh DIR (idempotent)
  const std::string& dir() const noexcept { return dir_; }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  std::string ca() const { return file("ca.pem"); }
  std::string other_ca() const { return file("other-ca.pem"); }
  std::string server_cert() const { return file("server.pem"); }
  std::string server_key() const { return file("server.key"); }
  std::string client_cert() const { return file("client.pem"); }
  std::string client_key() const { return file("client.key"); }
  std::string wronghost_cert() const { return file("wronghost.pem"); }
  std::string wronghost_key() const { return file("wronghost.key"); }

 private:
  std::string dir_;
};

const certs& shared_certs();

}  // namespace mqrelay::test
