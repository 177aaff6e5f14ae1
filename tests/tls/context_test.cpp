// client_context::create: what a user sees when a certificate file is missing or wrong, and the
// key permission warning (SPEC §2 exit 1 with a sentence, §4.12).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/tls/certs.hpp"
#include "tls/tls_session.hpp"

namespace mqrelay::tls {
namespace {

using testing::cert;
using ::testing::HasSubstr;

client_options mtls() {
  client_options o;
  o.ca_file = cert("ca.pem");
  o.cert_file = cert("client.pem");
  o.key_file = cert("client.key");
  o.server_name = "localhost";
  return o;
}

std::string create_error(const client_options& o) {
  std::string err;
  auto ctx = client_context::create(o, err);
  EXPECT_EQ(ctx, nullptr);
  return err;
}

TEST(ClientContext, LoadsCaCertAndKey) {
  std::string err = "stale";
  auto ctx = client_context::create(mtls(), err);
  ASSERT_NE(ctx, nullptr) << err;
  EXPECT_EQ(err, "");
}

TEST(ClientContext, CertificateAndKeyAreOptional) {
  client_options o = mtls();
  o.cert_file.clear();
  o.key_file.clear();
  std::string err;
  EXPECT_NE(client_context::create(o, err), nullptr) << err;
}

TEST(ClientContext, MissingCaFileNamesTheFileAndTheReason) {
  client_options o = mtls();
  o.ca_file = testing::temp_dir() + "/nope/ca.pem";
  EXPECT_EQ(create_error(o), "cannot read CA file " + o.ca_file + ": No such file or directory");
}

TEST(ClientContext, MissingCertificateAndKeyFilesAreNamed) {
  client_options o = mtls();
  o.cert_file = "/nonexistent/client.pem";
  EXPECT_EQ(create_error(o), "cannot read certificate file /nonexistent/client.pem: No such file or directory");
  o = mtls();
  o.key_file = "/nonexistent/client.key";
  EXPECT_EQ(create_error(o), "cannot read private key file /nonexistent/client.key: No such file or directory");
}

TEST(ClientContext, UnreadableKeyFileNamesTheFileAndTheReason) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files";
  const std::string key = testing::temp_dir() + "/client.key";
  std::filesystem::copy_file(cert("client.key"), key);
  ASSERT_EQ(::chmod(key.c_str(), 0), 0);
  client_options o = mtls();
  o.key_file = key;
  EXPECT_EQ(create_error(o), "cannot read private key file " + key + ": Permission denied");
}

TEST(ClientContext, DirectoryInsteadOfFileIsRefused) {
  client_options o = mtls();
  o.ca_file = testing::cert_dir();
  EXPECT_EQ(create_error(o), "cannot read CA file " + o.ca_file + ": Is a directory");
}

TEST(ClientContext, GarbageFilesAreNamed) {
  const std::string dir = testing::temp_dir();
  const std::string junk = dir + "/junk.pem";
  std::ofstream(junk) << "this is not PEM\n";
  client_options o = mtls();
  o.ca_file = junk;
  std::string err = create_error(o);
  EXPECT_THAT(err, HasSubstr("CA file " + junk + " holds no usable PEM certificate"));
  o = mtls();
  o.cert_file = junk;
  EXPECT_THAT(create_error(o), HasSubstr("certificate file " + junk + " holds no usable PEM certificate"));
  o = mtls();
  o.key_file = junk;
  EXPECT_THAT(create_error(o), HasSubstr("private key file " + junk + " holds no usable"));
  // A certificate where the key should be is not a key either.
  o = mtls();
  o.key_file = cert("client.pem");
  EXPECT_THAT(create_error(o), HasSubstr("private key file " + o.key_file));
}

TEST(ClientContext, KeyThatDoesNotMatchTheCertificate) {
  client_options o = mtls();
  o.key_file = cert("server.key");
  EXPECT_EQ(create_error(o), "private key " + o.key_file + " does not match certificate " + o.cert_file);
}

TEST(ClientContext, CertificateWithoutKeyAndKeyWithoutCertificate) {
  client_options o = mtls();
  o.key_file.clear();
  EXPECT_THAT(create_error(o), HasSubstr("certificate " + o.cert_file + " given without a private key"));
  o = mtls();
  o.cert_file.clear();
  EXPECT_THAT(create_error(o), HasSubstr("private key " + o.key_file + " given without a certificate"));
}

TEST(ClientContext, ServerNameIsRequired) {
  client_options o = mtls();
  o.server_name.clear();
  EXPECT_THAT(create_error(o), HasSubstr("no server name"));
}

TEST(ClientContext, GlobalInitIsIdempotent) {
  global_init();
  global_init();
  std::string err;
  EXPECT_NE(client_context::create(mtls(), err), nullptr) << err;
}

TEST(KeyFileTooOpen, ReportsGroupOrOtherReadable) {
  const std::string dir = testing::temp_dir();
  const std::string key = dir + "/k.pem";
  std::ofstream(key) << "x";
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  EXPECT_FALSE(key_file_too_open(key));
  ASSERT_EQ(::chmod(key.c_str(), 0400), 0);
  EXPECT_FALSE(key_file_too_open(key));
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  EXPECT_TRUE(key_file_too_open(key));
  ASSERT_EQ(::chmod(key.c_str(), 0604), 0);
  EXPECT_TRUE(key_file_too_open(key));
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  EXPECT_TRUE(key_file_too_open(key));
  // make_certs.sh writes its keys 0600.
  EXPECT_FALSE(key_file_too_open(cert("client.key")));
  EXPECT_FALSE(key_file_too_open(dir + "/missing.pem"));
  EXPECT_FALSE(key_file_too_open(""));
}

}  // namespace
}  // namespace mqrelay::tls
