// actors/dropped_messages.hpp
// What a cluster actor does with a message on our channels or the
// adapter's that it cannot read (another version, or anyone else with
// access to the Redis writing there): drop it, count it in
// sio_cluster_bad_messages_total, and log the 1st, 2nd, 4th, 8th... one,
// so that a flood cannot fill the log.
#pragma once

#include "lib/metrics/metrics.hpp"

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>
#include <string_view>

namespace sio {

class dropped_messages {
public:
  void drop(const std::shared_ptr<metrics::registry>& metrics, std::string_view who,
            std::string_view channel, std::string_view why) {
    uint64_t n = ++count_;
    if (metrics)
      metrics
        ->get_counter("sio_cluster_bad_messages_total",
                      "messages on the cluster's channels dropped as unreadable")
        .inc();
    if ((n & (n - 1)) == 0)
      spdlog::warn("{}: unreadable message on {} dropped ({} so far): {}", who, channel, n,
                   why);
  }

private:
  uint64_t count_ = 0;
};

} // namespace sio
