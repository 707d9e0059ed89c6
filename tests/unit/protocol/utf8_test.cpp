// Tests for lib/protocol/utf8.hpp: Unicode Table 3-7 boundaries, overlongs,
// surrogates, code points above U+10FFFF, truncation and streaming.
#include "lib/protocol/utf8.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace data = boost::unit_test::data;
using namespace sio::protocol;

namespace {

const std::vector<std::string> valid_inputs{
  "",
  "hello",
  "\xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xB5", // "κόσμε"
  "\xC2\x80",                                 // U+0080, first 2-byte
  "\xDF\xBF",                                 // U+07FF, last 2-byte
  "\xE0\xA0\x80",                             // U+0800, first 3-byte
  "\xED\x9F\xBF",                             // U+D7FF, just below the surrogates
  "\xEE\x80\x80",                             // U+E000, just above them
  "\xEF\xBF\xBF",                             // U+FFFF
  "\xF0\x90\x80\x80",                         // U+10000, first 4-byte
  "\xF4\x8F\xBF\xBF",                         // U+10FFFF, the last code point
  "0123456789abcdef\xE2\x82\xAC" "0123456789abcdef", // euro between ASCII runs
  std::string("nul\0inside", 10),
};

const std::vector<std::string> invalid_inputs{
  "\xC0\x80",             // overlong NUL
  "\xC1\xBF",             // overlong U+007F
  "\xE0\x80\x80",         // overlong 3-byte
  "\xE0\x9F\xBF",         // overlong U+07FF
  "\xF0\x80\x80\x80",     // overlong 4-byte
  "\xF0\x8F\xBF\xBF",     // overlong U+FFFF
  "\xED\xA0\x80",         // U+D800, first surrogate
  "\xED\xBF\xBF",         // U+DFFF, last surrogate
  "\xF4\x90\x80\x80",     // U+110000
  "\xF5\x80\x80\x80",     // lead byte above F4
  "\xFF",                 // never valid
  "\x80",                 // lone continuation
  "a\xBF" "b",            // continuation after ASCII
  "\xC2",                 // truncated 2-byte
  "\xE0\xA0",             // truncated 3-byte
  "\xF0\x90\x80",         // truncated 4-byte
  "abc\xE2\x82",          // truncated at the end
  "\xC2" "A",             // ASCII where a continuation belongs
  "\xE2\x82\xAC\xE2\x82", // valid euro, then a cut one
};

} // namespace

BOOST_AUTO_TEST_SUITE(utf8_test)

BOOST_DATA_TEST_CASE(well_formed_sequences_are_accepted, data::make(valid_inputs), input) {
  BOOST_TEST(is_valid_utf8(input));
}

BOOST_DATA_TEST_CASE(ill_formed_sequences_are_rejected, data::make(invalid_inputs), input) {
  BOOST_TEST(!is_valid_utf8(input));
}

BOOST_AUTO_TEST_CASE(a_code_point_split_across_pieces_is_accepted) {
  const std::string text = "a\xF0\x9F\x98\x80" "b\xE2\x82\xAC"; // a😀b€
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    utf8_validator v;
    BOOST_TEST(v.feed(text.substr(0, cut)));
    BOOST_TEST(v.feed(text.substr(cut)));
    BOOST_TEST(v.complete());
  }
}

BOOST_AUTO_TEST_CASE(complete_is_false_in_the_middle_of_a_code_point) {
  utf8_validator v;
  BOOST_TEST(v.feed("x\xE2\x82"));
  BOOST_TEST(!v.complete());
  BOOST_TEST(!v.failed());
  BOOST_TEST(v.feed("\xAC"));
  BOOST_TEST(v.complete());
}

BOOST_AUTO_TEST_CASE(failure_is_sticky_until_reset) {
  utf8_validator v;
  BOOST_TEST(!v.feed("\xED\xA0\x80"));
  BOOST_TEST(v.failed());
  BOOST_TEST(!v.feed("plain"));
  BOOST_TEST(!v.complete());
  v.reset();
  BOOST_TEST(v.feed("plain"));
  BOOST_TEST(v.complete());
}

