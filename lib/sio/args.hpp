// sio/args.hpp (lib/sio/args.hpp)
// The arguments of an event or an ack, built from C++ values: what
// `socket.emit("name", 1, "two", {three: 3}, buffer)` takes in Node. Binary
// values travel as attachments (a BINARY_EVENT / BINARY_ACK); the rest is
// one JSON array. Built once, shared by every recipient of a fan-out.
#pragma once

#include <rapidjson/fwd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sio {

/// Binary data (a Buffer in Node, bytes in Python): sent as an attachment.
struct binary {
  std::string bytes;
};

/// JSON text sent as it is; the caller vouches that it is valid JSON.
struct raw_json {
  std::string text;
};

/// The arguments of one event or ack, in order.
class args {
public:
  /// No arguments.
  args() = default;

  /// The values in order: bool, integers, floating point, strings,
  /// nullptr (JSON null), rapidjson::Value, raw_json, binary, and
  /// std::vector of any of these (a JSON array).
  template <class... Ts,
            class = std::enable_if_t<(sizeof...(Ts) > 0)
                                     && !(sizeof...(Ts) == 1
                                          && (std::is_same_v<std::decay_t<Ts>, args> && ...))>>
  explicit args(Ts&&... values) {
    (push(std::forward<Ts>(values)), ...);
  }

  args& push(std::nullptr_t);
  args& push(bool v);
  /// Non-finite values are written as null, as JSON.stringify does.
  args& push(double v);
  /// Escaped as JSON; invalid UTF-8 sequences become U+FFFD (a WebSocket
  /// text frame must be valid UTF-8).
  args& push(std::string_view v);
  args& push(const char* v) { return push(std::string_view{v}); }
  args& push(const std::string& v) { return push(std::string_view{v}); }
  /// Any RapidJSON value (a Document too), written as push(double) and
  /// push(std::string_view) write numbers and strings.
  args& push(const rapidjson::Value& v);
  args& push(raw_json v);
  /// Arguments from a JSON array text (`[1,{"_placeholder":true,"num":0}]`)
  /// whose placeholders number `attachments` from 0, sent as they are (the
  /// caller vouches for both): a client's arguments relayed or echoed
  /// without decoding them (sio::args_of, <sio/event.hpp>).
  static args from_json_array(std::string json_array,
                              std::vector<std::string> attachments = {});
  /// An attachment; the JSON gets its placeholder.
  args& push(binary v);
  /// Integers stay integers (no "3.0"), whatever their width.
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  args& push(T v) {
    if constexpr (std::is_signed_v<T>)
      return push_int(static_cast<int64_t>(v));
    else
      return push_uint(static_cast<uint64_t>(v));
  }
  args& push(float v) { return push(static_cast<double>(v)); }
  /// A JSON array of the elements.
  template <class T>
  args& push(const std::vector<T>& items) {
    args inner;
    for (const auto& item : items) // const auto&: std::vector<bool> too
      inner.push(item);
    return push_nested(std::move(inner));
  }

  /// The JSON array text, e.g. `[1,"two",{"_placeholder":true,"num":0}]`.
  std::string json() const;
  /// The same without the brackets (`1,"two"`): for writing the array
  /// into a larger text (a packet) without a temporary copy.
  std::string_view elements() const noexcept { return elements_; }
  /// The attachments, in placeholder order.
  const std::vector<std::string>& attachments() const noexcept { return attachments_; }
  /// No argument at all.
  bool empty() const noexcept { return elements_.empty(); }

private:
  args& push_int(int64_t v);
  args& push_uint(uint64_t v);
  args& push_nested(args inner);
  void add(std::string element);

  /// The comma-separated elements, without the brackets.
  std::string elements_;
  std::vector<std::string> attachments_;
  /// Where each placeholder's number starts in elements_, in order: a
  /// nested args is renumbered from these, never by searching the text
  /// (a raw_json or string may contain the same characters).
  std::vector<size_t> placeholders_;
};

} // namespace sio
