// tests/fuzz/fuzz_check.hpp
// Helpers shared by the libFuzzer targets: FUZZ_CHECK aborts (so libFuzzer
// records a crash and saves the input) when a property of a parser does not
// hold, and fuzz_input splits one input into a few independent choices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Aborts with the failed condition when `cond` is false: a property violation
/// is as much a finding as a crash.
#define FUZZ_CHECK(cond)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__,      \
                   __LINE__, #cond);                                        \
      std::abort();                                                         \
    }                                                                       \
  } while (false)

namespace sio::fuzz {

/// Consumes a fuzz input from the front: a byte at a time for choices, the
/// rest as text. Never reads past the end (yields zeros instead).
class fuzz_input {
public:
  /// Views `size` bytes at `data`.
  fuzz_input(const uint8_t* data, size_t size)
    : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte, or 0 when the input is exhausted.
  uint8_t byte() {
    if (rest_.empty())
      return 0;
    auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  /// The next `n` bytes (fewer at the end).
  std::string_view take(size_t n) {
    auto out = rest_.substr(0, n);
    rest_.remove_prefix(out.size());
    return out;
  }

  /// Everything not consumed yet.
  std::string_view rest() const { return rest_; }

private:
  /// Unconsumed input.
  std::string_view rest_;
};

} // namespace sio::fuzz
