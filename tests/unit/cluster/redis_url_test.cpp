#include "lib/cluster/redis_url.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::cluster;

namespace {

redis_endpoint good(std::string_view url) {
  auto r = parse_redis_url(url);
  BOOST_TEST_INFO(std::string{url} << ": " << r.error());
  BOOST_REQUIRE(r);
  return *r;
}

std::string bad(std::string_view url) {
  auto r = parse_redis_url(url);
  BOOST_TEST_INFO(std::string{url});
  BOOST_REQUIRE(!r);
  return r.error();
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_url)

BOOST_AUTO_TEST_CASE(host_alone_takes_the_default_port_and_db) {
  auto ep = good("redis://127.0.0.1");
  BOOST_TEST(ep.host == "127.0.0.1");
  BOOST_TEST(ep.port == 6379);
  BOOST_TEST(ep.db == 0);
  BOOST_TEST(ep.username.empty());
  BOOST_TEST(ep.password.empty());
  BOOST_TEST(good("redis://localhost/").host == "localhost");
  BOOST_TEST(good("REDIS://redis.example.com").host == "redis.example.com");
}

BOOST_AUTO_TEST_CASE(port_and_db) {
  auto ep = good("redis://127.0.0.1:6380/2");
  BOOST_TEST(ep.port == 6380);
  BOOST_TEST(ep.db == 2);
  BOOST_TEST(good("redis://h:1/0").port == 1);
  BOOST_TEST(good("redis://h:65535").port == 65535);
  BOOST_TEST(good("redis://h/15/").db == 15);
}

BOOST_AUTO_TEST_CASE(password_and_username) {
  auto ep = good("redis://:s3cret@host:6379/1");
  BOOST_TEST(ep.username.empty());
  BOOST_TEST(ep.password == "s3cret");
  BOOST_TEST(ep.host == "host");
  BOOST_TEST(ep.db == 1);
  ep = good("redis://alice:pw@host");
  BOOST_TEST(ep.username == "alice");
  BOOST_TEST(ep.password == "pw");
}

BOOST_AUTO_TEST_CASE(password_is_percent_decoded) {
  auto ep = good("redis://:p%40ss%3Aw%2Fd%25@host");
  BOOST_TEST(ep.password == "p@ss:w/d%");
  // An unescaped '@' in the password: the last '@' ends the credentials.
  BOOST_TEST(good("redis://:a@b@host").password == "a@b");
  BOOST_TEST(good("redis://us%20er:x@host").username == "us er");
}

BOOST_AUTO_TEST_CASE(ipv6_in_brackets) {
  auto ep = good("redis://[::1]:6380/3");
  BOOST_TEST(ep.host == "::1");
  BOOST_TEST(ep.port == 6380);
  BOOST_TEST(ep.db == 3);
  BOOST_TEST(good("redis://[fe80::1:2]").port == 6379);
  BOOST_TEST(ep.describe() == "[::1]:6380/3");
}

BOOST_AUTO_TEST_CASE(describe_never_shows_the_credentials) {
  auto ep = good("redis://bob:topsecret@10.0.0.5:7000/4");
  BOOST_TEST(ep.describe() == "10.0.0.5:7000/4");
  BOOST_TEST(!contains(ep.describe(), "topsecret"));
  BOOST_TEST(!contains(ep.describe(), "bob"));
}

BOOST_AUTO_TEST_CASE(tls_is_refused_with_the_reason) {
  auto why = bad("rediss://host:6380");
  BOOST_TEST(contains(why, "TLS"));
  BOOST_TEST(contains(why, "not supported"));
  BOOST_TEST(contains(bad("REDISS://host"), "TLS"));
}

BOOST_AUTO_TEST_CASE(other_schemes_are_refused) {
  BOOST_TEST(contains(bad("http://host:6379"), "scheme 'http'"));
  BOOST_TEST(contains(bad("host:6379"), "redis://"));
  BOOST_TEST(contains(bad(""), "redis://"));
  BOOST_TEST(contains(bad("unix:///tmp/redis.sock"), "scheme 'unix'"));
  BOOST_TEST(contains(bad("redis:/host"), "redis://"));
}

BOOST_AUTO_TEST_CASE(bad_ports) {
  for (auto url : {"redis://h:0", "redis://h:65536", "redis://h:", "redis://h:x1",
                   "redis://h:-1", "redis://h:99999999", "redis://h: 1"})
    BOOST_TEST(contains(bad(url), "bad port"), url);
}

BOOST_AUTO_TEST_CASE(bad_databases) {
  for (auto url : {"redis://h/x", "redis://h/-1", "redis://h/1/2", "redis://h/ 1",
                   "redis://h/1234567890", "redis://h//"})
    BOOST_TEST(contains(bad(url), "bad database"), url);
}

BOOST_AUTO_TEST_CASE(empty_or_bad_hosts) {
  BOOST_TEST(contains(bad("redis://"), "empty host"));
  BOOST_TEST(contains(bad("redis://:6379"), "empty host"));
  BOOST_TEST(contains(bad("redis://:pw@/0"), "empty host"));
  BOOST_TEST(contains(bad("redis://[]:6379"), "empty host"));
  BOOST_TEST(contains(bad("redis://::1:6379"), "brackets"));
  BOOST_TEST(contains(bad("redis://[::1"), "']'"));
  BOOST_TEST(contains(bad("redis://[::1]x"), "after the IPv6"));
  BOOST_TEST(contains(bad("redis://[zz::1]"), "IPv6"));
  BOOST_TEST(contains(bad("redis://ho st"), "invalid character"));
  BOOST_TEST(contains(bad("redis://h%41st"), "invalid character"));
}

BOOST_AUTO_TEST_CASE(bad_credentials) {
  BOOST_TEST(contains(bad("redis://secret@host"), "':'"));
  BOOST_TEST(contains(bad("redis://:p%4@host"), "password"));
  BOOST_TEST(contains(bad("redis://u%zz:p@host"), "user name"));
  BOOST_TEST(contains(bad("redis://alice:@host"), "without a password"));
}

BOOST_AUTO_TEST_CASE(query_and_fragment_are_refused) {
  BOOST_TEST(contains(bad("redis://host?db=1"), "query"));
  BOOST_TEST(contains(bad("redis://host/0#x"), "query"));
}

BOOST_AUTO_TEST_CASE(no_input_crashes) {
  // Every prefix of a long URL, and some junk: parsed or refused, never a crash.
  std::string url = "redis://user%20x:p%40ss@[::1]:6380/12";
  for (size_t i = 0; i <= url.size(); ++i)
    (void) parse_redis_url(url.substr(0, i));
  std::string junk = "redis://";
  for (int c = 0; c < 256; ++c)
    junk.push_back(static_cast<char>(c));
  BOOST_TEST(!parse_redis_url(junk));
}

BOOST_AUTO_TEST_SUITE_END()
