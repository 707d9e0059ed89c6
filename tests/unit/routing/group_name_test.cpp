#include "lib/routing/group_name.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>

using namespace sio::routing;
namespace bdata = boost::unit_test::data;

namespace {

struct golden {
  const char* nsp;
  const char* room; // nullptr = namespace group
  const char* group;
};

std::ostream& operator<<(std::ostream& os, const golden& g) {
  return os << g.nsp << " / " << (g.room ? g.room : "-") << " -> " << g.group;
}

// protocol.md §3.3 and the Functions extension tests (§5.2).
const golden golden_table[] = {
  {"/", nullptr, "0~Lw~"},
  {"/", "rm", "0~Lw~cm0"},
  {"/ns", nullptr, "0~L25z~"},
  {"/ns", "rm", "0~L25z~cm0"},
  {"/ns", "rm1", "0~L25z~cm0x"},
  {"/ns", "rm2", "0~L25z~cm0y"},
  {"/ns", "socketId", "0~L25z~c29ja2V0SWQ"},
  {"/ns", "socket1", "0~L25z~c29ja2V0MQ"},
  {"/ns", "socket2", "0~L25z~c29ja2V0Mg"},
  {"/ns", "sid", "0~L25z~c2lk"},
  {"/ns", "ex1", "0~L25z~ZXgx"},
  {"/", "sid", "0~Lw~c2lk"},
  {"/", "ex1", "0~Lw~ZXgx"},
  {"/", "s1", "0~Lw~czE"},
  {"/", "socket1", "0~Lw~c29ja2V0MQ"},
  {"/chat", "room 1", "0~L2NoYXQ~cm9vbSAx"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(group_name_test)

BOOST_DATA_TEST_CASE(group_names_match_the_golden_table,
                     bdata::make(golden_table), row) {
  if (row.room)
    BOOST_TEST(room_group(row.nsp, row.room) == row.group);
  else
    BOOST_TEST(namespace_group(row.nsp) == row.group);
  auto parsed = parse_group(row.group);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->nsp == row.nsp);
  BOOST_TEST(parsed->room == (row.room ? row.room : ""));
  BOOST_TEST(is_valid_group_name(row.group));
}

BOOST_AUTO_TEST_CASE(room_names_with_any_bytes_round_trip) {
  std::string room = "a~b/c?d\xff\x00 e";
  room.push_back('\0');
  auto g = room_group("/n~s", room);
  BOOST_TEST(g.find('=') == std::string::npos);
  auto parsed = parse_group(g);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->nsp == "/n~s");
  BOOST_TEST(parsed->room == room);
}

BOOST_AUTO_TEST_CASE(parse_group_rejects_non_socket_io_groups) {
  const char* bad[] = {
    "",           "group1",   "0~",        "0~~",      "1~Lw~",
    "0~Lw",       "0~Lw=~",   "0~Lw~cm0=", "0~L!~",    "0~Lx~",
    "0~Lw~cm1",   "0~Lw~c",   "0~Lw~cm0~x",
  };
  for (auto b : bad)
    BOOST_TEST(!parse_group(b).has_value(), "accepted " << b);
  BOOST_TEST(!parse_group("0~Lw~" + std::string(1100, 'A')).has_value());
}

BOOST_AUTO_TEST_CASE(group_name_validity_follows_web_pubsub_rules) {
  BOOST_TEST(is_valid_group_name("g"));
  BOOST_TEST(is_valid_group_name(" g "));
  BOOST_TEST(is_valid_group_name(std::string(1024, 'x')));
  BOOST_TEST(!is_valid_group_name(std::string(1025, 'x')));
  BOOST_TEST(!is_valid_group_name(""));
  BOOST_TEST(!is_valid_group_name(" \t\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()
