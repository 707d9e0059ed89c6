// lib/protocol/event_array.hpp
// The data of an EVENT packet built from sio::args: `["name",...args]`.
#pragma once

#include <sio/args.hpp>

#include <string>
#include <string_view>

namespace sio::protocol {

/// `["name",<a's elements>]`, the name escaped as args escapes strings
/// (invalid UTF-8 as U+FFFD); a's placeholders keep their numbers.
std::string event_array(std::string_view name, const args& a);

} // namespace sio::protocol