BOOST_AUTO_TEST_CASE(a_bad_byte_is_found_at_every_offset_of_an_ascii_run) {
  // The ASCII fast path skips 8 bytes at a time; the bad byte must not hide
  // in any lane of a word or in the tail.
  for (size_t at = 0; at < 40; ++at) {
    std::string s(40, 'a');
    s[at] = '\xFE';
    BOOST_TEST(!is_valid_utf8(s), "offset " << at);
    s[at] = '\xC3';
    if (at + 1 < s.size()) {
      s[at + 1] = '\xA9'; // "é"
      BOOST_TEST(is_valid_utf8(s), "offset " << at);
    } else {
      BOOST_TEST(!is_valid_utf8(s), "truncated at the end");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(utf8_helpers_test)

BOOST_AUTO_TEST_CASE(sequence_length_is_that_of_one_well_formed_code_point) {
  BOOST_TEST(utf8_sequence_length("") == 0u);
  BOOST_TEST(utf8_sequence_length("ab") == 1u);
  BOOST_TEST(utf8_sequence_length(std::string("\0x", 2)) == 1u);
  BOOST_TEST(utf8_sequence_length("\xC3\xA9x") == 2u);          // é
  BOOST_TEST(utf8_sequence_length("\xE2\x82\xAC") == 3u);       // €
  BOOST_TEST(utf8_sequence_length("\xF4\x8F\xBF\xBF") == 4u);   // U+10FFFF
  BOOST_TEST(utf8_sequence_length("\xF0\x9F\x98\x80\x80") == 4u); // 😀, then junk
}

BOOST_DATA_TEST_CASE(sequence_length_is_zero_for_what_the_validator_rejects,
                     data::make(std::vector<std::string>{
                       "\xC0\x80", "\xE0\x80\x80", "\xF0\x8F\xBF\xBF", // overlongs
                       "\xED\xA0\x80", "\xED\xBF\xBF",                 // surrogates
                       "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", // too high
                       "\x80", "\xBF",                                 // continuations
                       "\xC2", "\xE2\x82", "\xF0\x9F\x98",             // truncated
                       "\xC2" "A", "\xE2\x82" "A"}),                   // cut by ASCII
                     input) {
  BOOST_TEST(utf8_sequence_length(input) == 0u);
}

BOOST_AUTO_TEST_CASE(prefix_never_cuts_a_code_point) {
  const std::string text = "a\xE2\x82\xAC" "b\xF0\x9F\x98\x80"; // a€b😀, 9 bytes
  BOOST_TEST(utf8_prefix("", 0) == "");
  BOOST_TEST(utf8_prefix("", 5) == "");
  BOOST_TEST(utf8_prefix(text, 100) == text);
  BOOST_TEST(utf8_prefix(text, text.size()) == text);
  BOOST_TEST(utf8_prefix(text, 0) == "");
  BOOST_TEST(utf8_prefix(text, 1) == "a");
  BOOST_TEST(utf8_prefix(text, 2) == "a");
  BOOST_TEST(utf8_prefix(text, 3) == "a");
  BOOST_TEST(utf8_prefix(text, 4) == "a\xE2\x82\xAC");
  BOOST_TEST(utf8_prefix(text, 8) == "a\xE2\x82\xAC" "b");
  for (size_t n = 0; n <= text.size(); ++n) {
    auto p = utf8_prefix(text, n);
    BOOST_TEST(p.size() <= n);
    BOOST_TEST(is_valid_utf8(p), "cut at " << n);
  }
}

BOOST_AUTO_TEST_CASE(sanitized_keeps_valid_text_and_replaces_each_bad_byte) {
  const std::string fffd = "\xEF\xBF\xBD";
  BOOST_TEST(utf8_sanitized("") == "");
  BOOST_TEST(utf8_sanitized("caf\xC3\xA9 \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xF0\x9F\x98\x80");
  BOOST_TEST(utf8_sanitized("a\xFF" "b") == "a" + fffd + "b");
  BOOST_TEST(utf8_sanitized("\xC0\x80") == fffd + fffd);           // overlong NUL
  BOOST_TEST(utf8_sanitized("\xED\xA0\x80") == fffd + fffd + fffd); // surrogate
  BOOST_TEST(utf8_sanitized("x\xE2\x82") == "x" + fffd + fffd);    // truncated
  BOOST_TEST(utf8_sanitized("\xE2\x82\xE2\x82\xAC") == fffd + fffd + "\xE2\x82\xAC");
  for (auto& bad : invalid_inputs)
    BOOST_TEST(is_valid_utf8(utf8_sanitized(bad)));
}

BOOST_AUTO_TEST_SUITE_END()
