// actors/rest_hub_calls.hpp
// The REST operations on one hub (/api/hubs/{hub}/...): sends, group and
// connection management, existence checks, client tokens. Each becomes a
// hub command; the answer is sent from the hub's reply.
#pragma once

#include "actors/rest_api.hpp"
#include "actors/rest_query.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sio::rest {

/// Unix time in seconds: tokens are issued and checked against it.
int64_t now_seconds();

/// Serves an authorized call to hub `hub_name`; `seg` is the path after
/// /api/hubs/{hub}.
void serve_hub_call(caf::actor_system& sys, const rest_settings& cfg,
                    const http::exchange& ex, query_list query, hub_actor hub,
                    std::string hub_name, const std::vector<std::string>& seg);

} // namespace sio::rest
