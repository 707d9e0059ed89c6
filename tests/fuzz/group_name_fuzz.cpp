// tests/fuzz/group_name_fuzz.cpp
// libFuzzer target: Socket.IO group names (lib/routing/group_name.hpp).
// Properties: parse_group is the exact inverse of room_group, both ways.
#include "lib/routing/group_name.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sio::routing;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  if (auto ref = parse_group(in)) {
    FUZZ_CHECK(room_group(ref->nsp, ref->room) == in);
    if (ref->room.empty())
      FUZZ_CHECK(namespace_group(ref->nsp) == in);
  }
  (void) is_valid_group_name(in);

  // The input as a (namespace, room) pair split at the first 0x00.
  auto zero = in.find('\0');
  auto nsp = in.substr(0, zero);
  auto room = zero == std::string_view::npos ? std::string_view{} : in.substr(zero + 1);
  if (!nsp.empty()) {
    auto name = room_group(nsp, room);
    auto back = parse_group(name);
    if (name.size() <= 1024) {
      FUZZ_CHECK(back.has_value());
      FUZZ_CHECK(back->nsp == nsp && back->room == room);
      FUZZ_CHECK(is_valid_group_name(name));
    } else {
      FUZZ_CHECK(!back.has_value());
    }
  }
  return 0;
}
