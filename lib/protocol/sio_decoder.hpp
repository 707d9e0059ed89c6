// lib/protocol/sio_decoder.hpp
// Stateful Socket.IO v5 decoder (protocol.md §2.1-§2.3): parses the text of a
// packet leniently like the reference socket.io-parser, validates its JSON
// payload without recursion, then collects binary attachments until complete.
#pragma once

#include <sio/result.hpp>
#include "lib/protocol/sio_packet.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sio::protocol {

/// Bounds and options applied to every packet before anything is allocated.
struct decoder_limits {
  /// Most attachments per packet (reference parser default: 10).
  size_t max_attachments = 10;
  /// Largest packet text and largest single attachment, in bytes.
  size_t max_packet_size = 1000000;
  /// Most nested JSON arrays/objects in a payload.
  size_t max_json_depth = 1000;
  /// Accept DISCONNECT with an object payload ({"close":true} in REST bodies, §5.3).
  bool allow_disconnect_payload = false;
  /// false: EVENT and BINARY_EVENT packets come out of take() with an empty
  /// `data` instead of a copy of it; event_head::data_offset locates it in
  /// the text fed. For callers that keep that text anyway (the client
  /// session relays it whole).
  bool copy_event_data = true;
};

/// Longest namespace accepted, in bytes.
constexpr size_t max_namespace_size = 256;

/// Largest ack id accepted (2^53: beyond it JavaScript numbers lose precision).
constexpr uint64_t max_ack_id = uint64_t{1} << 53;

/// Event names the official client refuses (protocol.md §2.1).
bool is_reserved_event_name(std::string_view name) noexcept;

/// What the validating pass learned of an EVENT's array, so that nobody has
/// to scan it again to split it (see split_event, event_args).
struct event_head {
  /// Element [0] when it is a string (nullopt for a numeric event name).
  std::optional<std::string> name;
  /// Offset in the packet's data just past element [0].
  size_t first_end = 0;
  /// Offset of the packet's data (the JSON array) in the text fed.
  size_t data_offset = 0;
};

/// Decodes one Socket.IO packet at a time, attachments included. Never throws.
class sio_decoder {
public:
  /// Outcome of feeding one Engine.IO message.
  enum class status {
    /// A packet is ready: call take().
    complete,
    /// A binary packet awaits more attachments: feed_binary().
    need_more,
    /// The input is malformed; error() says why and the decoder is reset.
    invalid,
  };

  /// A decoder enforcing `limits`.
  explicit sio_decoder(decoder_limits limits = {});

  /// Socket.IO text (after the Engine.IO '4'). need_more when a binary packet awaits attachments.
  status feed_text(std::string_view text);

  /// One attachment (an Engine.IO binary message). invalid when none is awaited.
  status feed_binary(std::string_view bytes);

  /// The completed packet (valid after `complete`); the decoder is then ready for the next one.
  sio_packet take();

  /// For an EVENT or BINARY_EVENT that take() returned last: its name and
  /// where its arguments begin; nullopt for other packets. Cleared by the
  /// next feed_text() and by reset().
  const std::optional<event_head>& last_event_head() const noexcept {
    return head_;
  }

  /// Reason after `invalid`; empty otherwise.
  const std::string& error() const noexcept {
    return error_;
  }

  /// True while a binary packet waits for attachments.
  bool awaiting_attachments() const noexcept {
    return pending_ > 0;
  }

  /// Drops any partial packet and the last error.
  void reset();

  /// The limits in force.
  const decoder_limits& limits() const noexcept {
    return limits_;
  }

private:
  status fail(std::string reason);

  /// Empties packet_, pending_ and error_ (not head_).
  void clear_packet() noexcept;

  /// Parses and validates one packet text into packet_.
  result<size_t> parse(std::string_view text);

  /// What is enforced.
  decoder_limits limits_;
  /// The packet being assembled or completed.
  sio_packet packet_;
  /// Attachments still missing.
  size_t pending_ = 0;
  /// Why the last feed failed.
  std::string error_;
  /// Of the event being assembled or last taken.
  std::optional<event_head> head_;
};

/// Decodes a complete packet without attachments (or with none pending) in
/// one call: convenience for text-only paths such as a webhook's ack body.
result<sio_packet> decode_text_packet(
  std::string_view text, const decoder_limits& limits = {});

/// For a DISCONNECT payload like {"close":true} (REST bodies, §5.3): true only
/// when the payload is a JSON object whose "close" member is true.
bool disconnect_requests_close(std::string_view data_json);

} // namespace sio::protocol
