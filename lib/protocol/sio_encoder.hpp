// lib/protocol/sio_encoder.hpp
// Stateless Socket.IO v5 encoding (protocol.md §2.2, §2.3):
// "<type>[<n>-][<nsp>,][<id>][<data>]", plus the Engine.IO framing of a packet
// and its attachments, and split_event for handing events to handlers.
#pragma once

#include "lib/protocol/eio_packet.hpp"
#include <sio/result.hpp>
#include "lib/protocol/sio_packet.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sio::protocol {

/// Socket.IO text WITHOUT the Engine.IO '4': "<type>[<n>-][<nsp>,][<id>][<data>]";
/// for binary types n = attachments.size(); the namespace is written only when
/// != "/" (an empty nsp counts as "/"). The data is not validated.
std::string encode(const sio_packet& packet);

/// The same with the Engine.IO '4' prefix (a WebSocket text frame / polling segment).
std::string encode_message(const sio_packet& packet);

/// encode_message for a packet given by its parts, for callers that hold
/// them elsewhere (an ack built from an event's arguments): no sio_packet
/// to fill, no copy of the data. `attachment_count` is written for the
/// binary types only.
std::string encode_message(sio_packet_type type, std::string_view nsp,
                           std::optional<uint64_t> id, std::string_view data,
                           size_t attachment_count = 0);

/// The Engine.IO packets that carry `packet`: one text message followed by one
/// binary message per attachment (feed them to append_to_payload / encode_frame).
std::vector<eio_packet> to_eio_packets(const sio_packet& packet);

/// An EVENT payload split into its name and its arguments.
struct event_parts {
  /// Element [0] when it is a string (nullopt for a numeric event name).
  std::optional<std::string> name;
  /// JSON array text of the elements after [0] ("[]" when there are none).
  std::string args;
};

/// Splits an EVENT's JSON array text into the event name (if [0] is a string)
/// and the JSON text of the remaining elements as an array
/// ("[\"ev\",1,{}]" -> name "ev", args "[1,{}]"). Fails on invalid JSON or when
/// the text is not a non-empty array. The argument text is copied verbatim.
result<event_parts> split_event(std::string_view data_json);

/// The `args` split_event gives for an array text already validated (by
/// sio_decoder, whose event_head says where element [0] ends), without a
/// second pass over the JSON.
std::string event_args(std::string_view data_json, size_t first_end);

} // namespace sio::protocol
