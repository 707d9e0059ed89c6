// lib/cluster/msgpack_writer.hpp
// Writing msgpack as notepack.io writes it (smallest integer forms, float64
// for non-integers, str8 for short strings...), with msgpack-c's packer, and
// the conversion of our Socket.IO JSON (placeholders + attachments) into the
// msgpack a Node peer decodes to the same arguments with real Buffers.
#pragma once

#include <sio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sio::cluster {

/// Appends msgpack values to a string.
class mp_writer {
public:
  explicit mp_writer(std::string& out) : out_(out) {}

  void array(size_t n);
  void map(size_t n);
  void str(std::string_view s);
  void bin(std::string_view b);
  void nil();
  void boolean(bool b);
  void integer(int64_t v);
  void uinteger(uint64_t v);
  /// As a JS number: integral values as integers (notepack does), others float64.
  void number(double v);

  std::string& out() { return out_; }

private:
  std::string& out_;
};

/// Appends the msgpack of the JSON text `json`, each
/// {"_placeholder":true,"num":N} replaced by attachments[N] as bin (as
/// socket.io-parser's reconstructPacket does). Fails on invalid JSON,
/// nesting beyond max_depth, a placeholder without a valid num.
protocol::result<bool> append_json_as_msgpack(
  mp_writer& w, std::string_view json, const std::vector<std::string>& attachments,
  size_t max_depth = 100);

} // namespace sio::cluster
