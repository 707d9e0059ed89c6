// lib/cluster/msgpack_value.hpp
// A bounded msgpack reader for the Redis adapter's messages, read the way
// notepack.io 3.x (the adapter's and the emitter's parser) reads them
// (msgpack_json.hpp turns a value into JSON). No I/O.
#pragma once

#include <sio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sio::cluster {

/// Bounds for everything decoded from Redis (an untrusted peer may publish).
struct codec_limits {
  /// Largest message accepted, in bytes.
  size_t max_bytes = 16 * 1024 * 1024;
  /// Most nested arrays/maps.
  size_t max_depth = 100;
  /// Most msgpack values (scalars and containers) in one message; each
  /// costs sizeof(mp_value) (80 bytes) while the message is decoded.
  size_t max_values = 1000000;
  /// Most binary attachments (Buffers) in one packet.
  size_t max_attachments = 1000;
};

/// One decoded msgpack value. Strings and binaries view the input bytes,
/// which must outlive the value.
struct mp_value {
  enum class kind : uint8_t {
    nil,       ///< 0xc0 (JSON null)
    undefined, ///< notepack's fixext 1 type 0 (JS undefined)
    boolean,
    int64,     ///< negative integers
    uint64,    ///< non-negative integers
    float64,   ///< float 32 and float 64
    str,
    bin,       ///< a Buffer (also notepack's legacy ArrayBuffer ext type 0)
    date,      ///< timestamp ext (-1) or notepack's legacy date (0xd7 type 0): ms in `f`
    ext,       ///< other ext types: notepack gives [type, Buffer]
    array,
    map,
  };
  kind k = kind::nil;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0; ///< float64, or a date's milliseconds since the epoch
  int8_t ext_type = 0;
  std::string_view bytes; ///< str, bin, ext payload
  std::vector<mp_value> items; ///< array elements; map keys and values alternating
};

/// Decodes exactly one msgpack value filling all of `bytes` (notepack
/// refuses trailing bytes too). Fails on truncation, reserved bytes (0xc1),
/// declared lengths beyond the input, nesting/size limits.
protocol::result<mp_value> decode_msgpack(
  std::string_view bytes, const codec_limits& limits = {});

/// The map member `key` of `map` (the last one, as a JS object keeps), or nullptr.
const mp_value* find_member(const mp_value& map, std::string_view key);

} // namespace sio::cluster
