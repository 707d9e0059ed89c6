// Tests for lib/protocol/ascii.hpp: case folding and trimming touch ASCII
// only, never the bytes of UTF-8 text, and each whitespace set is its own.
#include "lib/protocol/ascii.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace sio::protocol;
using namespace std::string_literals;

BOOST_AUTO_TEST_SUITE(ascii_test)

BOOST_AUTO_TEST_CASE(case_folding_changes_ascii_letters_only) {
  BOOST_TEST(ascii_lower('A') == 'a');
  BOOST_TEST(ascii_lower('Z') == 'z');
  BOOST_TEST(ascii_lower('@') == '@'); // just below 'A'
  BOOST_TEST(ascii_lower('[') == '['); // just above 'Z'
  BOOST_TEST(ascii_upper('a') == 'A');
  BOOST_TEST(ascii_upper('z') == 'Z');
  BOOST_TEST(ascii_upper('`') == '`');
  BOOST_TEST(ascii_upper('{') == '{');
  BOOST_TEST(ascii_lowered("") == "");
  BOOST_TEST(ascii_lowered("Content-TYPE 42") == "content-type 42");
  // "É" and "Ä" in UTF-8 stay byte for byte (no locale folding).
  BOOST_TEST(ascii_lowered("\xC3\x89T\xC3\x84") == "\xC3\x89t\xC3\x84");
}

BOOST_AUTO_TEST_CASE(iequals_ignores_ascii_case_only) {
  BOOST_TEST(ascii_iequals("", ""));
  BOOST_TEST(ascii_iequals("Upgrade", "uPGRADE"));
  BOOST_TEST(!ascii_iequals("Upgrade", "Upgrade "));
  BOOST_TEST(!ascii_iequals("host", "hosts"));
  BOOST_TEST(!ascii_iequals("a", ""));
  // '@' and '`' differ by 0x20 like 'A' and 'a' but are not letters.
  BOOST_TEST(!ascii_iequals("@", "`"));
  BOOST_TEST(!ascii_iequals("\xC3\x89", "\xC3\xA9")); // É vs é
  BOOST_TEST(ascii_iequals("\xC3\xA9X", "\xC3\xA9x"));
  static_assert(ascii_iequals("Bearer ", "bEARER "));
}

BOOST_AUTO_TEST_CASE(trim_removes_the_given_whitespace_at_both_ends) {
  BOOST_TEST(trim("") == "");
  BOOST_TEST(trim("   ") == "");
  BOOST_TEST(trim(" \t\n\v\f\r") == "");
  BOOST_TEST(trim("x") == "x");
  BOOST_TEST(trim("  a b  ") == "a b");
  BOOST_TEST(trim("\ta\tb\n") == "a\tb");
  BOOST_TEST(trim(" \xC2\xA0x\xC2\xA0 ") == "\xC2\xA0x\xC2\xA0"); // NBSP is not ASCII space
  BOOST_TEST(trim(" \0 "s) == "\0"s);
  static_assert(trim("  k ") == "k");
}

BOOST_AUTO_TEST_CASE(each_whitespace_set_trims_only_its_own_bytes) {
  // HTTP OWS is SP and HTAB: a CR or LF is content there.
  BOOST_TEST(trim(" \tv\r\n", http_whitespace) == "v\r\n");
  BOOST_TEST(trim(" \t \t", http_whitespace) == "");
  // JSON whitespace adds CR and LF, not VT or FF.
  BOOST_TEST(trim("\r\n v \r\n", json_whitespace) == "v");
  BOOST_TEST(trim("\v v \f", json_whitespace) == "\v v \f");
  BOOST_TEST(trim("\v v \f") == "v");
  BOOST_TEST(is_space(' ', http_whitespace));
  BOOST_TEST(!is_space('\n', http_whitespace));
  BOOST_TEST(is_space('\f'));
  BOOST_TEST(!is_space('\0'));
  BOOST_TEST(!is_space('x'));
}

BOOST_AUTO_TEST_CASE(trim_in_place_keeps_the_string_and_its_content) {
  std::string s = " \t value with space \t";
  trim_in_place(s, http_whitespace);
  BOOST_TEST(s == "value with space");
  std::string blank = " \t \t";
  trim_in_place(blank, http_whitespace);
  BOOST_TEST(blank.empty());
  std::string empty;
  trim_in_place(empty);
  BOOST_TEST(empty.empty());
  std::string inner = "a  b";
  trim_in_place(inner);
  BOOST_TEST(inner == "a  b");
  std::string lead = "   x";
  trim_in_place(lead);
  BOOST_TEST(lead == "x");
}

BOOST_AUTO_TEST_SUITE_END()
