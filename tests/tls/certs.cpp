#include "tests/tls/certs.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

namespace mqrelay::tls::testing {

namespace {

std::mutex g_mu;
std::vector<std::string>* g_dirs = nullptr;

void remove_dirs() {
  std::error_code ec;
  if (g_dirs != nullptr)
    for (const auto& d : *g_dirs) std::filesystem::remove_all(d, ec);
}

}  // namespace

std::string temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mqrelay-tls-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    std::abort();
  }
  std::lock_guard lock(g_mu);
  if (g_dirs == nullptr) {
    g_dirs = new std::vector<std::string>();
    std::atexit(remove_dirs);
  }
  g_dirs->push_back(tmpl);
  return tmpl;
}

const std::string& cert_dir() {
  static const std::string dir = [] {
    std::string d = temp_dir();
    const std::string cmd = std::string("bash ") + MQRELAY_MAKE_CERTS + " " + d + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "make_certs.sh failed: " << cmd;
      std::abort();
    }
    return d;
  }();
  return dir;
}

}  // namespace mqrelay::tls::testing
