// actors/event_payloads.hpp
// Helpers for in-process event handlers: read a client event and build the
// Engine.IO payloads a message_reply or a fan-out carries (acks, events,
// CONNECT_ERROR data), with binary attachments handled.
#pragma once

#include "actors/messages.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sio {

/// A client event, decoded from a message_event.
struct parsed_event {
  std::string nsp;   ///< namespace, e.g. "/"
  std::string name;  ///< event name (first array element)
  std::string args;  ///< JSON array text of the arguments after the name
  std::vector<std::string> attachments;  ///< referenced by placeholders
  std::optional<uint64_t> ack_id;  ///< set when the client waits for an ack
};

/// Decodes the event; nullopt if the packet is not a valid EVENT.
std::optional<parsed_event> parse_event(const message_event& ev);

/// Only the arguments after the event's name, as a JSON array text
/// ("[1,{}]"; "[]" when there are none): parse_event's `args` without the
/// copies of the other fields, for handlers that answer from the event
/// itself. nullopt if the packet is not a valid EVENT.
std::optional<std::string> event_args(const message_event& ev);

/// CONNECT_ERROR data: {"message":"<text>"}.
std::string error_payload(std::string_view message);

/// The Engine.IO payload of the ACK answering `ev` with `args_json` (a JSON
/// array text); a BINARY_ACK carrying ev's attachments when it has any.
std::string ack_payload(const parsed_event& ev, std::string_view args_json);

/// The same from the message_event itself (its namespace, ack id and
/// attachments), with no parsed_event to fill. For an event without
/// has_ack the ACK has no id, which no client waits for.
std::string ack_payload(const message_event& ev, std::string_view args_json);

/// The Engine.IO payload of an event `name` with `args_json` to ev's
/// namespace (carrying ev's attachments, if any).
std::string event_payload(const parsed_event& ev, std::string_view name,
                          std::string_view args_json);

/// The same event as wire packets, encoded once for a fan-out.
wire_batch event_batch(const parsed_event& ev, std::string_view name,
                       std::string_view args_json);

} // namespace sio
