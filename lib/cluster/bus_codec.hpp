// lib/cluster/bus_codec.hpp
// bus_message <-> bytes: msgpack (binary frames travel as they are, with no
// base64 step), read and written with the adapter codec's bounded reader
// and writer (msgpack_value.hpp, msgpack_writer.hpp). The first element is
// a format version; a node drops what it cannot read, and counts it,
// rather than guess.
#pragma once

#include "lib/cluster/bus_message.hpp"
#include <sio/result.hpp>

#include <string>
#include <string_view>

namespace sio::cluster {

/// The format version this build writes and reads.
inline constexpr uint8_t bus_format_version = 1;

/// Bounds on what decode_bus_message accepts (hostile input on a shared
/// Redis must not cost more than this).
struct bus_limits {
  size_t max_bytes = 64u << 20;     ///< the whole message
  size_t max_values = 1000000;      ///< msgpack values in it, all lists together
};

std::string encode_bus_message(const bus_message& m);

protocol::result<bus_message> decode_bus_message(std::string_view bytes,
                                                 const bus_limits& limits = {});

} // namespace sio::cluster
