// Tests for <sio/result.hpp>: value/error states and the guarantee that
// a failure always carries a non-empty reason.
#include <sio/result.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using namespace sio::protocol;

BOOST_AUTO_TEST_SUITE(result_test)

BOOST_AUTO_TEST_CASE(ok_result_holds_the_value_and_no_error) {
  auto r = result<std::string>::ok("abc");
  BOOST_TEST(static_cast<bool>(r));
  BOOST_TEST(*r == "abc");
  BOOST_TEST(r->size() == 3u);
  BOOST_TEST(r.error().empty());
  r->push_back('d');
  BOOST_TEST(*r == "abcd");
}

BOOST_AUTO_TEST_CASE(failed_result_holds_the_reason) {
  auto r = result<int>::fail("bad input");
  BOOST_TEST(!r);
  BOOST_TEST(r.error() == "bad input");
}

BOOST_AUTO_TEST_CASE(failed_result_never_has_an_empty_reason) {
  auto r = result<int>::fail("");
  BOOST_TEST(!r);
  BOOST_TEST(!r.error().empty());
}

BOOST_AUTO_TEST_CASE(result_works_with_move_only_values) {
  auto r = result<std::unique_ptr<int>>::ok(std::make_unique<int>(7));
  BOOST_TEST_REQUIRE(static_cast<bool>(r));
  BOOST_TEST(**r == 7);
}

BOOST_AUTO_TEST_SUITE_END()
