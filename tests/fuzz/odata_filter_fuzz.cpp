// tests/fuzz/odata_filter_fuzz.cpp
// libFuzzer target: OData filter parsing and evaluation
// (lib/routing/odata_filter.hpp) against fixed connections. Property: when a
// filter names candidate groups, no connection outside all of them matches.
#include "lib/routing/odata_filter.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <string>
#include <vector>

using namespace sio::routing;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  odata_limits small;
  small.max_depth = 8;
  (void) odata_filter::parse(in, small);
  auto filter = odata_filter::parse(in);
  if (!filter) {
    FUZZ_CHECK(!filter.error().empty());
    return 0;
  }
  FUZZ_CHECK(filter->text() == in);

  static const std::string user1 = "user1";
  static const std::string empty_user;
  static const std::vector<std::string> names{"g1", "G2", " x ", "", "0~Lw~"};
  static const group_set some{names[0], names[1], names[2]};
  static const group_set odd{names[3], names[4]};
  static const group_set none;
  const filter_subject subjects[] = {
    {"conn1", &user1, &some},
    {"", nullptr, nullptr},
    {"c'2", &empty_user, &odd},
    {"conn3", nullptr, &none},
  };
  std::vector<std::string> candidates;
  bool narrowed = filter->candidate_groups(candidates);
  for (const auto& s : subjects) {
    bool m = filter->matches(s);
    FUZZ_CHECK(m == filter->matches(s));  // deterministic
    if (narrowed && m) {
      bool member = false;
      for (auto& g : candidates)
        if (s.groups && s.groups->count(g) > 0)
          member = true;
      FUZZ_CHECK(member);
    }
  }
  return 0;
}
