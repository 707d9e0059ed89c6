// Tests for session_registry (actors/session_registry.hpp): the sid -> session
// map that the gateway reads on every session request.
#include "actors/session_registry.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using sio::session_registry;

BOOST_AUTO_TEST_SUITE(session_registry_test)

BOOST_AUTO_TEST_CASE(finds_replaces_and_forgets_sessions_by_sid) {
  session_registry reg;
  auto chat = std::make_shared<const std::string>("chat");
  auto news = std::make_shared<const std::string>("news");
  reg.add("sid-a", {chat, {}});
  reg.add("sid-b", {news, {}});
  BOOST_CHECK_EQUAL(reg.size(), 2u);
  auto a = reg.find("sid-a");
  BOOST_REQUIRE(a);
  // The entry shares the hub's name rather than copying it.
  BOOST_CHECK(a->hub == chat);
  BOOST_CHECK_EQUAL(*reg.find("sid-b")->hub, "news");
  BOOST_CHECK(!reg.find("sid-c"));
  BOOST_CHECK(!reg.find("sid-"));
  // The same sid again replaces the entry.
  reg.add("sid-a", {news, {}});
  BOOST_CHECK_EQUAL(reg.size(), 2u);
  BOOST_CHECK_EQUAL(*reg.find("sid-a")->hub, "news");
  reg.remove("sid-a");
  reg.remove("unknown");
  BOOST_CHECK(!reg.find("sid-a"));
  auto all = reg.snapshot();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_CHECK(all[0].hub == news);
  // An entry keeps its hub name alive after the hub's own pointer goes.
  news.reset();
  BOOST_CHECK_EQUAL(*reg.find("sid-b")->hub, "news");
}

BOOST_AUTO_TEST_SUITE_END()
