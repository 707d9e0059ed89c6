#include "lib/auth/random_id.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>
#include <unordered_set>
#include <vector>

using namespace sio::auth;

namespace {

bool url_safe(const std::string& s) {
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(random_id_test)

BOOST_AUTO_TEST_CASE(ids_have_the_requested_length_and_url_safe_chars) {
  for (size_t len : {0u, 1u, 20u, 22u, 100u, 5000u}) {
    auto id = random_id(len);
    BOOST_TEST(id.size() == len);
    BOOST_TEST(url_safe(id));
  }
}

BOOST_AUTO_TEST_CASE(ten_thousand_ids_are_distinct_and_use_the_whole_alphabet) {
  std::unordered_set<std::string> ids;
  std::set<char> chars;
  for (int i = 0; i < 10000; ++i) {
    auto id = random_id(20);
    chars.insert(id.begin(), id.end());
    ids.insert(std::move(id));
  }
  BOOST_TEST(ids.size() == 10000u);
  BOOST_TEST(chars.size() == 64u);
}

BOOST_AUTO_TEST_CASE(concurrent_callers_never_receive_the_same_id) {
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::vector<std::string>> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&results, t] {
      for (int i = 0; i < per_thread; ++i)
        results[t].push_back(random_id(20));
    });
  for (auto& w : workers)
    w.join();
  std::unordered_set<std::string> all;
  for (auto& r : results)
    all.insert(r.begin(), r.end());
  BOOST_TEST(all.size() == static_cast<size_t>(threads * per_thread));
}

BOOST_AUTO_TEST_SUITE_END()
