#include "tests/support/certs.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef MQRELAY_MAKE_CERTS
#error "MQRELAY_MAKE_CERTS (path of tests/support/make_certs.sh) must be defined"
#endif

namespace mqrelay::test {

certs::certs(std::string dir) : dir_(std::move(dir)) {
  process p({"/bin/bash", MQRELAY_MAKE_CERTS, dir_}, dir_ + ".make_certs.log");
  const auto rc = p.wait_exit(std::chrono::seconds(60));
  if (rc != 0) throw std::runtime_error("make_certs.sh failed: " + p.log());
}

const certs& shared_certs() {
  static std::once_flag once;
  static std::unique_ptr<temp_dir> dir;
  static std::unique_ptr<certs> c;
  std::call_once(once, [] {
    dir = std::make_unique<temp_dir>();
    c = std::make_unique<certs>(dir->file("pki"));
  });
  return *c;
}

}  // namespace mqrelay::test
