// Tests for lib/protocol/url.hpp: absolute URLs, origin-form targets, and
// every part missing or empty in turn.
#include "lib/protocol/url.hpp"

#include <boost/test/unit_test.hpp>

using namespace sio::protocol;

BOOST_AUTO_TEST_SUITE(url_test)

BOOST_AUTO_TEST_CASE(an_absolute_url_splits_into_all_its_parts) {
  auto p = split_url("https://user@Example.com:8443/a/b%2F?x=1&y=?#frag?");
  BOOST_TEST(p.scheme == "https");
  BOOST_TEST(p.authority == "user@Example.com:8443");
  BOOST_TEST(p.target == "/a/b%2F?x=1&y=?#frag?");
  BOOST_TEST(p.path == "/a/b%2F");
  BOOST_TEST(p.query == "x=1&y=?");
  BOOST_TEST(p.fragment == "frag?");
  BOOST_TEST(p.has_query);
  BOOST_TEST(p.has_fragment);
}

BOOST_AUTO_TEST_CASE(the_authority_ends_at_the_first_slash_question_mark_or_hash) {
  auto bare = split_url("http://h");
  BOOST_TEST(bare.authority == "h");
  BOOST_TEST(bare.target == "");
  BOOST_TEST(bare.path == "");
  BOOST_TEST(!bare.has_query);
  auto query = split_url("http://h:80?a/b"); // query without path
  BOOST_TEST(query.authority == "h:80");
  BOOST_TEST(query.target == "?a/b");
  BOOST_TEST(query.path == "");
  BOOST_TEST(query.query == "a/b");
  auto frag = split_url("http://[::1]:9#x/y");
  BOOST_TEST(frag.authority == "[::1]:9");
  BOOST_TEST(frag.path == "");
  BOOST_TEST(frag.fragment == "x/y");
  BOOST_TEST(!frag.has_query);
  auto none = split_url("http:///p");
  BOOST_TEST(none.scheme == "http");
  BOOST_TEST(none.authority == "");
  BOOST_TEST(none.path == "/p");
}

BOOST_AUTO_TEST_CASE(empty_query_and_fragment_are_told_from_absent_ones) {
  auto p = split_url("/p?#");
  BOOST_TEST(p.has_query);
  BOOST_TEST(p.query == "");
  BOOST_TEST(p.has_fragment);
  BOOST_TEST(p.fragment == "");
  auto q = split_url("/p");
  BOOST_TEST(!q.has_query);
  BOOST_TEST(!q.has_fragment);
  // A '?' after the '#' belongs to the fragment.
  auto r = split_url("/p#a?b");
  BOOST_TEST(!r.has_query);
  BOOST_TEST(r.path == "/p");
  BOOST_TEST(r.fragment == "a?b");
}

BOOST_AUTO_TEST_CASE(text_without_scheme_colon_slash_slash_is_a_target) {
  for (auto text : {"/a?b", "*", "", "?q", "x:y", "http:/x", "1http://h/p",
                    "://h/p", "/x://h/p", "a b://h"}) {
    auto p = split_url(text);
    BOOST_TEST(p.scheme == "", text);
    BOOST_TEST(p.authority == "", text);
    BOOST_TEST(p.target == text);
  }
  auto q = split_url("?q=1");
  BOOST_TEST(q.path == "");
  BOOST_TEST(q.query == "q=1");
  auto e = split_url("");
  BOOST_TEST(e.path == "");
  BOOST_TEST(!e.has_query);
  BOOST_TEST(!e.has_fragment);
}

BOOST_AUTO_TEST_CASE(scheme_characters_follow_rfc_3986) {
  BOOST_TEST(split_url("svn+ssh://h/r").scheme == "svn+ssh");
  BOOST_TEST(split_url("x-1.a://h").scheme == "x-1.a");
  BOOST_TEST(split_url("HTTP://H/").scheme == "HTTP");
  BOOST_TEST(split_url("HTTP://H/").authority == "H");
}

BOOST_AUTO_TEST_CASE(split_target_never_looks_for_a_scheme) {
  auto p = split_target("ftp://h/negotiate?x=1");
  BOOST_TEST(p.scheme == "");
  BOOST_TEST(p.authority == "");
  BOOST_TEST(p.path == "ftp://h/negotiate");
  BOOST_TEST(p.query == "x=1");
  auto q = split_target("/socket.io/?EIO=4&transport=polling#x");
  BOOST_TEST(q.path == "/socket.io/");
  BOOST_TEST(q.query == "EIO=4&transport=polling");
  BOOST_TEST(q.fragment == "x");
  auto non_ascii = split_target("/caf\xC3\xA9?q=\xE2\x82\xAC");
  BOOST_TEST(non_ascii.path == "/caf\xC3\xA9");
  BOOST_TEST(non_ascii.query == "q=\xE2\x82\xAC");
}

BOOST_AUTO_TEST_SUITE_END()
