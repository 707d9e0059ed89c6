#include "lib/auth/hmac.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <thread>
#include <vector>

using namespace sio::auth;

BOOST_AUTO_TEST_SUITE(hmac_test)

BOOST_AUTO_TEST_CASE(hmac_sha256_matches_rfc4231_test_case_2) {
  auto mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  BOOST_TEST(mac.size() == 32u);
  BOOST_TEST(to_hex(mac)
             == "5bdcc146bf60754e6a042426089575c7"
                "5a003f089d2739839dec58b964ec3843");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_accepts_empty_key_and_message) {
  // Known value: HMAC-SHA256("", "").
  BOOST_TEST(to_hex(hmac_sha256("", ""))
             == "b613679a0814d9ec772f95d778c35fc5"
                "ff1697c493715653c6c712144292c5ad");
}

namespace {

/// OpenSSL's one-shot HMAC, the reference for the kept contexts.
std::string reference_hmac(const std::string& key, const std::string& msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

} // namespace

BOOST_AUTO_TEST_CASE(kept_contexts_match_one_shot_hmac_across_keys_and_reuse) {
  // More keys than a thread keeps, interleaved and repeated, so contexts are
  // reused, evicted and made again; a key longer than SHA-256's block (64)
  // is hashed first. Each result must equal OpenSSL's one-shot HMAC().
  std::vector<std::string> keys;
  for (int k = 0; k < 7; ++k)
    keys.push_back(std::string(static_cast<size_t>(1 + k * 13), char('a' + k)));
  for (int round = 0; round < 3; ++round)
    for (size_t k = 0; k < keys.size(); ++k)
      for (size_t j = 0; j <= k; ++j) {
        auto msg = "m" + std::to_string(round) + ":" + std::to_string(j);
        BOOST_TEST(hmac_sha256(keys[k], msg) == reference_hmac(keys[k], msg));
        BOOST_TEST(hmac_sha256(keys[j], "") == reference_hmac(keys[j], ""));
      }
}

BOOST_AUTO_TEST_CASE(each_thread_signs_with_its_own_contexts) {
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &mismatches] {
      std::string key = "key-" + std::to_string(t % 2);
      for (int i = 0; i < 2000; ++i) {
        auto msg = std::to_string(i);
        if (hmac_sha256(key, msg) != reference_hmac(key, msg))
          ++mismatches[static_cast<size_t>(t)];
      }
    });
  for (auto& th : threads)
    th.join();
  for (int m : mismatches)
    BOOST_TEST(m == 0);
}

BOOST_AUTO_TEST_CASE(to_hex_is_lower_case_and_keeps_zero_bytes) {
  BOOST_TEST(to_hex(std::string_view("\x00\x01\xab\xff", 4)) == "0001abff");
  BOOST_TEST(to_hex("") == "");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
  BOOST_TEST(constant_time_equal("abc", "abc"));
  BOOST_TEST(!constant_time_equal("abc", "abd"));
  BOOST_TEST(!constant_time_equal("abc", "ab"));
  BOOST_TEST(constant_time_equal("", ""));
  BOOST_TEST(!constant_time_equal(std::string_view("a\0b", 3),
                                  std::string_view("a\0c", 3)));
}

BOOST_AUTO_TEST_SUITE_END()
