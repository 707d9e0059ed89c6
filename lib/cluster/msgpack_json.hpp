// lib/cluster/msgpack_json.hpp
// A decoded msgpack value as the JSON a Node peer's socket.io-parser writes
// for it (JSON.stringify of what notepack.io decodes, Buffers as numbered
// placeholders), and JavaScript's number and date texts. No I/O.
#pragma once

#include "lib/cluster/msgpack_value.hpp"
#include <sio/result.hpp>

#include <string>
#include <vector>

namespace sio::cluster {

/// JSON text of a value as JSON.stringify writes the object notepack
/// decodes, with each bin replaced by {"_placeholder":true,"num":N} and its
/// bytes appended to `attachments` in socket.io-parser's traversal order:
/// undefined is dropped from maps and null in arrays, maps keep JS key order
/// (integer-like keys first, ascending; a repeated key keeps its first
/// place and its last value; "__proto__" is not an own property), NaN and
/// infinities are null, dates are ISO strings, numbers are printed as
/// JavaScript prints them, invalid UTF-8 becomes U+FFFD. Map keys that are
/// not strings are converted as JS converts a property key (numbers, true,
/// false, null); others (arrays, maps, bin) fail. `top_level_undefined`
/// gives "null".
protocol::result<std::string> to_json(
  const mp_value& v, std::vector<std::string>& attachments,
  const codec_limits& limits = {});

/// JavaScript's Number.prototype.toString for a finite double (shortest
/// round-trip digits, exponent form below 1e-6 and from 1e21).
void append_js_number(std::string& out, double v);

/// Appends JSON.stringify(new Date(ms)) (the ISO string, quoted) and
/// returns true; false for an invalid date (JSON.stringify gives null).
bool append_iso_date(std::string& out, double ms);

} // namespace sio::cluster
