// The hub's book of acked sends (actors/pending_acks): ids, answers, a
// socket's end, the timeout, and the bounds, which must free up again.
#include "actors/pending_acks.hpp"

#include <boost/test/unit_test.hpp>

using sio::pending_acks;

namespace {

std::vector<pending_acks::recipient> two() {
  return {{"s1", "c1", "alice"}, {"s2", "c2", ""}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(pending_acks_book)

BOOST_AUTO_TEST_CASE(answers_complete_a_send_and_forged_ones_change_nothing) {
  pending_acks book{pending_acks::limits{}};
  std::vector<uint64_t> ids;
  auto send = book.open("/", two(), ids);
  BOOST_REQUIRE_EQUAL(ids.size(), 2u);
  BOOST_TEST(ids[0] != ids[1]);
  // Another connection's id, another namespace, an unknown id: ignored.
  BOOST_TEST(!book.answer("c2", "/", ids[0], "[1]", {}));
  BOOST_TEST(!book.answer("c1", "/chat", ids[0], "[1]", {}));
  BOOST_TEST(!book.answer("c1", "/", 999, "[1]", {}));
  BOOST_TEST(!book.answer("c1", "/", ids[0], "[\"a\"]", {"bin"}));
  BOOST_TEST(!book.answer("c1", "/", ids[0], "[\"again\"]", {})); // settled already
  auto done = book.answer("c2", "/", ids[1], "[\"b\"]", {});
  BOOST_REQUIRE(done);
  BOOST_TEST(*done == send);
  auto r = book.finish(send);
  BOOST_REQUIRE(r);
  BOOST_REQUIRE_EQUAL(r->acks.size(), 2u);
  BOOST_TEST(r->acks[0].socket_id == "s1");
  BOOST_TEST(r->acks[0].connection_id == "c1");
  BOOST_TEST(r->acks[0].user_id == "alice");
  BOOST_TEST(r->acks[0].args == "[\"a\"]");
  BOOST_TEST(r->acks[0].attachments == std::vector<std::string>{"bin"});
  BOOST_TEST(r->timed_out.empty());
  BOOST_TEST(book.sends() == 0u);
  BOOST_TEST(book.awaited() == 0u);
  BOOST_TEST(!book.finish(send)); // answered once
}

BOOST_AUTO_TEST_CASE(a_socket_that_goes_and_the_timeout_settle_the_rest) {
  pending_acks book{pending_acks::limits{}};
  std::vector<uint64_t> ids;
  auto send = book.open("/", two(), ids);
  std::string chat = "/chat";
  BOOST_TEST(book.gone("c1", &chat, "client namespace disconnect").empty()); // not its namespace
  BOOST_TEST(book.gone("c1", nullptr, "transport close").empty()); // c2 still awaited
  auto r = book.finish(send);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->acks.empty());
  BOOST_REQUIRE_EQUAL(r->timed_out.size(), 2u);
  BOOST_TEST(r->timed_out[0].socket_id == "s1");
  BOOST_TEST(r->timed_out[0].reason == "transport close");
  BOOST_TEST(r->timed_out[1].socket_id == "s2");
  BOOST_TEST(r->timed_out[1].reason == "");
  BOOST_TEST(book.awaited() == 0u);
}

BOOST_AUTO_TEST_CASE(bounds_refuse_and_free_up_once_answered) {
  pending_acks book{pending_acks::limits{3, 2}};
  std::vector<uint64_t> ids;
  std::vector<pending_acks::recipient> one{{"s1", "c1", ""}};
  auto a = book.open("/", one, ids);
  auto a_id = ids[0];
  book.open("/", one, ids);
  BOOST_TEST(book.refusal(one).find("awaits 2 acks") != std::string::npos);
  BOOST_TEST(book.refusal({{"s9", "c9", ""}}).empty());
  book.open("/", {{"s9", "c9", ""}}, ids);
  BOOST_TEST(book.refusal({{"s8", "c8", ""}}).find("too many acked sends") != std::string::npos);
  BOOST_TEST(*book.answer("c1", "/", a_id, "[]", {}) == a);
  book.finish(a);
  BOOST_TEST(book.refusal(one).empty());
  // Many answered sends in a row never fill the per-connection bound.
  for (int i = 0; i < 100; ++i) {
    auto s = book.open("/", {{"s7", "c7", ""}}, ids);
    BOOST_REQUIRE(book.answer("c7", "/", ids[0], "[]", {}));
    book.finish(s);
    BOOST_REQUIRE(book.refusal({{"s7", "c7", ""}}).empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
