// Tests for lib/webhook/backlog.hpp: which user event may join a socket's
// webhook queue under the event and byte bounds, and the reasons given.
#include "lib/webhook/backlog.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

using namespace sio::webhook;

namespace {

const backlog_limits small{2, 1000, 5000};

std::string reason(backlog_verdict v) {
  return std::string{close_reason(v)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(backlog_test)

BOOST_AUTO_TEST_CASE(accepts_while_every_bound_holds) {
  BOOST_TEST((admit(small, {0, 0, 0}, 10) == backlog_verdict::accept));
  BOOST_TEST((admit(small, {2, 990, 4990}, 10) == backlog_verdict::accept));
}

BOOST_AUTO_TEST_CASE(counts_the_event_in_flight_besides_the_waiting_ones) {
  // max_events_per_socket waiting plus one in flight: one more is refused.
  BOOST_TEST((admit(small, {3, 30, 30}, 10) == backlog_verdict::too_many_events));
  BOOST_TEST(reason(backlog_verdict::too_many_events) == "webhook backlog full");
}

BOOST_AUTO_TEST_CASE(refuses_the_event_that_would_pass_the_socket_bytes) {
  BOOST_TEST((admit(small, {1, 991, 991}, 10) == backlog_verdict::socket_bytes));
  BOOST_TEST(reason(backlog_verdict::socket_bytes) == "webhook backlog too large");
  BOOST_TEST(failure_label(backlog_verdict::socket_bytes) == "backlog_bytes");
}

BOOST_AUTO_TEST_CASE(refuses_the_event_that_would_pass_the_hub_bytes) {
  BOOST_TEST((admit(small, {0, 0, 4991}, 10) == backlog_verdict::hub_bytes));
  BOOST_TEST(reason(backlog_verdict::hub_bytes) == "webhook hub backlog too large");
  BOOST_TEST(failure_label(backlog_verdict::hub_bytes) == "hub_backlog_bytes");
}

BOOST_AUTO_TEST_CASE(an_idle_socket_takes_one_event_larger_than_its_bound) {
  // Else a packet larger than the bound could never reach the upstream.
  BOOST_TEST((admit(small, {0, 0, 0}, 100000) == backlog_verdict::accept));
  // A lifecycle event (no bytes) waiting does not make the socket busy.
  BOOST_TEST((admit(small, {1, 0, 0}, 100000) == backlog_verdict::accept));
  // One byte held: the large event waits for nothing, it is refused.
  BOOST_TEST((admit(small, {1, 1, 1}, 100000) == backlog_verdict::socket_bytes));
  // An idle socket in a busy hub: the hub's bound still holds.
  BOOST_TEST((admit(small, {0, 0, 1}, 100000) == backlog_verdict::hub_bytes));
}

BOOST_AUTO_TEST_CASE(sizes_near_the_largest_do_not_wrap) {
  auto max = std::numeric_limits<size_t>::max();
  backlog_limits huge{10, max, max};
  BOOST_TEST((admit(huge, {1, max - 5, max - 5}, 10) == backlog_verdict::socket_bytes));
  BOOST_TEST((admit(huge, {1, 5, 5}, max - 5) == backlog_verdict::accept));
  BOOST_TEST((admit(huge, {1, 6, 6}, max - 5) == backlog_verdict::socket_bytes));
}

BOOST_AUTO_TEST_CASE(accept_has_no_reason) {
  BOOST_TEST(close_reason(backlog_verdict::accept).empty());
  BOOST_TEST(failure_label(backlog_verdict::accept).empty());
}

BOOST_AUTO_TEST_SUITE_END()
