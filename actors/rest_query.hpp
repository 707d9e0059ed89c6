// actors/rest_query.hpp
// The query parameters of a REST call, as parsed pairs in arrival order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::rest {

using query_list = std::vector<std::pair<std::string, std::string>>;

/// All values of a repeatable query parameter; old .NET SDKs joined them
/// with commas (protocol.md §6.3).
std::vector<std::string> values(const query_list& q, std::string_view key,
                                bool split_commas);

/// The first value of `key`, if any.
std::optional<std::string> value(const query_list& q, std::string_view key);

} // namespace sio::rest
