// bench/cpu_time.hpp
// The load generators report their own CPU time, so that a report can tell
// whether the generator rather than the server set the rate.
#pragma once

#include <sys/resource.h>

#include <cstdint>

namespace bench {

/// This process's user + system CPU time in milliseconds.
inline int64_t cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

} // namespace bench
